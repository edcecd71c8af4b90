"""Shared fixtures. Hypothesis runs with a fixed, derandomised profile in CI ("ci", the
default); set HYPOTHESIS_PROFILE=thorough for many more examples."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from spstotte import RuleLibrary

settings.register_profile(
    "ci", derandomize=True, max_examples=100, deadline=None, print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "thorough", max_examples=5000, deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

# The tests keep parsed rule files (parse_cache.py) in a folder of their own; the commands the
# tests start inherit it. Removed when the run ends. (`make test` names one before pytest
# starts: spstotte's pytest plugin, loaded first, reads the package's word catalogue.)
_TEST_CACHE: str | None = None
if not os.environ.get("SPSTOTTE_CACHE_DIR"):
    _TEST_CACHE = os.environ["SPSTOTTE_CACHE_DIR"] = tempfile.mkdtemp(
        prefix="spstotte-test-cache-")


def pytest_unconfigure(config: pytest.Config) -> None:
    if _TEST_CACHE is not None:
        shutil.rmtree(_TEST_CACHE, ignore_errors=True)

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def scaled(n: int) -> int:
    """``n`` examples with the "ci" profile (max_examples=100), proportionally more with a
    profile that asks for more (HYPOTHESIS_PROFILE=thorough: 50 times as many)."""
    return n * max(1, (settings.default.max_examples or 100) // 100)
SOURCES = ROOT.parent / "shared" / "sources"

#: A complete profile that is granted § 85 in Roskilde (and § 82 b in Testby).
BASE_PROFILE: dict[str, object] = {
    "birth_date": "2000-05-01",
    "residence_municipality": 265,
    "living_situation": {"kind": "own_home"},
    "mental_impairment": "severe",
    "physical_impairment": "none",
    "social_problems": [],
    "support_need": "moderate",
    "met_by_open_offers": False,
    "met_by_advice": False,
    "covered_by_provision": [],
    "specialist_treatment_sought": False,
    "improvement_expected": True,
    "at_risk": False,
    "applicant": "self",
}


@pytest.fixture(autouse=True)
def _english_locale(monkeypatch: pytest.MonkeyPatch) -> None:
    """The command reports problems in the locale's language (spstotte.project.language): the
    tests read them in English on any machine, unless a test chooses a language itself."""
    monkeypatch.delenv("LC_ALL", raising=False)
    monkeypatch.delenv("LC_MESSAGES", raising=False)
    monkeypatch.setenv("LANG", "C.UTF-8")


@pytest.fixture(scope="session")
def library() -> RuleLibrary:
    """The bundled rule sets."""
    return RuleLibrary()


@pytest.fixture(scope="session")
def testby() -> RuleLibrary:
    """The law layer with the test municipality (code 101, offers § 82 b)."""
    return RuleLibrary(municipality_dirs=[FIXTURES / "municipalities"])


@pytest.fixture
def profile() -> Callable[..., dict[str, object]]:
    """Make a profile from BASE_PROFILE with changes (None removes a field)."""
    def make(**changes: object) -> dict[str, object]:
        data = dict(BASE_PROFILE)
        for key, value in changes.items():
            if value is None:
                data.pop(key, None)
            else:
                data[key] = value
        return data
    return make


@pytest.fixture
def rules_dir(tmp_path: Path) -> Callable[[str, str], RuleLibrary]:
    """Write one municipality file next to the bundled law layer and return a library."""
    def make(name: str, text: str) -> RuleLibrary:
        folder = tmp_path / "municipalities"
        folder.mkdir(exist_ok=True)
        (folder / name).write_text(text, encoding="utf-8")
        return RuleLibrary(municipality_dirs=[folder])
    return make
