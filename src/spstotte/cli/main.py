"""The ``spstotte`` command: a thin adapter over the public API.

Exit codes: 0 success; 1 the rule files (or scenarios) have errors; 2 wrong command-line usage;
3 bad input (profile, municipality or date); 70 an internal error (please report it).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from .._paths import display_path
from ..errors import (
    ExitCode,
    RuleSetError,
    Severity,
    SpstotteError,
)
from ..project import project_of

if TYPE_CHECKING:
    from ..library import RuleLibrary
    from ..ruleset.resolve import ResolvedRuleSet
    from ..verdict.model import Verdict



_LANG_HELP = ("language of the messages: da or en (default: the project's 'lang', else "
              "Danish where the locale is Danish, else English)")


def _report_language(args: argparse.Namespace) -> str:
    """The language problems are reported in: ``--lang``, else the project's setting, else
    the locale (:func:`spstotte.project.language`)."""
    from ..project import language

    try:
        project = project_of(args)
    except (SpstotteError, OSError):  # a broken settings file is reported where it is used
        args.__dict__.pop("project", None)
        project = None
    return language(getattr(args, "lang", None), project)


def _profile_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("profile", help="profile file (YAML or JSON); '-' reads standard input")
    parser.add_argument("--municipality", "-m", required=True,
                        help="municipality code, name or rule-set name (e.g. 101)")
    parser.add_argument("--on", help="decision date YYYY-MM-DD (default: today)")
    parser.add_argument("--lang", choices=("da", "en"),
                        help="language of the verdict (default: da) and of error messages")
    _library_options(parser)


def _library_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--rules", help="law layer folder (default: the bundled rules/)")
    parser.add_argument("--municipalities", action="append",
                        help="folder of municipal rule sets (repeatable; default: bundled)")


def _percent(text: str) -> float:
    from ..scenarios.coverage import percent

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
    parser.add_argument("--version", action="store_true",
                        help="print the versions of spstotte and its rule engine, and exit")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    ev = sub.add_parser("evaluate", help="decide a citizen profile (YAML or JSON file)")
    _profile_options(ev)
    ev.add_argument("--format", choices=("text", "json"), default="text")

    va = sub.add_parser("validate", help="check rule files, or all bundled ones")
    va.add_argument("paths", nargs="*", help="municipality files or folders (default: bundled)")
    va.add_argument("--rules", help="law layer folder (default: the bundled rules/)")
    va.add_argument("--sources", help="folder of source texts, to check quotes")
    va.add_argument("--strict", action="store_true", help="treat warnings as errors")
    va.add_argument("--format", choices=("text", "json", "github"), default="text",
                    help="github: GitHub Actions annotations at file:line:col, then the summary")
    va.add_argument("--lang", choices=("da", "en"), help=_LANG_HELP)

    te = sub.add_parser("test", help="run legal test scenarios (*.scenarios.yaml)")
    te.add_argument("paths", nargs="*", default=None,
                    help="scenario files or folders (default: the bundled municipalities/)")
    te.add_argument("--junit", metavar="FILE", help="write a JUnit XML report")
    _library_options(te)
    te.add_argument("--coverage", action="store_true", help="print rule coverage")
    te.add_argument("--coverage-json", metavar="FILE", help="write rule coverage as JSON")
    te.add_argument("--coverage-xml", metavar="FILE",
                    help="write rule coverage as Cobertura XML (for CI dashboards)")
    te.add_argument("--fail-under", type=_percent, metavar="PERCENT",
                    help="fail if rule coverage is below PERCENT (default: the project's "
                         "fail_under)")
    te.add_argument("--coverage-of", choices=("own", "law", "all"), default="own",
                    help="which rules --fail-under counts: the municipality's own (default), "
                         "the law layer's, or all")
    te.add_argument("--format", choices=("text", "github"), default="text",
                    help="github: also print GitHub Actions annotations at file:line")
    te.add_argument("--quiet", "-q", action="store_true", help="only failures and the summary")
    te.add_argument("--lang", choices=("da", "en"), help=_LANG_HELP)

    ex = sub.add_parser("explain", help="a draft decision letter for a citizen profile")
    _profile_options(ex)
    ex.add_argument("--format", choices=("text", "markdown", "html"), default="text")

    rb = sub.add_parser("rulebook", help="a municipality's rules written out for people")
    rb.add_argument("municipality", help="municipality code, name, rule-set name or file")
    rb.add_argument("--format", choices=("markdown", "html", "text"), default="markdown")
    rb.add_argument("--lang", choices=("da", "en"),
                    help="language of the rulebook (default: da) and of error messages")
    rb.add_argument("--rules", help="law layer folder (default: the bundled rules/)")
    rb.add_argument("--on", metavar="DATE",
                    help="the rule set as in force on DATE, YYYY-MM-DD (default: today)")

    di = sub.add_parser("diff", help="compare rule sets: municipalities, files, or file@revision")
    di.add_argument("rulesets", nargs="+", metavar="RULESET",
                    help="a municipality (code, name or rule-set name), a file, or "
                         "FILE@GIT-REVISION")
    di.add_argument("--lang", choices=("da", "en"),
                    help="language of the headings, change kinds and rule texts (default: en) "
                         "and of error messages")
    di.add_argument("--format", choices=("markdown", "html", "text"), default="markdown")
    di.add_argument("--rules", help="law layer folder (default: the bundled rules/)")
    di.add_argument("--output", "-o", metavar="FILE", help="write to FILE instead of stdout")
    di.add_argument("--on", metavar="DATE",
                    help="compare the rule sets as in force on DATE, YYYY-MM-DD (default: today)")
    di.add_argument("--between", nargs=2, metavar=("FROM", "TO"),
                    help="compare one rule set as in force on two dates (YYYY-MM-DD)")

    from .batch import add_parser as add_batch_parser

    add_batch_parser(sub, _LANG_HELP)
    from .impact import add_parsers as add_impact_parsers

    add_impact_parsers(sub, _LANG_HELP)

    from .serve import add_parser as add_serve_parser

    add_serve_parser(sub, _LANG_HELP)

    rp = sub.add_parser("replay", help="decide a stored verdict again and compare")
    rp.add_argument("verdict", help="a verdict stored as JSON (spstotte evaluate --format json)")
    rp.add_argument("--today", nargs="?", const="", metavar="DATE",
                    help="also decide the same profile on DATE (default: today)")
    rp.add_argument("--format", choices=("text", "json"), default="text")
    rp.add_argument("--lang", choices=("da", "en"), help=_LANG_HELP)
    _library_options(rp)

    sc = sub.add_parser("schema", help="JSON Schemas for editors (rules, profile, scenarios)")
    sc.add_argument("kind", nargs="?", choices=("rules", "profile", "scenarios"),
                    help="print one schema (default: all, with --write)")
    sc.add_argument("--write", metavar="DIR", help="write every schema into DIR")

    mu = sub.add_parser("municipalities", help="list the municipalities with a rule set")
    mu.add_argument("--municipalities", action="append",
                    help="folder of municipal rule sets (repeatable; default: the project's, "
                         "else the bundled ones)")

    it = sub.add_parser("init", help="lay out a municipality's own rule repository")
    it.add_argument("slug", nargs="?", help="the rule set's id, e.g. aarhus (default: from the "
                    "municipality's name)")
    it.add_argument("--code", help="the municipality: its code or name (default: the slug)")
    it.add_argument("--dir", dest="folder", metavar="DIR",
                    help="the repository's folder (default: a new folder named after the slug)")
    it.add_argument("--lang", choices=("da", "en"), help=_LANG_HELP)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code (``sys.exit`` is left to the caller)."""
    if sys.stdout is None or sys.stderr is None:
        # Started with a closed standard output or error ('spstotte ... >&-'): nothing can be
        # said, and nothing decided should be lost silently.
        return ExitCode.OUTPUT
    try:
        code = _main(argv)
        sys.stdout.flush()
    except KeyboardInterrupt:
        return ExitCode.INTERRUPTED
    except BrokenPipeError:
        # The reader went away (e.g. '| head'): stop quietly, as Unix tools do.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return ExitCode.OK
    except (OSError, ValueError) as exc:  # stdout closed or full ("/dev/full")
        _say(_words("cannot_write_output", None,
                    reason=getattr(exc, "strerror", None) or exc))
        return ExitCode.OUTPUT
    return code


def _words(key: str, lang: str | None, **values: object) -> str:
    """A message of the command itself (texts.yaml, ``command``), in ``lang`` (None: the
    locale's, see :func:`spstotte.project.language`)."""
    from ..project import language
    from ..texts import text

    return text(f"command.{key}", language(lang), **values)


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
    if args.version:
        out.write(_versions())
        return ExitCode.OK
    if args.command is None:
        parser.print_usage(sys.stderr)
        _say(_words("no_command", getattr(args, "lang", None)))
        return ExitCode.USAGE
    # The language of problems reported: --lang, the project's setting, the locale.
    args.report_lang = _report_language(args)
    try:
        return _COMMANDS[args.command](args, out)
    except SpstotteError as exc:  # each error class says what to print and how to end
        for line in exc.report_lines(args.report_lang, excerpts=True):
            print(line, file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return ExitCode.INTERRUPTED
    except BrokenPipeError:
        raise  # handled by main()
    except OSError as exc:
        if exc.filename is None:
            raise  # the standard output: handled by main()
        # A file named on the command line cannot be written (--junit, -o, --write ...).
        _say(_words("cannot_write_file", args.report_lang, file=exc.filename,
                    reason=exc.strerror or exc))
        return ExitCode.BAD_INPUT
    except Exception as exc:  # a bug: say so without a traceback, unless asked for one
        if os.environ.get("SPSTOTTE_DEBUG"):
            raise
        _say(_words("internal_error", args.report_lang, error=f"{type(exc).__name__}: {exc}"))
        return ExitCode.INTERNAL


def _library(args: argparse.Namespace) -> RuleLibrary:
    from ..library import RuleLibrary

    return RuleLibrary.from_options(args.rules, args.municipalities, project_of(args))


def _verdict(args: argparse.Namespace) -> Verdict | int:
    """Read the profile file and evaluate it; an int is an exit code (bad profile file)."""
    from ..loader import load_yaml_file, load_yaml_text, read_stream_bounded
    from ..profile import CitizenProfile

    try:
        if args.profile == "-":
            # Bytes, not text: a non-UTF-8 profile on stdin gets the same Y003 as from a file.
            stdin = getattr(sys.stdin, "buffer", None) if sys.stdin is not None else None
            loaded = load_yaml_text(read_stream_bounded(stdin, "<stdin>"), "<stdin>")
        else:
            loaded = load_yaml_file(args.profile)
    except RuleSetError as exc:  # the profile file itself is unreadable: bad input
        for d in exc.diagnostics:
            print(d.format(args.report_lang, excerpt=True), file=sys.stderr)
        return ExitCode.BAD_INPUT
    profile = CitizenProfile.parse(loaded.data, spans=loaded) \
        if isinstance(loaded.data, dict) else CitizenProfile.parse(loaded.data)
    return _library(args).evaluate(profile, municipality=args.municipality, on=args.on)


def _evaluate(args: argparse.Namespace, out: TextIO) -> int:
    from ..render.formats import verdict_json, verdict_text

    verdict = _verdict(args)
    if isinstance(verdict, int):
        return verdict
    out.write(verdict_json(verdict) if args.format == "json"
              else verdict_text(verdict, args.lang or "da"))
    return ExitCode.OK


def _explain(args: argparse.Namespace, out: TextIO) -> int:
    from ..render.decision import decision_text

    verdict = _verdict(args)
    if isinstance(verdict, int):
        return verdict
    out.write(decision_text(verdict, args.lang or "da", args.format, library=_library(args)))
    return ExitCode.OK


def _ruleset(spec: str, args: argparse.Namespace, on: str | None = None) -> ResolvedRuleSet:
    """A rule set named by a municipality, a file path, or FILE@GIT-REVISION. Inside a
    municipality's repository its own rule sets come first; a municipality it does not have
    is looked up among the bundled ones (to compare with, for instance)."""
    from ..errors import UnknownMunicipalityError
    from ..library import RuleLibrary

    library = RuleLibrary.from_options(args.rules, None, project_of(args))
    try:
        return library.load_ruleset(spec, on)
    except UnknownMunicipalityError:
        if project_of(args) is None:
            raise
        return RuleLibrary.from_options(args.rules).load_ruleset(spec, on)


def _rulebook(args: argparse.Namespace, out: TextIO) -> int:
    from ..render.rulebooks import rulebook

    out.write(rulebook(_ruleset(args.municipality, args, args.on), args.format,
                       args.lang or "da"))
    return ExitCode.OK


def _replay(args: argparse.Namespace, out: TextIO) -> int:
    from ..loader import read_bounded, read_stream_bounded
    from ..render.formats import verdict_json

    raw = (read_stream_bounded(sys.stdin.buffer, "<stdin>") if args.verdict == "-"
           else read_bounded(args.verdict))
    replay = _library(args).replay(raw.decode("utf-8", "replace"),
                                   today=None if args.today is None else (args.today or None)
                                   or _today())
    lang = args.report_lang
    if args.format == "json":
        data = {"identical": replay.identical, "same_outcome": replay.same_outcome,
                "same_reasons": replay.same_reasons, "same_rules": replay.same_rules,
                "again": json.loads(verdict_json(replay.again))}
        if replay.today is not None:
            data["today"] = json.loads(verdict_json(replay.today))
        out.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")
    else:
        stored, again = replay.stored, replay.again
        out.write(_words("replay_head", lang, date=stored.decision_date.isoformat(),
                         municipality=stored.municipality_name) + "\n")
        out.write(_words("replay_outcome", lang, stored=stored.outcome.value,
                         again=again.outcome.value,
                         same=_words("same" if replay.same_outcome else "differs", lang)) + "\n")
        out.write(_words("replay_reasons", lang,
                         stored=", ".join(r.code for r in stored.reasons) or "-",
                         again=", ".join(r.code for r in again.reasons) or "-",
                         same=_words("same" if replay.same_reasons else "differs", lang)) + "\n")
        out.write(_words("replay_rules", lang, hash=again.record.ruleset_hash[:19],
                         period=_period_words(again, lang),
                         same=_words("same" if replay.same_rules else "differs", lang)) + "\n")
        if replay.today is not None:
            now = replay.today
            out.write(_words("replay_today", lang, date=now.decision_date.isoformat(),
                             outcome=now.outcome.value,
                             reasons=", ".join(r.code for r in now.reasons) or "-") + "\n")
        out.write(_words("replay_identical" if replay.identical else "replay_different",
                         lang) + "\n")
    return ExitCode.OK if replay.identical else ExitCode.RULE_ERRORS


def _batch(args: argparse.Namespace, out: TextIO) -> int:
    from .batch import run_batch

    return run_batch(args, out)


def _impact(args: argparse.Namespace, out: TextIO) -> int:
    from .impact import run_impact

    return run_impact(args, out)


def _cases(args: argparse.Namespace, out: TextIO) -> int:
    from .impact import run_cases

    return run_cases(args, out)


def _serve(args: argparse.Namespace, out: TextIO) -> int:
    from .serve import run_serve

    return run_serve(args, out)


def _today() -> str:
    from datetime import date

    return date.today().isoformat()


def _period_words(verdict: Verdict, lang: str | None) -> str:
    from ..project import language
    from ..ruleset.resolve.periods import Period

    record = verdict.record
    return Period(record.ruleset_valid_from, record.ruleset_valid_to).words(language(lang))


def _diff(args: argparse.Namespace, out: TextIO) -> int:
    from ..render.diff import comparison_markdown, diff_markdown, diff_rulesets

    if args.between:
        if len(args.rulesets) != 1:
            _say(_words("diff_between_one", args.report_lang))
            return ExitCode.USAGE
        rulesets = [_ruleset(args.rulesets[0], args, day) for day in args.between]
    elif len(args.rulesets) < 2:
        _say(_words("diff_needs_two", args.report_lang))
        return ExitCode.USAGE
    else:
        rulesets = [_ruleset(spec, args, args.on) for spec in args.rulesets]
    lang = args.lang or "en"
    if len(rulesets) == 2:
        text = diff_markdown(diff_rulesets(rulesets[0], rulesets[1], lang), lang, args.format)
    else:
        text = comparison_markdown(rulesets, lang, args.format)
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
    else:
        out.write(text)
    return ExitCode.OK


def _schema(args: argparse.Namespace, out: TextIO) -> int:
    from ..schema import schema_json, write_schemas

    if args.write:
        for path in write_schemas(Path(args.write)):
            out.write(_words("wrote", args.report_lang, path=path) + "\n")
        return ExitCode.OK
    if not args.kind:
        _say(_words("name_a_schema", args.report_lang))
        return ExitCode.USAGE
    out.write(schema_json(args.kind))
    return ExitCode.OK


def _validate(args: argparse.Namespace, out: TextIO) -> int:
    from .validate import validate_paths, validate_summary

    diagnostics, checked = validate_paths([Path(p) for p in args.paths], law_dir=args.rules,
                                          sources_dir=args.sources, project=project_of(args))
    errors = {d for d in diagnostics if d.severity is Severity.ERROR
              or (args.strict and d.severity is Severity.WARNING)}
    lang = args.report_lang
    if args.format == "json":
        report = {"checked": checked, "diagnostics": [d.to_dict(lang) for d in diagnostics]}
        out.write(json.dumps(report, ensure_ascii=False, indent=2) + "\n")
    else:
        if args.format == "github":
            from ..render.annotations import Level, annotation

            tip = "tip" if lang == "da" else "hint"
            for d in diagnostics:
                level: Level = ("error" if d in errors
                                else "notice" if d.severity is Severity.NOTE else "warning")
                hint = d.hint_in(lang)
                message = d.message_in(lang) + (f" ({tip}: {hint})" if hint else "")
                out.write(annotation(level, message, title=d.code,
                                     file=d.span.file if d.span else None,
                                     line=d.span.line if d.span else None,
                                     col=d.span.col if d.span else None) + "\n")
        for d in diagnostics:
            print(d.format(lang, excerpt=True), file=sys.stderr if d in errors else out)
        notes = sum(d.severity is Severity.NOTE for d in diagnostics)
        out.write(validate_summary(lang, checked=len(checked), errors=len(errors),
                                   warnings=len(diagnostics) - len(errors) - notes,
                                   notes=notes) + "\n")
    return ExitCode.RULE_ERRORS if errors else ExitCode.OK


def _versions() -> str:
    from importlib import metadata

    from ..library import library_version

    try:
        engine = metadata.version("durable_rules")
    except metadata.PackageNotFoundError:  # pragma: no cover - a dependency
        engine = "unknown"
    return (f"spstotte {library_version()}\ndurable_rules {engine}\n"
            f"python {sys.version.split()[0]}\n")


def _init(args: argparse.Namespace, out: TextIO) -> int:
    from ..library import library_version
    from .init import init_project

    if args.slug is None and args.code is None:
        _say(_words("init_name", args.report_lang))
        return ExitCode.USAGE
    if args.folder is not None and not args.folder.strip():
        from ..errors import InputError, Message

        raise InputError(Message.of("errors.init_folder"))
    folder = Path(args.folder) if args.folder is not None else None
    version = library_version()
    created = init_project(args.slug, folder, code=args.code,
                           version=version if "unknown" not in version else "0.1.0")
    lang = args.report_lang
    out.write(_words("init_done", lang, name=created.name, code=created.code,
                     root=created.root) + "\n")
    for file in created.files:
        out.write(f"  {file}\n")
    out.write("\n" + _words("init_next", lang, readme=created.root / "README.md",
                            root=created.root) + "\n")
    return ExitCode.OK


def _municipalities(args: argparse.Namespace, out: TextIO) -> int:
    from ..library import RuleLibrary

    library = RuleLibrary.from_options(None, args.municipalities, project_of(args))
    for info in library.municipalities():
        out.write(f"{info.code}\t{info.name}\t{info.slug}\t{display_path(info.file)}\n")
    return ExitCode.OK


def _test(args: argparse.Namespace, out: TextIO) -> int:
    from ..scenarios.runner import run_cli

    # Any number of scenarios: the garbage collector runs (off while a command starts, see
    # spstotte._entry).
    gc.enable()
    return run_cli(args, out)


#: Each command's function: it takes the parsed arguments and the output, and gives the exit
#: code.
_COMMANDS: dict[str, Callable[[argparse.Namespace, TextIO], int]] = {
    "init": _init, "evaluate": _evaluate, "validate": _validate, "replay": _replay,
    "batch": _batch, "impact": _impact, "cases": _cases,
    "municipalities": _municipalities, "explain": _explain, "rulebook": _rulebook,
    "diff": _diff, "schema": _schema, "test": _test, "serve": _serve,
}


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
