"""Parsed rule files kept on disk between processes, keyed by the bytes they were read from.

Reading YAML is the largest single step of a process's first rule set (about 13 ms of the
bundled build's 57, docs/performance.md, "Cold start"). A rule file that the loader has read
once, without a problem, is kept here as its data and the positions of its keys and values;
a later process that reads the very same bytes takes them from here instead of parsing again.

What makes an entry safe to use:

* its name is the SHA-256 of the file's bytes, so a changed file is never served the old
  data; and it lives in a folder named after the reader itself (the loader's own source, the
  limits it applies, PyYAML's version and this Python's), so a changed reader starts afresh;
* only rule files and the package's own data files are kept (``load_yaml_text(...,
  cache=True)``), never a citizen's profile or any other input: nothing personal is written;
* only a file the loader read the fast way, with no problem, is kept: every problem is found
  and reported by reading the file, as always;
* the entry carries the SHA-256 of its own contents, checked before it is read, so a cut-off
  or damaged entry is ignored (and written again); anything unexpected in it is too;
* the folder is the user's alone: made for the user only, and not used at all if it belongs
  to someone else or others may write to it.

The folder is ``$SPSTOTTE_CACHE_DIR`` if set (``off`` switches the cache off), else the
user's cache folder (``$XDG_CACHE_HOME/spstotte``, ``~/.cache/spstotte``; on macOS
``~/Library/Caches/spstotte``, on Windows ``%LOCALAPPDATA%\\spstotte\\Cache``). A folder that
cannot be created or written is not an error: the files are then read as if there were no
cache. Entries are written to a temporary file and renamed into place, so processes that
share the folder never read half an entry.
"""

from __future__ import annotations

import functools
import hashlib
import marshal
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Final

#: The environment variable that names the folder (or ``off``).
CACHE_ENV: Final = "SPSTOTTE_CACHE_DIR"
#: Entries kept per reader folder: beyond this, the least recently written are removed.
MAX_ENTRIES: Final = 512
#: Reader folders (other versions of the loader) untouched this long are removed.
STALE_SECONDS: Final = 30 * 24 * 3600

_MAGIC: Final = b"spstotte parsed YAML 1\n"
_DIGEST: Final = 32  # bytes of SHA-256

#: What an entry holds: the data, and the positions of values and of keys by data path,
#: each packed as one number (loader.py, ``_COLUMN_BITS``).
Parsed = tuple[Any, dict[tuple[str | int, ...], int], dict[tuple[str | int, ...], int]]


class ParsedFileCache:
    """Parsed files in one folder (see the module's description)."""

    def __init__(self, directory: Path, reader: str) -> None:
        #: The folder of this reader's entries.
        self.directory = directory / "parsed" / reader
        self._root = directory / "parsed"
        self._pruned = False
        self._trusted: bool | None = None

    def trusted(self) -> bool:
        """Whether the folder is this user's alone (POSIX): owned by the user and writable by
        nobody else, as the cache creates it. A folder others can write to is not read from,
        nor written to: an entry there could have been put there by someone else."""
        if self._trusted is None:
            try:
                info = self.directory.stat()
            except FileNotFoundError:
                return True  # not made yet: the cache makes it, for the user alone
            except OSError:
                info = None
            self._trusted = info is not None and (
                not hasattr(os, "getuid")
                or (info.st_uid == os.getuid() and not info.st_mode & 0o022))
        return self._trusted

    def get(self, digest: str) -> Parsed | None:
        """What was kept for a file whose bytes have this SHA-256 (hex), or None."""
        if not self.trusted():
            return None
        try:
            blob = (self.directory / digest).read_bytes()
        except OSError:
            return None
        head = len(_MAGIC)
        if blob[:head] != _MAGIC:
            return None
        payload = blob[head + _DIGEST:]
        if hashlib.sha256(payload).digest() != blob[head:head + _DIGEST]:
            return None
        try:
            kept = marshal.loads(payload)
        except (EOFError, ValueError, TypeError):
            return None
        if (type(kept) is not tuple or len(kept) != 3
                or type(kept[1]) is not dict or type(kept[2]) is not dict):
            return None
        return kept[0], kept[1], kept[2]

    def put(self, digest: str, parsed: Parsed) -> None:
        """Keep what a file whose bytes have this SHA-256 (hex) was read as; quietly nothing
        if it cannot be."""
        try:
            payload = marshal.dumps(parsed)
        except ValueError:  # a value marshal cannot write: the loader makes none
            return
        blob = _MAGIC + hashlib.sha256(payload).digest() + payload
        try:
            self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
            if not self.trusted():
                return
            handle, temporary = tempfile.mkstemp(dir=self.directory, prefix=".tmp-")
            try:
                with os.fdopen(handle, "wb") as out:
                    out.write(blob)
                os.replace(temporary, self.directory / digest)
            except BaseException:
                Path(temporary).unlink(missing_ok=True)
                raise
        except OSError:
            return
        if not self._pruned:
            self._pruned = True
            self._prune()

    def _prune(self) -> None:
        """Keep the folder small: at most MAX_ENTRIES entries of this reader, and no folder of
        another reader that has not been written for STALE_SECONDS."""
        try:
            entries = sorted(self.directory.iterdir(), key=lambda p: p.stat().st_mtime)
            for old in entries[:max(len(entries) - MAX_ENTRIES, 0)]:
                old.unlink(missing_ok=True)
            now = time.time()
            for other in self._root.iterdir():
                if other != self.directory and now - other.stat().st_mtime > STALE_SECONDS:
                    for entry in other.iterdir():
                        entry.unlink(missing_ok=True)
                    other.rmdir()
        except OSError:
            return


def default_directory() -> Path | None:
    """The user's cache folder for spstotte, or None where there is none."""
    try:
        if sys.platform == "win32":
            base = os.environ.get("LOCALAPPDATA")
            return Path(base) / "spstotte" / "Cache" if base else None
        if sys.platform == "darwin":
            return Path.home() / "Library" / "Caches" / "spstotte"
        base = os.environ.get("XDG_CACHE_HOME")
        return (Path(base) if base else Path.home() / ".cache") / "spstotte"
    except RuntimeError:  # no home folder
        return None


def cache_for(reader: str) -> ParsedFileCache | None:
    """The cache that ``$SPSTOTTE_CACHE_DIR`` names now (None if it is ``off``, or if there is
    no folder for it), for a reader whose identity is ``reader``."""
    setting = os.environ.get(CACHE_ENV, "").strip()
    if setting.lower() == "off":
        return None
    directory = Path(setting) if setting else default_directory()
    return None if directory is None else _cache(directory, reader)


@functools.lru_cache(maxsize=8)
def _cache(directory: Path, reader: str) -> ParsedFileCache:
    return ParsedFileCache(directory, reader)
