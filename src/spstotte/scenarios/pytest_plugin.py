"""A pytest plugin that collects legal test scenarios (``*.scenarios.yaml``) as test items.

Registered as the ``pytest11`` entry point ``spstotte``, but it collects nothing unless the
project opts in, so a project that merely has spstotte installed is not affected. A project
opts in with the ini key ``spstotte = true`` (``[tool.pytest.ini_options]``), with a
``spstotte.toml`` or a ``[tool.spstotte]`` table in ``pyproject.toml`` at pytest's root
folder (a municipality's rule repository, see :mod:`spstotte.project`, whose folders it then
uses), or for one run with ``--spstotte``. A failing scenario is reported with its file:line,
each expectation against what the rules decided, and the trail of the actual verdict.

Options (command line, or the ini keys in brackets):

* ``--spstotte-rules DIR`` [``spstotte_rules``]: the law layer (default: the bundled one);
* ``--spstotte-municipalities DIR`` [``spstotte_municipalities``]: folders of municipal rule sets;
* ``--spstotte-coverage``: print the rule-coverage table after the run;
* ``--spstotte-coverage-json FILE``: write rule coverage as JSON;
* ``--spstotte-fail-under PERCENT`` [``spstotte_fail_under``]: fail the run when rule coverage
  is lower (only when every scenario was selected and passed; default: the project's
  ``fail_under``);
* ``--spstotte-coverage-of own|law|all`` [``spstotte_coverage_of``]: which rules that counts:
  the municipality's own (default), the law layer's, or all;
* ``--spstotte-lang da|en``: the language of the trail in failure reports.

Under pytest-xdist (``pytest -n 2``) each worker sends the rule outcomes of its scenarios to
the controller, which reports and enforces the coverage of the whole run.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from ..errors import ScenarioError
from ..library import RuleLibrary
from .coverage import CoverageRecord, coverage_record
from .format import (
    SCENARIO_SUFFIX,
    Scenario,
    ScenarioResult,
    load_scenarios,
    run_scenario,
)
from .runner import failure_report

if TYPE_CHECKING:
    from ..project import Project
    from .coverage import Scope

_LIBRARY = pytest.StashKey[RuleLibrary]()
#: Per scenario that reached a verdict: its municipality and each rule's outcome (plain data,
#: gathered from the xdist workers too).
_RECORDS = pytest.StashKey[list[CoverageRecord]]()
#: Whether any scenario ran (in this process or a worker).
_RAN = pytest.StashKey[int]()
_DESELECTED = pytest.StashKey[int]()
#: The key of the workers' reports in xdist's ``workeroutput``.
_WORKER_OUTPUT = "spstotte_coverage"
#: Whether this run collects scenarios (the project opted in), and the project if any.
_ENABLED = pytest.StashKey[bool]()
_PROJECT = pytest.StashKey["Project | None"]()


def pytest_addoption(parser: pytest.Parser) -> None:
    """Register the plugin's options and ini keys."""
    group = parser.getgroup("spstotte", "spstotte legal test scenarios")
    group.addoption("--spstotte", action="store_true", dest="spstotte_enabled",
                    help="collect *.scenarios.yaml files in this run (projects opt in with "
                         "the ini key 'spstotte = true' or a spstotte.toml)")
    group.addoption("--spstotte-coverage-of", choices=("own", "law", "all"), default=None,
                    help="which rules --spstotte-fail-under counts (default: own)")
    group.addoption("--spstotte-rules", metavar="DIR", help="law layer folder")
    group.addoption("--spstotte-municipalities", metavar="DIR", action="append",
                    help="folder of municipal rule sets (repeatable)")
    group.addoption("--spstotte-coverage", action="store_true",
                    help="print rule coverage of the scenarios")
    group.addoption("--spstotte-coverage-json", metavar="FILE",
                    help="write rule coverage as JSON")
    group.addoption("--spstotte-fail-under", type=str, metavar="PERCENT",
                    help="fail if rule coverage is below PERCENT")
    group.addoption("--spstotte-lang", choices=("da", "en"), default="da",
                    help="language of trails in failure reports")
    parser.addini("spstotte_rules", "law layer folder for scenarios", type="paths")
    parser.addini("spstotte_municipalities", "folders of municipal rule sets", type="paths")
    parser.addini("spstotte_fail_under", "minimum rule coverage (percent)", default="")
    parser.addini("spstotte", "collect *.scenarios.yaml files as tests", type="bool",
                  default=False)
    parser.addini("spstotte_coverage_of", "which rules the minimum coverage counts: own "
                  "(default), law or all", default="own")


def _project(config: pytest.Config) -> Project | None:
    """The municipality repository at pytest's root folder, if it is one by its settings."""
    from ..errors import RuleSetError
    from ..project import find_project, has_settings

    # Only pytest's root folder itself: a settings file in some folder above it belongs to
    # another project, which must not opt this one in (or break it).
    root = Path(config.rootpath)
    if not has_settings(root):
        return None
    try:
        project = find_project(root)
    except RuleSetError as exc:
        raise pytest.UsageError("\n".join(exc.report_lines())) from None
    return project if project is not None and project.config is not None else None


def pytest_configure(config: pytest.Config) -> None:
    """Decide whether this run collects scenarios, and create its rule library."""
    project = _project(config)
    enabled = bool(config.getoption("spstotte_enabled") or config.getini("spstotte")
                   or project is not None)
    config.stash[_ENABLED] = enabled
    config.stash[_PROJECT] = project
    if not enabled:
        return
    rules = config.getoption("spstotte_rules") or _first(config.getini("spstotte_rules"))
    municipalities = config.getoption("spstotte_municipalities") or [
        str(p) for p in config.getini("spstotte_municipalities")] or None
    config.stash[_LIBRARY] = RuleLibrary.from_options(rules, municipalities, project)
    config.stash[_RECORDS] = []
    config.stash[_RAN] = 0
    config.stash[_DESELECTED] = 0


def pytest_deselected(items: list[pytest.Item]) -> None:
    """Remember that scenarios were deselected: coverage is then not enforced."""
    for item in items:
        if isinstance(item, ScenarioItem):
            item.config.stash[_DESELECTED] = item.config.stash.get(_DESELECTED, 0) + 1

def _first(paths: list[Path]) -> str | None:
    return str(paths[0]) if paths else None


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    """Collect ``*.scenarios.yaml`` files, in a project that opted in."""
    if file_path.name.endswith(SCENARIO_SUFFIX) and parent.config.stash.get(_ENABLED, False):
        return ScenarioFile.from_parent(parent, path=file_path)
    return None


class ScenarioFileError(Exception):
    """A scenario file could not be read."""


class ScenarioFile(pytest.File):
    """One scenario file."""

    def collect(self) -> Iterator[ScenarioItem]:
        """One item per scenario."""
        try:
            scenarios = load_scenarios(self.path, self._display())
        except ScenarioError as exc:
            raise ScenarioFileError("\n".join(d.one_line() for d in exc.diagnostics)) from None
        for scenario in scenarios:
            yield ScenarioItem.from_parent(self, name=scenario.name, scenario=scenario)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException],
                     style: Any = None) -> str:
        """Scenario file errors as one line each, without a traceback."""
        if isinstance(excinfo.value, ScenarioFileError):
            return str(excinfo.value)
        return str(super().repr_failure(excinfo))

    def _display(self) -> str:
        try:
            return str(self.path.relative_to(self.config.rootpath))
        except ValueError:
            return str(self.path)


class ScenarioFailed(Exception):
    """A scenario's expectations did not hold."""

    def __init__(self, result: ScenarioResult) -> None:
        super().__init__(result.scenario.name)
        self.result = result


class ScenarioItem(pytest.Item):
    """One scenario, run against the rule library."""

    def __init__(self, *, scenario: Scenario, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.scenario = scenario

    def runtest(self) -> None:
        """Evaluate the scenario and compare with its expectations."""
        result = run_scenario(self.scenario, self.config.stash[_LIBRARY])
        self.config.stash[_RAN] += 1
        if result.verdict is not None:
            self.config.stash[_RECORDS].append(
                coverage_record(self.scenario.municipality, result.verdict))
        if not result.passed:
            raise ScenarioFailed(result)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException],
                     style: Any = None) -> str:
        """Expected against actual, and the trail, instead of a traceback."""
        if isinstance(excinfo.value, ScenarioFailed):
            return failure_report(excinfo.value.result, self.config.getoption("spstotte_lang"))
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[Path, int, str]:
        """Where the scenario is written."""
        return self.path, self.scenario.span.line - 1, f"scenario: {self.scenario.name}"


def _fail_under(config: pytest.Config) -> float | None:
    from .coverage import percent

    option = config.getoption("spstotte_fail_under")
    text = str(option) if option is not None else str(
        config.getini("spstotte_fail_under") or "").strip()
    if not text:
        project = config.stash.get(_PROJECT, None)
        return project.fail_under if project is not None else None
    try:
        return percent(text)
    except ValueError as exc:
        raise pytest.UsageError(f"spstotte_fail_under: {exc}") from None


def _coverage_of(config: pytest.Config) -> Scope:
    from .coverage import SCOPES

    value = config.getoption("spstotte_coverage_of") or str(
        config.getini("spstotte_coverage_of") or "own").strip()
    if value not in SCOPES:
        raise pytest.UsageError(f"spstotte_coverage_of: {value!r} is not one of own, law, all")
    scope: Scope = value
    return scope


def _is_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    """(xdist controller) Gather a worker's coverage records."""
    report = getattr(node, "workeroutput", {}).get(_WORKER_OUTPUT)
    if report is None:
        return
    data = json.loads(report)
    config = node.config
    config.stash[_RECORDS].extend((m, on, o) for m, on, o in data["records"])
    config.stash[_RAN] += data["ran"]
    config.stash[_DESELECTED] += data["deselected"]


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int,
                            config: pytest.Config) -> None:
    """Print and check rule coverage."""
    from .coverage import coverage_of_records, coverage_table

    if _is_worker(config) or not config.stash.get(_RAN, 0):
        return
    records = config.stash[_RECORDS]
    report = coverage_of_records(records, config.stash[_LIBRARY],
                                 config.stash.get(_PROJECT, None) is not None)
    if config.getoption("spstotte_coverage"):
        terminalreporter.write(coverage_table(report))
    path = config.getoption("spstotte_coverage_json")
    if path:
        Path(path).write_text(json.dumps(report.to_json(), ensure_ascii=False, indent=2) + "\n",
                              encoding="utf-8")
    limit = _fail_under(config)
    if limit is None:
        return
    if config.stash.get(_DESELECTED, 0):
        terminalreporter.write_line("spstotte: some scenarios were deselected; rule coverage "
                                    "is not enforced")
    elif (shortfall := report.below(limit, _coverage_of(config))) is not None:
        terminalreporter.write_line(f"spstotte: {shortfall}", red=True)
    else:
        scope = _coverage_of(config)
        terminalreporter.write_line(f"spstotte: rule coverage {report.tally(scope).percent:.1f}% "
                                    f"(required {limit:g}%, rules counted: {scope})")


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Turn a coverage shortfall into a failed run (in an xdist worker: send the records)."""
    from .coverage import coverage_of_records

    config = session.config
    if _is_worker(config):
        config.workeroutput[_WORKER_OUTPUT] = json.dumps({  # type: ignore[attr-defined]
            "records": config.stash.get(_RECORDS, []), "ran": config.stash.get(_RAN, 0),
            "deselected": config.stash.get(_DESELECTED, 0)})
        return
    limit = _fail_under(config)
    if (not config.stash.get(_RAN, 0) or limit is None or exitstatus != 0
            or config.stash.get(_DESELECTED, 0)):
        return
    records = config.stash[_RECORDS]
    report = coverage_of_records(records, config.stash[_LIBRARY],
                                 config.stash.get(_PROJECT, None) is not None)
    if report.below(limit, _coverage_of(config)) is not None:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
