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
    nothing (see :mod:`spstotte._gc`).

    When the command is done, everything it allocated is frozen (:func:`gc.freeze`) before
    the interpreter exits. Python's shutdown collects garbage once more, over every object,
    enabled or not: for ``spstotte evaluate`` that was about 45 of its 310 ms, and found
    nothing worth freeing. Frozen objects are skipped. The ``atexit`` handlers still run and
    standard output and error are flushed; an object left alive in a cycle is not finalized,
    so every file a command writes is closed by the command itself (``with``), as it must be
    anyway: Python never promised to finalize what is alive at exit."""
    gc.disable()
    try:
        from .cli.main import main

        code = main()
    except KeyboardInterrupt:
        code = 130
    gc.freeze()
    sys.exit(code)
