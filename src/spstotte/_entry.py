"""The ``spstotte`` command's entry point: a Ctrl-C at any moment, even while the library is
still loading, ends the command quietly with exit code 130 (no traceback)."""

from __future__ import annotations

import sys


def run() -> None:
    """Run the command line and exit with its code."""
    try:
        from .cli.main import main

        code = main()
    except KeyboardInterrupt:
        code = 130
    sys.exit(code)
