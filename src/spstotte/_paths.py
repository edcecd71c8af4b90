"""Where the bundled files are: the rule files inside the installed package or in the source
checkout, and the data files at the top of the package."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def bundled_dirs() -> tuple[Path, Path]:
    """The law layer folder and the municipalities folder shipped with the library."""
    packaged = _PACKAGE / "_data"
    if (packaged / "rules").is_dir():
        return packaged / "rules", packaged / "municipalities"
    checkout = _PACKAGE.parents[1]  # src/spstotte -> repository root
    return checkout / "rules", checkout / "municipalities"


def bundled_sources_dir() -> Path:
    """The source texts the bundled rule files quote (``sources/`` of the checkout)."""
    packaged = _PACKAGE / "_data" / "sources"
    if packaged.is_dir():
        return packaged
    return _PACKAGE.parents[1] / "sources"


def data_file(name: str) -> Path:
    """A data file shipped at the top of the package (``statutes.yaml``, ...), wherever in the
    package the module that reads it lives."""
    return _PACKAGE / name


def display_path(path: Path) -> str:
    """How a file the user named is shown in messages: relative to the working directory when
    it is below it (an editor opens ``file:line:col`` from there), else as given."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except (ValueError, OSError):
        return str(path)
