"""``spstotte impact``: a caseload decided under two rule sets, and what the change does
(docs/impact.md); ``spstotte cases``: a synthetic caseload to try it on."""

from __future__ import annotations

import argparse
import io
import os
import sys
from pathlib import Path
from typing import IO, Any, TextIO

from ..errors import ExitCode, InputError, Message

#: The most cases ``spstotte cases`` writes in one go.
MOST_CASES = 10_000_000


def add_parsers(sub: Any, lang_help: str) -> None:
    im = sub.add_parser("impact", help="decide a caseload under two rule sets and report "
                                       "what changes (text, JSON or HTML)")
    im.add_argument("input", help="JSON Lines or CSV file, one citizen per row; '-' reads stdin")
    im.add_argument("--before", required=True, metavar="RULESET",
                    help="the rule set now: a municipality, a rule file or FILE@GIT-REVISION")
    im.add_argument("--after", metavar="RULESET",
                    help="the rule set to compare with (default: --before, on --after-on)")
    im.add_argument("--on", help="decision date of the cases, YYYY-MM-DD (default: today)")
    im.add_argument("--after-on", metavar="DATE",
                    help="decision date under --after (default: --on)")
    im.add_argument("--format", choices=("text", "json", "html"),
                    help="default: from the output file's suffix (.json, .html), else text")
    im.add_argument("--output", "-o", default="-", help="output file; '-' writes stdout")
    im.add_argument("--input-format", choices=("jsonl", "csv"),
                    help="default: from the input file's suffix, else jsonl")
    im.add_argument("--samples", type=int, default=3, metavar="N",
                    help="cases of each transition shown side by side (default: 3)")
    im.add_argument("--show-ids", type=int, default=20, metavar="N",
                    help="citizens' ids listed per transition in text and HTML (default: 20; "
                         "0: none, for a report that leaves the office); JSON lists all")
    im.add_argument("--workers", type=int, default=None,
                    help="processes to decide in (default: the number of CPUs)")
    im.add_argument("--lang", choices=("da", "en"),
                    help="language of the report (default: da) and of error messages")
    im.add_argument("--rules", help="law layer folder (default: the bundled rules/)")
    im.add_argument("--municipalities", action="append",
                    help="folder of municipal rule sets (repeatable; default: bundled)")

    ca = sub.add_parser("cases", help="write a synthetic caseload (made-up citizens) to try "
                                      "batch and impact on")
    ca.add_argument("--generate", type=int, required=True, metavar="N",
                    help="how many cases")
    ca.add_argument("--seed", type=int, default=0, help="the random seed (default: 0); the "
                    "same seed, N, municipality and date give the same file")
    ca.add_argument("--municipality", "-m",
                    help="where most of the citizens live (code or name; default: anywhere)")
    ca.add_argument("--on", help="the decision date the ages are counted to (default: today)")
    ca.add_argument("--output", "-o", default="-", help="output file; '-' writes stdout")
    ca.add_argument("--format", choices=("jsonl", "csv"),
                    help="default: from the output file's suffix, else jsonl")
    ca.add_argument("--lang", choices=("da", "en"), help=lang_help)


def _format(given: str | None, output: str, suffixes: dict[str, str], default: str) -> str:
    if given:
        return given
    return suffixes.get(Path(output).suffix.lower(), default) if output != "-" else default


def run_impact(args: argparse.Namespace, out: TextIO) -> int:
    from ..batch.impact import impact
    from ..batch.impact_report import impact_html, impact_json, impact_text
    from ..batch.output import format_of
    from ..batch.rows import read_rows
    from ..library import RuleLibrary
    from ..project import project_of

    lang = args.lang or "da"
    if args.after is None and args.after_on is None:
        raise InputError(Message.of("errors.impact_one_side"))
    fmt = _format(args.format, args.output, {".json": "json", ".html": "html",
                                             ".htm": "html"}, "text")
    in_fmt = format_of(args.input, args.input_format, "jsonl")
    if in_fmt not in ("jsonl", "csv"):
        raise InputError(Message.of("errors.batch_input_format", format=in_fmt))
    library = RuleLibrary.from_options(args.rules, args.municipalities, project_of(args))
    source: IO[str] = (io.TextIOWrapper(sys.stdin.buffer, encoding="utf-8-sig")
                       if args.input == "-" else
                       open(args.input, encoding="utf-8-sig", newline=""))
    try:
        report = impact(read_rows(source, in_fmt),  # type: ignore[arg-type]
                        before=args.before, after=args.after, on=args.on,
                        after_on=args.after_on, library=library,
                        workers=args.workers or os.cpu_count() or 1,
                        samples=max(args.samples, 0), lang=lang)
    finally:
        source.close()
    if fmt == "json":
        written = impact_json(report, lang)
    elif fmt == "html":
        written = impact_html(report, lang, args.show_ids)
    else:
        written = impact_text(report, lang, args.show_ids)
    if args.output == "-":
        out.write(written)
    else:
        Path(args.output).write_text(written, encoding="utf-8")
    return ExitCode.OK


def run_cases(args: argparse.Namespace, out: TextIO) -> int:
    from ..batch.cases import generate_cases, write_cases
    from ..library import _decision_date
    from ..municipalities import MunicipalityLookupError, municipality_code
    from ..texts import text

    if not 1 <= args.generate <= MOST_CASES:
        raise InputError(Message.of("errors.cases_count", n=args.generate, most=MOST_CASES))
    code = None
    if args.municipality is not None:
        try:
            code = municipality_code(args.municipality)
        except MunicipalityLookupError as exc:
            raise InputError(exc.message) from None
    day = _decision_date(args.on)
    fmt = _format(args.format, args.output, {".csv": "csv", ".jsonl": "jsonl",
                                             ".ndjson": "jsonl"}, "jsonl")
    cases = generate_cases(args.generate, args.seed, code, day)
    if args.output == "-":
        write_cases(cases, out, fmt)  # type: ignore[arg-type]
        return ExitCode.OK
    with open(args.output, "w", encoding="utf-8", newline="") as handle:
        n = write_cases(cases, handle, fmt)  # type: ignore[arg-type]
    sys.stderr.write(text("impact.cases_written", args.report_lang, n=f"{n:,}",
                          output=args.output, seed=args.seed) + "\n")
    return ExitCode.OK
