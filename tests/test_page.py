"""The page (``GET /``): served by the package, nothing fetched from outside, and tried in a real
headless browser (Debian's Chromium, driven by Playwright, no browser download).

The page talks to the HTTP API (``/v1/...``). Until the service's app is in place, ``make_app``
below implements that contract minimally by calling the library directly and mounts the page's
router; when the real app exists, ``make_app`` returns it instead and every test stays the same.

The browser tests skip, with the reason, when Chromium or Playwright is missing, but only
outside CI: with ``CI`` set they fail instead (``.ci/run`` installs both).
"""

from __future__ import annotations

import json
import os
import socket
import threading
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from conftest import ROOT

pytest.importorskip("fastapi", reason="the page is served by the server extra (FastAPI)")
pytest.importorskip("uvicorn", reason="the page is served by the server extra (uvicorn)")

from fastapi import FastAPI

from spstotte.service.page import FILES, STATIC

#: A hang (a server that never starts, a page that never answers) fails the test after this
#: many seconds; no real run comes near it (tests/test_suite_hygiene.py).
HANG_TIMEOUT = 120
#: The system's Chromium (Debian's package ``chromium``); Playwright never downloads one.
CHROMIUM = Path(os.environ.get("SPSTOTTE_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
CITIZEN: dict[str, Any] = yaml.safe_load(
    (ROOT / "examples" / "citizen.yaml").read_text(encoding="utf-8"))
GRANTED_85_DA = "Bevilget: socialpædagogisk støtte efter serviceloven § 85"
GRANTED_85_EN = "Granted: socio-pedagogical support under the Social Services Act s. 85"
REASON_DA = "Alle betingelser for socialpædagogisk støtte efter serviceloven § 85 er opfyldt."
REASON_EN = ("Every condition of socio-pedagogical support under the Social Services Act s. 85 "
             "is met.")


# -- the service the page talks to --------------------------------------------------------

def make_app() -> FastAPI:
    """The decision service (``spstotte serve``'s app, one worker process), page included."""
    from spstotte.service.app import ServiceSettings, create_app

    return create_app(ServiceSettings(workers=1))


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    """The app served by uvicorn on a free loopback port, in a thread."""
    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(make_app(), log_level="warning", lifespan="on", ws="none",
                            loop="asyncio", http="h11")  # in a thread: no uvloop
    uvicorn_server = uvicorn.Server(config)
    thread = threading.Thread(target=uvicorn_server.run, kwargs={"sockets": [sock]},
                              daemon=True)
    thread.start()
    for _ in range(HANG_TIMEOUT * 100):
        if uvicorn_server.started or not thread.is_alive():
            break
        time.sleep(0.01)
    assert uvicorn_server.started, "the server did not start"
    yield f"http://127.0.0.1:{port}"
    uvicorn_server.should_exit = True
    thread.join(HANG_TIMEOUT)
    sock.close()


# -- served by the package, nothing from outside ---------------------------------------------

@pytest.fixture(scope="module")
def client(server: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server) as http:
        yield http


def test_the_page_and_its_files_are_served_with_a_strict_policy(client: httpx.Client) -> None:
    page = client.get("/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert 'lang="da"' in page.text
    policy = page.headers["content-security-policy"]
    assert "default-src 'none'" in policy and "script-src 'self'" in policy
    assert "connect-src 'self'" in policy
    for name, media_type in FILES.items():
        served = client.get(f"/static/{name}")
        assert served.status_code == 200, name
        assert served.headers["content-type"] == media_type
        assert served.content == (STATIC / name).read_bytes()
    # Only the named files: nothing else of the package is reachable.
    for name in ("index.html", "..%2Fpage.py", "%2E%2E/page.py", "nothing.js"):
        assert client.get(f"/static/{name}").status_code == 404, name


def test_the_page_refers_to_nothing_outside_the_server() -> None:
    for path in STATIC.iterdir():
        text = path.read_text(encoding="utf-8")
        assert "http://" not in text and "https://" not in text, path.name
        assert 'src="//' not in text and 'href="//' not in text, path.name


def test_the_labels_are_the_libraries_words(client: httpx.Client) -> None:
    labels = client.get("/static/labels.json").json()
    assert labels["fields"]["support_need"] == {"da": "støttebehov (VUM)",
                                                 "en": "support need (VUM)"}
    assert labels["fields"]["living_situation.kind"]["da"] == "boform"
    assert labels["fields"]["cpr"]["da"] == "CPR-nummer"
    assert labels["values"]["Impairment"]["severe"]["da"] == "svært nedsat funktionsevne"
    assert labels["values"]["SupportArea"]["social_life"]["en"] == "social life and relationships"
    assert labels["outcomes"]["granted_85"]["da"] == GRANTED_85_DA
    # Every vocabulary the schema names has its labels, every value of it too.
    schema = client.get("/v1/schemas/profile").json()
    for name, definition in schema["$defs"].items():
        if "enum" in definition:
            assert set(labels["values"][name]) == set(definition["enum"]), name
    # Every field of the profile has a label (the assessments are not on the page).
    for name in schema["properties"]:
        assert name in labels["fields"] or name in ("living_situation", "assessments"), name


def test_the_api_keeps_the_contract_the_page_reads(client: httpx.Client) -> None:
    query = "municipality=265&on=2026-11-23&detail=full&lang=da"
    verdict = client.post(f"/v1/evaluate?{query}", json=CITIZEN)
    assert verdict.status_code == 200
    assert verdict.json()["outcome"] == "granted_85"
    bad = client.post(f"/v1/evaluate?{query}", json={**CITIZEN, "support_need": "moderat"})
    assert bad.status_code == 422
    assert bad.headers["content-type"].startswith("application/problem+json")
    (error,) = bad.json()["errors"]
    assert error["field"] == "support_need" and "moderate" in error["hint"]
    (municipality,) = [m for m in client.get("/v1/municipalities").json() if m["code"] == 265]
    assert municipality["slug"] == "roskilde" and municipality["versions"]


def test_the_wheel_carries_the_page(tmp_path: Path) -> None:
    pytest.importorskip("hatchling", reason="hatchling (a test dependency) builds the wheel")
    import subprocess
    import sys

    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-build-isolation", "--no-deps",
                    "--quiet", "--disable-pip-version-check", "-w", str(tmp_path), str(ROOT)],
                   check=True, capture_output=True, timeout=HANG_TIMEOUT)
    (built,) = tmp_path.glob("spstotte-*.whl")
    names = set(zipfile.ZipFile(built).namelist())
    for path in STATIC.iterdir():
        assert f"spstotte/service/static/{path.name}" in names


# -- in a real browser ------------------------------------------------------------------------

def _browser_missing() -> str | None:
    if not CHROMIUM.is_file():
        return (f"no Chromium at {CHROMIUM} (apt-get install chromium chromium-driver, or set "
                "SPSTOTTE_CHROMIUM)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright for Python is not installed (pip install playwright; no browser " \
               "download is needed)"
    return None


def _require_browser() -> None:
    reason = _browser_missing()
    if reason is None:
        return
    if os.environ.get("CI"):
        pytest.fail(f"{reason}: CI must run the browser tests (.ci/run installs what they need)")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    _require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                              args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


class Visit:
    """A page open in the browser, with every request it made."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.requests: list[Any] = []
        self.problems: list[str] = []
        page.on("request", self._record)
        page.on("pageerror", lambda error: self.problems.append(str(error)))
        page.on("console", self._console)
        page.on("response", self._response)

    def _record(self, request: Any) -> None:
        self.requests.append(request)

    def _console(self, message: Any) -> None:
        # A refused profile (422) is logged by the browser like any failed request: the
        # responses are checked instead, below.
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            self.problems.append(message.text)

    def _response(self, response: Any) -> None:
        if response.status >= 400 and response.status != 422:
            self.problems.append(f"{response.status} {response.url}")

    def evaluations(self) -> list[dict[str, Any]]:
        """The profiles the page sent to be decided."""
        return [json.loads(r.post_data) for r in self.requests if "/v1/evaluate" in r.url]


@pytest.fixture
def visit(browser: Any, server: str) -> Iterator[Visit]:
    context = browser.new_context(locale="da-DK")
    context.set_default_timeout(HANG_TIMEOUT * 1000)
    page = context.new_page()
    seen = Visit(page)
    page.goto(server + "/")
    page.locator("body[data-ready='true']").wait_for(state="attached")
    yield seen
    context.close()
    # Nothing was fetched from outside: every request went to this server.
    outside = [r.url for r in seen.requests
               if not r.url.startswith(server + "/") and not r.url.startswith(("about:", "data:"))]
    assert outside == []
    assert seen.problems == []


def _fill(page: Any, citizen: dict[str, Any], prefix: str = "") -> None:
    """Fill in the form field by field, as a person would, from a profile."""
    for name, value in citizen.items():
        path = prefix + name
        control = page.locator(f"[id='f-{path}']")
        if isinstance(value, dict):
            _fill(page, value, path + ".")
        elif isinstance(value, list):
            control.select_option("known")
            for item in value:
                page.locator(f"[id='f-{path}={item}']").check()
        elif isinstance(value, bool):
            control.select_option("true" if value else "false")
        elif control.evaluate("node => node.tagName") == "SELECT":
            control.select_option(str(value))
        else:
            control.fill(str(value))


def _decide(page: Any, citizen: dict[str, Any], municipality: str = "265",
            on: str = "2026-11-23") -> None:
    page.locator("#municipality").select_option(municipality)
    page.locator("#decision-date").fill(on)
    _fill(page, citizen)
    page.locator("#submit").click()


def test_the_readme_citizen_is_granted_on_the_page(visit: Visit) -> None:
    page = visit.page
    # The form speaks Danish, with the library's labels.
    assert page.locator("label[for='f-support_need']").inner_text() == "Støttebehov (VUM)"
    assert "svært nedsat funktionsevne" in page.locator("[id='f-mental_impairment']").inner_text()
    assert "endnu ikke givet" in page.locator("[id='f-consent']").inner_text()
    assert "praktiske opgaver i hjemmet" in page.locator(
        "[data-field='requested_support_areas']").inner_text()
    _decide(page, CITIZEN)
    page.locator("#outcome", has_text=GRANTED_85_DA).wait_for()
    assert page.locator("#outcome").inner_text() == GRANTED_85_DA
    reasons = page.locator("#reasons li")
    assert REASON_DA in reasons.all_inner_texts()[0]
    assert "serviceloven § 85, stk. 1" in reasons.first.inner_text()
    assert page.locator("#missing-block").is_hidden()
    # The trail is there, folded.
    assert page.locator("#trail li").count() > 5
    assert page.locator("#trail li").first.is_hidden()
    # The profile sent is the citizen's, nothing added: the unknown stayed out.
    (sent,) = visit.evaluations()
    assert {k: sorted(v) if isinstance(v, list) else v for k, v in sent.items()} == {
        k: sorted(v) if isinstance(v, list) else v for k, v in CITIZEN.items()}
    # The draft letter, in a frame that runs no script.
    letter = page.frame_locator("#letter")
    letter.locator("text=Roskilde Kommune").first.wait_for()
    assert page.locator("#letter").get_attribute("sandbox") == ""

    page.locator("#lang-switch").click()
    page.locator("#outcome", has_text=GRANTED_85_EN).wait_for()
    page.locator("#reasons li", has_text=REASON_EN).first.wait_for()
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("label[for='f-support_need']").inner_text() == "Support need (VUM)"
    page.locator("#status", has_text="Decided.").wait_for()
    letter.locator("text=Roskilde Municipality").first.wait_for()


def test_unknown_facts_stay_out_and_the_missing_facts_are_asked_for(visit: Visit) -> None:
    page = visit.page
    _decide(page, {"support_need": "moderate", "urgent": False, "social_problems": []})
    page.locator("#outcome[data-outcome]").wait_for()
    assert visit.evaluations() == [{"support_need": "moderate", "urgent": False,
                                    "social_problems": []}]
    page.locator("#missing li").first.wait_for()
    missing = page.locator("#missing").inner_text()
    assert "Oplys borgerens fødselsdato eller CPR-nummer." in missing


def test_a_bad_value_is_shown_beside_its_field(visit: Visit) -> None:
    page = visit.page
    _decide(page, {**CITIZEN, "cpr": "310299-1234"})
    error = page.locator("[id='e-cpr']")
    error.wait_for()
    assert "310299 er ikke en rigtig dato" in error.inner_text()
    cpr = page.locator("[id='f-cpr']")
    assert cpr.get_attribute("aria-invalid") == "true"
    assert "e-cpr" in (cpr.get_attribute("aria-describedby") or "").split()
    # Beside the field: in the same field's box, and no other field is marked.
    assert page.locator("[data-field='cpr'] .field-error").inner_text() == error.inner_text()
    assert page.locator("[aria-invalid='true']").count() == 1
    assert page.locator("#result").is_hidden()
    # A birth date after the decision date, corrected CPR number: the birth date's error.
    page.locator("[id='f-cpr']").fill("")
    page.locator("[id='f-birth_date']").fill("2030-01-01")
    page.locator("#submit").click()
    page.locator("[id='e-birth_date']", has_text="2030-01-01").wait_for()
    assert page.locator("[id='e-cpr']").is_hidden()
    # The error in English after the switch.
    page.locator("#lang-switch").click()
    page.locator("[id='e-birth_date']", has_text="before the birth date").wait_for()


def test_the_rulebook_tab_shows_the_rulebook(visit: Visit) -> None:
    page = visit.page
    page.locator("#municipality").select_option("265")
    page.locator("#decision-date").fill("2026-11-23")
    page.locator("#tab-rulebook").click()
    assert page.locator("#panel-decide").is_hidden()
    rulebook = page.frame_locator("#rulebook")
    rulebook.locator("h1", has_text="Roskilde Kommunes serviceniveau").wait_for()
    assert page.locator("#tab-rulebook").get_attribute("aria-selected") == "true"
