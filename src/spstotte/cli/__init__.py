"""The ``spstotte`` command: a thin adapter over the public API.

Takes command-line arguments, files and standard input. Gives output (text, JSON, documents)
and an exit code: each error class carries its own code and report lines
(:mod:`spstotte.errors`).

* :mod:`.main`: the commands;
* :mod:`.validate`: ``spstotte validate``, every rule file resolved, compiled and linted, its
  quotes checked (also the public :func:`spstotte.validate_paths`);
* :mod:`.docgen`: the reference pages generated from the code
  (``python -m spstotte.cli.docgen docs``).

Invariants: no decision is made here; no other stage imports this package, only the package's
front doors do (:func:`spstotte.validate_paths`, and ``_entry`` for the command).
"""
