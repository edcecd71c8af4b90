"""``spstotte init``: lay out a municipality's own rule repository.

The layout is the one :mod:`spstotte.project` finds: ``spstotte.toml``, the rule file in
``municipalities/``, a scenarios file in ``scenarios/``, ``sources/`` for the municipality's
texts, the JSON schemas, a GitHub Actions workflow, a pre-commit configuration and a README in
Danish that says what to do next. The files come from ``project_template/`` beside this module.

The new rule file extends the law layer and sets nothing of its own: it validates and its
scenarios pass as they are. It is deliberately not a copy of a bundled municipality's file,
whose citations quote that municipality's texts: a copy would cite another municipality's
quality standard as its own (docs/install.md).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from string import Template
from typing import Final

from ..errors import InputError, Message
from ..municipalities import MUNICIPALITY_NAMES, MunicipalityLookupError, municipality_code

_TEMPLATES: Final = Path(__file__).resolve().parent / "project_template"

#: Where each template goes in the new repository (``$slug`` is the rule set's id).
LAYOUT: Final = {
    "spstotte.toml": "spstotte.toml",
    "README.md": "README.md",
    "municipality.yaml": "municipalities/$slug.yaml",
    "scenarios.yaml": "scenarios/$slug.scenarios.yaml",
    "sources-README.md": "sources/README.md",
    "workflow.yml": ".github/workflows/spstotte.yml",
    "pre-commit-config.yaml": ".pre-commit-config.yaml",
    "gitignore": ".gitignore",
}

_ID: Final = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass(frozen=True)
class Created:
    """What ``init`` wrote: the repository's folder and its files, relative to it."""

    root: Path
    files: tuple[str, ...]
    code: int
    name: str
    slug: str


def slug_for(name: str) -> str:
    """A rule-set id for a municipality name: ``Høje-Taastrup`` → ``hoeje_taastrup``."""
    text = name.casefold().replace("æ", "ae").replace("ø", "oe").replace("å", "aa")
    text = re.sub(r"[^a-z0-9]+", "_", text).strip("_")
    return text if _ID.fullmatch(text) else f"kommune_{text}"


def init_project(slug: str | None, folder: Path | None = None, *,
                 code: int | str | None = None, version: str = "0.1.0") -> Created:
    """Write a new municipality repository into ``folder`` (created if needed; default: a
    new folder named by the rule set's id).

    ``code`` is the municipality (a code or a name); without it, ``slug`` is looked up as a
    municipality name. Raises :class:`InputError` for an unknown municipality, an id that is
    not one, or a file that already exists (nothing is overwritten, nothing half-written).
    """
    try:
        number = municipality_code(code if code is not None else (slug or ""))
    except MunicipalityLookupError as exc:
        raise InputError(Message.of("errors.init_municipality", problem=exc.message)) from None
    name = MUNICIPALITY_NAMES[number]
    slug = slug or slug_for(name)
    if not _ID.fullmatch(slug):
        raise InputError(Message.of("errors.init_slug", slug=slug, example=slug_for(slug)))
    folder = folder if folder is not None else Path(slug)
    values = {"slug": slug, "name": name, "code": str(number), "version": version}
    planned = {Template(target).substitute(values): template
               for template, target in LAYOUT.items()}
    existing = sorted(target for target in (*planned, "schemas") if (folder / target).exists())
    if existing:
        raise InputError(Message.of("errors.init_exists", folder=str(folder),
                                    files=", ".join(existing)))
    texts = {target: Template((_TEMPLATES / template).read_text(encoding="utf-8"))
             .substitute(values) for target, template in planned.items()}
    for target, text in texts.items():
        path = folder / target
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    from ..schema import write_schemas

    schemas = [str(path.relative_to(folder)) for path in write_schemas(folder / "schemas")]
    return Created(folder, (*texts, *schemas), number, name, slug)
