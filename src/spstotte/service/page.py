"""The page to try the rules (``GET /``): plain HTML, CSS and a little JavaScript, served by
the package from ``service/static/``, nothing fetched from outside (docs/service.md, "The page").

The page reads everything else from the API of the same server: the municipalities, the profile
schema (from which it builds the form), verdicts, letters and rulebooks. What the schema does not
carry, the Danish and English labels of the fields and of their values, it reads from
``/static/labels.json``, written here from ``texts.yaml`` and the vocabularies, so that the page
says exactly what the verdicts and letters say.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from ..texts import catalogue
from ..vocabulary import LABELS

STATIC = Path(__file__).with_name("static")

#: The files served under ``/static/``, with their media types: only these, by name, so no
#: path from a request ever reaches the file system.
FILES: dict[str, str] = {
    "page.css": "text/css; charset=utf-8",
    "page.js": "text/javascript; charset=utf-8",
}

#: Nothing on the page may come from elsewhere: scripts, styles, frames and requests from this
#: server only. The letter and the rulebook are shown in sandboxed ``srcdoc`` frames (no
#: scripts) and bring their own ``<style>``.
CSP = ("default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
       "img-src 'self' data:; connect-src 'self'; frame-src 'self'; base-uri 'none'; "
       "form-action 'none'; frame-ancestors 'none'")
HEADERS = {"Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff",
           "Referrer-Policy": "no-referrer", "Cache-Control": "no-cache"}

#: Fields of the profile that are not facts of the rules (they give the birth date), so
#: texts.yaml has no label for them.
_OWN_FIELDS: dict[str, dict[str, str]] = {
    "birth_date": {"da": "fødselsdato", "en": "date of birth"},
    "cpr": {"da": "CPR-nummer", "en": "CPR number"},
}
_OWN_HELP: dict[str, dict[str, str]] = {
    "birth_date": {"da": "Eller CPR-nummeret herunder.", "en": "Or the CPR number below."},
    "cpr": {"da": "DDMMÅÅ-XXXX; vises kun maskeret.", "en": "DDMMYY-XXXX; only shown masked."},
}


@cache
def labels() -> dict[str, Any]:
    """The Danish and English words the page needs and the schema lacks: the fields' labels
    (and the caseworker's question for each), the labels of every vocabulary value by the
    schema's name of the vocabulary, of the outcomes and of the kinds of condition."""
    texts = catalogue()
    facts = texts["facts"]
    fields = {**_OWN_FIELDS, **{name: dict(fact["label"]) for name, fact in facts.items()}}
    help_texts = {**_OWN_HELP, **{name: dict(fact["ask"]) for name, fact in facts.items()
                                  if "ask" in fact}}
    values = {vocabulary.__name__: {value: {"da": da, "en": en}
                                    for value, (da, en) in table.items()}
              for vocabulary, table in LABELS.items()}
    verdict = texts["verdict"]
    return {
        "fields": fields,
        "help": help_texts,
        "values": values,
        "outcomes": {name: dict(forms) for name, forms in verdict["outcome"].items()},
        "condition_kinds": {name: dict(forms) for name, forms in verdict["kinds"].items()},
    }


def page_router() -> Any:
    """A FastAPI router serving the page at ``/`` and its files under ``/static/``."""
    from fastapi import APIRouter, HTTPException
    from fastapi.responses import HTMLResponse, JSONResponse, Response

    router = APIRouter()

    @router.get("/", response_class=HTMLResponse, include_in_schema=False)
    def page() -> HTMLResponse:
        html = (STATIC / "index.html").read_text(encoding="utf-8")
        return HTMLResponse(html, headers=HEADERS)

    @router.get("/static/labels.json", include_in_schema=False)
    def page_labels() -> JSONResponse:
        return JSONResponse(labels(), headers=HEADERS)

    @router.get("/static/{name}", include_in_schema=False)
    def static(name: str) -> Response:
        if name not in FILES:
            raise HTTPException(status_code=404)
        return Response((STATIC / name).read_bytes(), media_type=FILES[name], headers=HEADERS)

    return router
