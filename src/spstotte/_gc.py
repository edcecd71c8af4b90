"""The cyclic garbage collector held off while a rule set is read and compiled.

A compile allocates tens of thousands of small objects that live on (the rule set, its
conditions, the engine's tables) and makes almost no garbage in cycles (reference counting
frees the rest). Every 700 allocations the collector would look at them anyway, and now and
then at every object of the process (after the imports: some 50,000), which cost a third of a
first compile. Held off meanwhile, it runs as usual afterwards: it is switched back on by the
last of the compiles running at once, and only if it was on before the first began.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_holders = 0
_was_enabled = False


@contextmanager
def collector_paused() -> Iterator[None]:
    """Hold off the cyclic garbage collector inside the ``with`` block (nestable, and safe to
    use from several threads at once)."""
    global _holders, _was_enabled
    with _lock:
        if _holders == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _holders += 1
    try:
        yield
    finally:
        with _lock:
            _holders -= 1
            if _holders == 0 and _was_enabled:
                gc.enable()
