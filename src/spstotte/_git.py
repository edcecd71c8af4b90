"""A rule file as it was at a git revision (``FILE@REVISION``), read safely: the revision is
checked to be a name and passed after ``--end-of-options``, so that it can never reach git as
an option (``rules.yaml@--output=x`` would make ``git show`` write a file), and at most the
size of a rule file is read."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from .errors import InputError, Message
from .loader import MAX_FILE_BYTES

#: A git revision as people write one: a branch, tag, hash, HEAD~2, main^, v1.0.
REVISION = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._/~^-]{0,199}")


def show_file(path: str, revision: str) -> bytes:
    """The bytes of ``path`` at ``revision``.

    Raises:
        InputError: the revision is not a name, git is missing, or git cannot show the file.
    """
    spec = f"{path}@{revision}"
    if not REVISION.fullmatch(revision):
        raise InputError(Message.of("errors.git_revision", spec=spec, revision=revision))
    target = Path(path)
    return _bounded_output(["git", "show", "--end-of-options", f"{revision}:./{target.name}"],
                           target.parent, spec, Message.of("errors.git_show", path=path,
                                                           revision=revision))


def _bounded_output(command: list[str], folder: Path, spec: str, failure: Message) -> bytes:
    """git's output, at most the size of a rule file plus one byte."""
    try:
        with subprocess.Popen(command, cwd=str(folder) if str(folder) else None,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE) as process:
            assert process.stdout is not None and process.stderr is not None
            output = process.stdout.read(MAX_FILE_BYTES + 1)
            if len(output) > MAX_FILE_BYTES:
                process.kill()
            error = process.stderr.read(10_000)
            process.wait()
    except OSError as exc:
        raise InputError(Message.of("errors.git_failed", spec=spec, failure=failure,
                                    detail=str(exc))) from None
    if process.returncode != 0 and len(output) <= MAX_FILE_BYTES:
        message = error.decode(errors="replace").strip() or f"exit {process.returncode}"
        raise InputError(Message.of("errors.git_failed", spec=spec, failure=failure,
                                    detail=message[:500]))
    return output
