"""The ``spstotte`` command's entry point: a Ctrl-C at any moment, even while the library is
still loading, ends the command quietly with exit code 130 (no traceback)."""

from __future__ import annotations

import gc
import sys


def run() -> None:
    """Run the command line and exit with its code.

    The cyclic garbage collector is off while the command runs (``test`` turns it back on):
    a command allocates its modules, models and rule sets, which live until it exits, and
    almost no garbage in cycles; each of the collector's rounds over them cost time and freed
    nothing (see :mod:`spstotte._gc`)."""
    gc.disable()
    try:
        from .cli.main import main

        code = main()
    except KeyboardInterrupt:
        code = 130
    sys.exit(code)
