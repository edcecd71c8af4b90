"""Where the bundled rule files are: inside the installed package, or in the source checkout."""

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
