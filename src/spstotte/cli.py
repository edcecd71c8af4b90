"""The ``spstotte`` command: a thin adapter over the public API.

Exit codes: 0 success; 1 the rule files (or scenarios) have errors; 2 wrong command-line usage;
3 bad input (profile, municipality or date); 70 an internal error (please report it).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from .errors import (
    InputError,
    ProfileError,
    RuleSetError,
    ScenarioError,
    Severity,
    SpstotteError,
    UnknownMunicipalityError,
)

if TYPE_CHECKING:
    from .library import RuleLibrary
    from .resolve import ResolvedRuleSet
    from .verdict import Verdict

EXIT_OK = 0
EXIT_RULE_ERRORS = 1
EXIT_USAGE = 2
EXIT_BAD_INPUT = 3
EXIT_INTERNAL = 70
EXIT_OUTPUT = 74  # EX_IOERR: the output could not be written (closed stdout, disk full)
EXIT_INTERRUPTED = 130


def _profile_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("profile", help="profile file (YAML or JSON); '-' reads standard input")
    parser.add_argument("--municipality", "-m", required=True,
                        help="municipality code, name or rule-set name (e.g. 101)")
    parser.add_argument("--on", help="decision date YYYY-MM-DD (default: today)")
    parser.add_argument("--lang", choices=("da", "en"), default="da")
    _library_options(parser)


def _library_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--rules", help="law layer folder (default: the bundled rules/)")
    parser.add_argument("--municipalities", action="append",
                        help="folder of municipal rule sets (repeatable; default: bundled)")


def _percent(text: str) -> float:
    from .coverage import percent

    try:
        return percent(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="spstotte",
        description="Eligibility for socialpædagogisk støtte (serviceloven § 85) and "
                    "straksforløb (§ 82 b), per municipality.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    ev = sub.add_parser("evaluate", help="decide a citizen profile (YAML or JSON file)")
    _profile_options(ev)
    ev.add_argument("--format", choices=("text", "json"), default="text")

    va = sub.add_parser("validate", help="check rule files, or all bundled ones")
    va.add_argument("paths", nargs="*", help="municipality files or folders (default: bundled)")
    va.add_argument("--rules", help="law layer folder (default: the bundled rules/)")
    va.add_argument("--sources", help="folder of source texts, to check quotes")
    va.add_argument("--strict", action="store_true", help="treat warnings as errors")
    va.add_argument("--format", choices=("text", "json"), default="text")

    te = sub.add_parser("test", help="run legal test scenarios (*.scenarios.yaml)")
    te.add_argument("paths", nargs="*", default=None,
                    help="scenario files or folders (default: the bundled municipalities/)")
    te.add_argument("--junit", metavar="FILE", help="write a JUnit XML report")
    _library_options(te)
    te.add_argument("--coverage", action="store_true", help="print rule coverage")
    te.add_argument("--coverage-json", metavar="FILE", help="write rule coverage as JSON")
    te.add_argument("--fail-under", type=_percent, metavar="PERCENT",
                    help="fail if rule coverage is below PERCENT")
    te.add_argument("--quiet", "-q", action="store_true", help="only failures and the summary")

    ex = sub.add_parser("explain", help="a draft decision letter for a citizen profile")
    _profile_options(ex)
    ex.add_argument("--format", choices=("text", "markdown", "html"), default="text")

    rb = sub.add_parser("rulebook", help="a municipality's rules written out for people")
    rb.add_argument("municipality", help="municipality code, name, rule-set name or file")
    rb.add_argument("--format", choices=("markdown", "html", "text"), default="markdown")
    rb.add_argument("--lang", choices=("da", "en"), default="da")
    rb.add_argument("--rules", help="law layer folder (default: the bundled rules/)")

    di = sub.add_parser("diff", help="compare rule sets: municipalities, files, or file@revision")
    di.add_argument("rulesets", nargs="+", metavar="RULESET",
                    help="a municipality (code, name or rule-set name), a file, or "
                         "FILE@GIT-REVISION")
    di.add_argument("--lang", choices=("da", "en"), default="en",
                    help="language of the headings, change kinds and rule texts (default: en)")
    di.add_argument("--format", choices=("markdown", "html", "text"), default="markdown")
    di.add_argument("--rules", help="law layer folder (default: the bundled rules/)")
    di.add_argument("--output", "-o", metavar="FILE", help="write to FILE instead of stdout")

    sc = sub.add_parser("schema", help="JSON Schemas for editors (rules, profile, scenarios)")
    sc.add_argument("kind", nargs="?", choices=("rules", "profile", "scenarios"),
                    help="print one schema (default: all, with --write)")
    sc.add_argument("--write", metavar="DIR", help="write every schema into DIR")

    sub.add_parser("municipalities", help="list the municipalities with a rule set")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code (``sys.exit`` is left to the caller)."""
    if sys.stdout is None or sys.stderr is None:
        # Started with a closed standard output or error ('spstotte ... >&-'): nothing can be
        # said, and nothing decided should be lost silently.
        return EXIT_OUTPUT
    try:
        code = _main(argv)
        sys.stdout.flush()
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader went away (e.g. '| head'): stop quietly, as Unix tools do.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK
    except (OSError, ValueError) as exc:  # stdout closed or full ("/dev/full")
        _say(f"error: cannot write the output: {getattr(exc, 'strerror', None) or exc}")
        return EXIT_OUTPUT
    return code


def _say(message: str) -> None:
    try:
        print(message, file=sys.stderr)
    except (OSError, ValueError):  # pragma: no cover - stderr itself is gone
        pass


def _main(argv: Sequence[str] | None) -> int:
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse prints usage and exits 2 (0 for --help)
        return int(exc.code or 0)
    out = sys.stdout
    try:
        if args.command == "evaluate":
            return _evaluate(args, out)
        if args.command == "validate":
            return _validate(args, out)
        if args.command == "municipalities":
            return _municipalities(out)
        if args.command == "explain":
            return _explain(args, out)
        if args.command == "rulebook":
            return _rulebook(args, out)
        if args.command == "diff":
            return _diff(args, out)
        if args.command == "schema":
            return _schema(args, out)
        if args.command == "test":
            from .runner import run_cli

            return run_cli(args, out)
    except (ProfileError, UnknownMunicipalityError) as exc:
        _print_error(exc)
        return EXIT_BAD_INPUT
    except (RuleSetError, ScenarioError) as exc:
        for d in exc.diagnostics:
            print(d.one_line(), file=sys.stderr)
        return EXIT_RULE_ERRORS
    except SpstotteError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        raise  # handled by main()
    except OSError as exc:
        if exc.filename is None:
            raise  # the standard output: handled by main()
        # A file named on the command line cannot be written (--junit, -o, --write ...).
        _say(f"error: cannot write {exc.filename}: {exc.strerror or exc}; check the path "
             "and its permissions")
        return EXIT_BAD_INPUT
    except Exception as exc:  # a bug: say so without a traceback, unless asked for one
        if os.environ.get("SPSTOTTE_DEBUG"):
            raise
        print(f"internal error: {type(exc).__name__}: {exc} (set SPSTOTTE_DEBUG=1 for details "
              "and please report it)", file=sys.stderr)
        return EXIT_INTERNAL
    return EXIT_USAGE  # pragma: no cover - argparse requires a command


def _print_error(exc: SpstotteError) -> None:
    if isinstance(exc, ProfileError):
        for problem in exc.problems:
            print(problem.format().replace("\n  hint: ", "; hint: "), file=sys.stderr)
    else:
        print(f"error: {exc}", file=sys.stderr)


def _library(args: argparse.Namespace) -> RuleLibrary:
    from .library import RuleLibrary, default_library

    if args.rules or args.municipalities:
        return RuleLibrary(args.rules, args.municipalities)
    return default_library()


def _verdict(args: argparse.Namespace) -> Verdict | int:
    """Read the profile file and evaluate it; an int is an exit code (bad profile file)."""
    from .loader import load_yaml_file, load_yaml_text, read_stream_bounded
    from .profile import CitizenProfile

    try:
        if args.profile == "-":
            # Bytes, not text: a non-UTF-8 profile on stdin gets the same Y003 as from a file.
            stdin = getattr(sys.stdin, "buffer", None) if sys.stdin is not None else None
            loaded = load_yaml_text(read_stream_bounded(stdin, "<stdin>"), "<stdin>")
        else:
            loaded = load_yaml_file(args.profile)
    except RuleSetError as exc:  # the profile file itself is unreadable: bad input
        for d in exc.diagnostics:
            print(d.one_line(), file=sys.stderr)
        return EXIT_BAD_INPUT
    profile = CitizenProfile.parse(loaded.data, spans=loaded) \
        if isinstance(loaded.data, dict) else CitizenProfile.parse(loaded.data)
    return _library(args).evaluate(profile, municipality=args.municipality, on=args.on)


def _evaluate(args: argparse.Namespace, out: TextIO) -> int:
    from .render import verdict_json, verdict_text

    verdict = _verdict(args)
    if isinstance(verdict, int):
        return verdict
    out.write(verdict_json(verdict) if args.format == "json" else verdict_text(verdict, args.lang))
    return EXIT_OK


def _explain(args: argparse.Namespace, out: TextIO) -> int:
    from .decision import decision_text

    verdict = _verdict(args)
    if isinstance(verdict, int):
        return verdict
    out.write(decision_text(verdict, args.lang, args.format, library=_library(args)))
    return EXIT_OK


def _ruleset(spec: str, law_dir: str | None) -> ResolvedRuleSet:
    """A rule set named by a municipality, a file path, or FILE@GIT-REVISION."""
    from .library import RuleLibrary, default_library, load_many
    from .loader import iter_yaml_files, load_yaml_file, load_yaml_text
    from .resolve import resolve_loaded

    library = RuleLibrary(law_dir) if law_dir else default_library()
    path, _, revision = spec.partition("@")
    if revision:
        # A revision is a name, never an option: 'vejle.yaml@--output=x' must not reach git
        # as '--output' (it would write a file). Checked, and passed after --end-of-options.
        if not _REVISION.fullmatch(revision):
            raise InputError(f"{spec}: {revision!r} is not a git revision; write a branch, "
                             "tag or commit (letters, digits and . _ / ~ ^ -, not starting "
                             "with -)")
        target = Path(path)
        shown = _git_show(["git", "show", "--end-of-options", f"{revision}:./{target.name}"],
                          target.parent, spec, f"git could not show {path} at {revision}")
        loaded = load_yaml_text(shown, f"{path}@{revision}")
    elif Path(spec).is_file():
        loaded = load_yaml_file(spec)
    else:
        return library.ruleset(spec)
    law = load_many(list(iter_yaml_files(library.law_dir)))
    return resolve_loaded(law, loaded)


#: A git revision as people write one: a branch, tag, hash, HEAD~2, main^, v1.0.
_REVISION = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._/~^-]{0,199}")


def _git_show(command: list[str], folder: Path, spec: str, failure: str) -> bytes:
    """git's output, at most the size of a rule file plus one byte."""
    import subprocess

    from .loader import MAX_FILE_BYTES

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
        raise InputError(f"{spec}: {failure}: {exc}") from None
    if process.returncode != 0 and len(output) <= MAX_FILE_BYTES:
        message = error.decode(errors="replace").strip() or f"exit {process.returncode}"
        raise InputError(f"{spec}: {failure}: {message}")
    return output


def _rulebook(args: argparse.Namespace, out: TextIO) -> int:
    from .rulebooks import rulebook

    out.write(rulebook(_ruleset(args.municipality, args.rules), args.format, args.lang))
    return EXIT_OK


def _diff(args: argparse.Namespace, out: TextIO) -> int:
    from .diff import comparison_markdown, diff_markdown, diff_rulesets

    if len(args.rulesets) < 2:
        print("error: diff needs two or more rule sets", file=sys.stderr)
        return EXIT_USAGE
    rulesets = [_ruleset(spec, args.rules) for spec in args.rulesets]
    if len(rulesets) == 2:
        text = diff_markdown(diff_rulesets(rulesets[0], rulesets[1], args.lang), args.lang,
                             args.format)
    else:
        text = comparison_markdown(rulesets, args.lang, args.format)
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
    else:
        out.write(text)
    return EXIT_OK


def _schema(args: argparse.Namespace, out: TextIO) -> int:
    from .schema import schema_json, write_schemas

    if args.write:
        for path in write_schemas(Path(args.write)):
            out.write(f"wrote {path}\n")
        return EXIT_OK
    if not args.kind:
        print("error: name a schema (rules, profile, scenarios) or use --write DIR",
              file=sys.stderr)
        return EXIT_USAGE
    out.write(schema_json(args.kind))
    return EXIT_OK


def _validate(args: argparse.Namespace, out: TextIO) -> int:
    from .validate import validate_paths

    diagnostics, checked = validate_paths([Path(p) for p in args.paths], law_dir=args.rules,
                                          sources_dir=args.sources)
    errors = {d for d in diagnostics if d.severity is Severity.ERROR
              or (args.strict and d.severity is Severity.WARNING)}
    if args.format == "json":
        report = {"checked": checked, "diagnostics": [d.to_dict() for d in diagnostics]}
        out.write(json.dumps(report, ensure_ascii=False, indent=2) + "\n")
    else:
        for d in diagnostics:
            print(d.one_line(), file=sys.stderr if d in errors else out)
        status = "FAILED" if errors else "ok"
        notes = sum(d.severity is Severity.NOTE for d in diagnostics)
        warnings = len(diagnostics) - len(errors) - notes
        out.write(f"{status}: {len(checked)} rule set(s) checked, {len(errors)} error(s), "
                  f"{warnings} warning(s)" + (f", {notes} override(s) listed" if notes else "")
                  + "\n")
    return EXIT_RULE_ERRORS if errors else EXIT_OK


def _municipalities(out: TextIO) -> int:
    from .library import default_library

    for info in default_library().municipalities():
        out.write(f"{info.code}\t{info.name}\t{info.slug}\t{info.file}\n")
    return EXIT_OK



if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
