"""``spstotte test``: run scenario files without pytest, with JUnit XML and rule coverage."""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TextIO
from xml.etree import ElementTree

from ..errors import Diagnostic, ExitCode
from ..library import RuleLibrary
from ..render.formats import verdict_text
from ..texts import text
from .coverage import xml_safe
from .format import ScenarioResult, run_paths

if TYPE_CHECKING:
    from ..project import Project
    from .coverage import Scope


def failure_report(result: ScenarioResult, lang: str = "da") -> str:
    """Expected against actual, then the actual verdict's trail, in ``lang``."""
    scenario = result.scenario
    lines = [text("scenario_report.heading", lang, location=scenario.location,
                  name=scenario.name, municipality=scenario.municipality,
                  on=scenario.on.isoformat())]
    if result.error:
        lines.append("  " + text("scenario_report.error", lang, error=result.error))
    lines.extend(f"  {failure}" for failure in result.failure_lines(lang))
    if result.verdict is not None:
        lines.append("  " + text("scenario_report.actual", lang))
        lines.extend("    " + line for line in verdict_text(result.verdict, lang).splitlines())
    return "\n".join(lines)


def _printable(name: str) -> str:
    """A name with its control characters (line breaks, escape sequences) written as escapes."""
    return "".join(ch if ch.isprintable() or ch == " " else ch.encode("unicode_escape")
                   .decode("ascii") for ch in name)


def junitxml_safe(results: list[ScenarioResult], seconds: float,
              coverage_failure: str | None = None,
              problems: Sequence[Diagnostic] = (), none_found: str | None = None) -> str:
    """A JUnit XML report: one test case per scenario, named by file and scenario name; when
    rule coverage is below ``--fail-under``, one failed test case that says so; an error case
    per scenario file that could not be read, and a failed case when no scenario was found.
    So a CI dashboard that reads only JUnit shows why the job is red."""
    extra_failures = (coverage_failure is not None) + (none_found is not None)
    failed = sum(not r.passed for r in results) + extra_failures
    suite = ElementTree.Element("testsuite", name="spstotte scenarios",
                                tests=str(len(results) + extra_failures + len(problems)),
                                failures=str(failed), errors=str(len(problems)),
                                time=f"{seconds:.3f}")
    for result in results:
        case = ElementTree.SubElement(
            suite, "testcase", classname=xml_safe(result.scenario.span.file),
            name=xml_safe(result.scenario.name), file=xml_safe(result.scenario.span.file),
            line=str(result.scenario.span.line))
        if not result.passed:
            message = result.error or "; ".join(result.failures)
            failure = ElementTree.SubElement(case, "failure", message=xml_safe(message))
            failure.text = xml_safe(failure_report(result))
    for problem in problems:
        file = problem.span.file if problem.span else "spstotte"
        case = ElementTree.SubElement(suite, "testcase", classname=xml_safe(file),
                                      name=xml_safe(f"{file}: {problem.code}"))
        error = ElementTree.SubElement(case, "error", message=xml_safe(problem.message))
        error.text = xml_safe(problem.one_line())
    for case_name, said in (("rule coverage", coverage_failure), ("scenarios", none_found)):
        if said is not None:
            summary = ElementTree.SubElement(suite, "testcase", classname="spstotte",
                                             name=case_name)
            shortfall = ElementTree.SubElement(summary, "failure", message=xml_safe(said))
            shortfall.text = xml_safe(said)
    return ElementTree.tostring(suite, encoding="unicode", xml_declaration=True)


def _scenario_paths(args: argparse.Namespace, project: Project | None) -> list[Path]:
    """The scenario files or folders to run: those named, else the project's, else (outside
    any project) the ones that come with spstotte, saying so."""
    if args.paths:
        return [Path(p) for p in args.paths]
    if project is not None:
        return list(project.scenarios)
    from .._paths import bundled_dirs
    from ..project import language

    print(text("scenario_report.no_project", language(getattr(args, "lang", None))),
          file=sys.stderr)
    return [bundled_dirs()[1]]


def run_cli(args: argparse.Namespace, out: TextIO) -> int:
    """Run the ``test`` command; 0 if every scenario passed (and coverage is high enough)."""
    from ..project import language, project_of
    from ..render.annotations import annotation
    from .coverage import cobertura_xml, coverage_of, coverage_table

    project = project_of(args)
    library = RuleLibrary.from_options(args.rules, args.municipalities, project)
    paths = _scenario_paths(args, project)
    fail_under = args.fail_under
    if fail_under is None and project is not None:
        fail_under = project.fail_under
    github = args.format == "github"
    lang = language(getattr(args, "lang", None), project)
    missing = [p for p in paths if not p.exists()]
    if missing:
        print(text("scenario_report.no_such_path", lang, paths=", ".join(map(str, missing))),
              file=sys.stderr)
        return ExitCode.BAD_INPUT
    start = time.perf_counter()
    results, problems = run_paths(paths, library)
    seconds = time.perf_counter() - start
    for problem in problems:
        print(problem.format(lang, excerpt=True), file=sys.stderr)
        if github:
            span = problem.span
            out.write(annotation("error", problem.message_in(lang), title=problem.code,
                                 file=span.file if span else None,
                                 line=span.line if span else None,
                                 col=span.col if span else None) + "\n")
    for result in results:
        if not result.passed:
            out.write("FAIL " + failure_report(result, lang) + "\n\n")
            if github:
                span = result.scenario.span
                out.write(annotation("error",
                                     result.error or "; ".join(result.failure_lines(lang)),
                                     file=span.file, line=span.line,
                                     title=f"scenario failed: {result.scenario.name}") + "\n")
        elif not args.quiet:
            # The name as written, control characters escaped: a line break in it must not
            # start a line of its own (a CI runner reads '::' lines as commands).
            out.write(f"ok   {result.scenario.location}: {_printable(result.scenario.name)}\n")
    passed = sum(r.passed for r in results)
    failed = len(results) - passed
    status = ExitCode.RULE_ERRORS if failed or problems or not results else ExitCode.OK
    coverage_failure = None
    if args.coverage or args.coverage_json or args.coverage_xml or fail_under is not None:
        # A repository's own rule sets all count, whether a scenario names them or not.
        report = coverage_of(results, library, every_ruleset=project is not None
                             and not args.paths)
        if args.coverage:
            out.write(coverage_table(report, lang))
        if args.coverage_json:
            Path(args.coverage_json).write_text(
                json.dumps(report.to_json(), ensure_ascii=False, indent=2) + "\n",
                encoding="utf-8")
        if args.coverage_xml:
            from ..library import library_version

            Path(args.coverage_xml).write_text(cobertura_xml(report, library_version()),
                                               encoding="utf-8")
        if fail_under is not None:
            coverage_failure = report.below(fail_under, args.coverage_of, lang)
        if args.coverage or coverage_failure is not None:
            # Which uncovered rules to explain: all of them in the table, else those counted.
            scope: Scope = "all" if args.coverage else args.coverage_of
            uncovered = report.uncovered(scope)
            if any(uncovered.values()):
                from .suggest import suggestion_lines

                lines = suggestion_lines(library, uncovered, [r.scenario for r in results], lang)
                if lines:
                    out.write(text("coverage.suggestions", lang) + "\n")
                    out.write("".join(f"  {line}\n" for line in lines))
        if coverage_failure is not None:
            out.write(coverage_failure + "\n")
            if github:
                out.write(annotation("error", coverage_failure, title="rule coverage") + "\n")
            status = ExitCode.RULE_ERRORS
    if args.junit:
        none_found = (text("scenario_report.none_found", "en").strip(" ()")
                      if not results and not problems else None)
        Path(args.junit).write_text(junitxml_safe(results, seconds, coverage_failure, problems,
                                              none_found), encoding="utf-8")
    summary = text("scenario_report.passed", lang, passed=passed, failed=failed)
    if problems:
        summary += text("scenario_report.file_errors", lang, n=len(problems))
    if not results and not problems:
        summary += text("scenario_report.none_found", lang)
    out.write(summary + text("scenario_report.seconds", lang, seconds=f"{seconds:.2f}") + "\n")
    return status
