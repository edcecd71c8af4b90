"""``spstotte test``: run scenario files without pytest, with JUnit XML and rule coverage."""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path
from typing import TextIO
from xml.etree import ElementTree

from ..errors import ExitCode
from ..library import RuleLibrary
from ..render.formats import verdict_text
from .format import ScenarioResult, run_paths


def failure_report(result: ScenarioResult, lang: str = "da") -> str:
    """Expected against actual, then the actual verdict's trail."""
    scenario = result.scenario
    lines = [f"{scenario.location}: scenario {scenario.name!r} "
             f"({scenario.municipality}, {scenario.on.isoformat()})"]
    if result.error:
        lines.append(f"  error: {result.error}")
    lines.extend(f"  {failure}" for failure in result.failures)
    if result.verdict is not None:
        lines.append("  actual verdict:")
        lines.extend("    " + line for line in verdict_text(result.verdict, lang).splitlines())
    return "\n".join(lines)


#: Characters XML 1.0 does not allow anywhere, not even escaped.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _xml(text: str) -> str:
    """Text an XML 1.0 reader accepts: a forbidden character (a control character from a
    "\x01" escape in a scenario name) is written as its \\x escape."""
    return _NOT_XML.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def junit_xml(results: list[ScenarioResult], seconds: float) -> str:
    """A JUnit XML report: one test case per scenario, named by file and scenario name."""
    failed = sum(not r.passed for r in results)
    suite = ElementTree.Element("testsuite", name="spstotte scenarios", tests=str(len(results)),
                                failures=str(failed), errors="0", time=f"{seconds:.3f}")
    for result in results:
        case = ElementTree.SubElement(
            suite, "testcase", classname=_xml(result.scenario.span.file),
            name=_xml(result.scenario.name), file=_xml(result.scenario.span.file),
            line=str(result.scenario.span.line))
        if not result.passed:
            message = result.error or "; ".join(result.failures)
            failure = ElementTree.SubElement(case, "failure", message=_xml(message))
            failure.text = _xml(failure_report(result))
    return ElementTree.tostring(suite, encoding="unicode", xml_declaration=True)


def run_cli(args: argparse.Namespace, out: TextIO) -> int:
    """Run the ``test`` command; 0 if every scenario passed (and coverage is high enough)."""
    from .._paths import bundled_dirs
    from .coverage import coverage_of, coverage_table

    library = RuleLibrary.from_options(args.rules, args.municipalities)
    paths = [Path(p) for p in args.paths] if args.paths else [bundled_dirs()[1]]
    missing = [p for p in paths if not p.exists()]
    if missing:
        print(f"error: no such file or folder: {', '.join(map(str, missing))}", file=sys.stderr)
        return ExitCode.BAD_INPUT
    start = time.perf_counter()
    results, problems = run_paths(paths, library)
    seconds = time.perf_counter() - start
    for problem in problems:
        print(problem.format(getattr(args, "report_lang", "en"), excerpt=True), file=sys.stderr)
    for result in results:
        if not result.passed:
            out.write("FAIL " + failure_report(result) + "\n\n")
        elif not args.quiet:
            out.write(f"ok   {result.scenario.location}: {result.scenario.name}\n")
    passed = sum(r.passed for r in results)
    failed = len(results) - passed
    if args.junit:
        Path(args.junit).write_text(junit_xml(results, seconds), encoding="utf-8")
    status = ExitCode.RULE_ERRORS if failed or problems or not results else ExitCode.OK
    if args.coverage or args.coverage_json or args.fail_under is not None:
        report = coverage_of(results, library)
        if args.coverage:
            out.write(coverage_table(report))
        if args.coverage_json:
            Path(args.coverage_json).write_text(
                json.dumps(report.to_json(), ensure_ascii=False, indent=2) + "\n",
                encoding="utf-8")
        if args.fail_under is not None and report.percent < args.fail_under:
            out.write(f"rule coverage {report.percent:.1f}% is below {args.fail_under:g}%\n")
            status = ExitCode.RULE_ERRORS
    summary = f"{passed} passed, {failed} failed"
    if problems:
        summary += f", {len(problems)} file error(s)"
    if not results and not problems:
        summary += " (no scenarios found)"
    out.write(summary + f" in {seconds:.2f}s\n")
    return status
