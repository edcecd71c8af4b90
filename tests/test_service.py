"""The decision service (``spstotte serve``, docs/service.md), through a real server: started
once per test session on a free loopback port, in a subprocess, and exercised with an HTTP
client. Every endpoint, every class of error, a batch of 10,000 profiles streamed, and a
reload while requests are in flight."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

httpx = pytest.importorskip("httpx", reason="the server extra's tests need httpx")
pytest.importorskip("fastapi", reason="the server extra (pip install 'spstotte[server]')")

from conftest import ROOT  # noqa: E402
from spstotte import RuleLibrary, decision_text, evaluate_many, generate_cases  # noqa: E402

#: Only a hang reaches it: the server starts in a few seconds.
HANG_TIMEOUT = 180

ON = "2026-11-23"
CPR = "0101901234"
PROFILE: dict[str, Any] = {
    "birth_date": "2000-05-01", "residence_municipality": 265,
    "living_situation": {"kind": "own_home"}, "mental_impairment": "severe",
    "support_need": "moderate", "met_by_open_offers": False, "met_by_advice": False,
    "covered_by_provision": [], "specialist_treatment_sought": False, "applicant": "self"}
BROKEN_RULES = ("layer: municipality\nid: broken\ntitle: {da: x, en: y}\n"
                "municipality: {code: 101, name: København}\nextends: law\nrules: 5\n")


@dataclass
class Server:
    url: str
    process: subprocess.Popen[bytes]
    folder: Path
    log: Path
    client: Any

    def library(self) -> RuleLibrary:
        return RuleLibrary(None, [self.folder])


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    base = tmp_path_factory.mktemp("service")
    folder = base / "municipalities"
    shutil.copytree(ROOT / "municipalities", folder)
    (folder / "broken.yaml").write_text(BROKEN_RULES, encoding="utf-8")
    yield from _serve(base, folder)


def _serve(base: Path, folder: Path, *path: Path) -> Iterator[Server]:
    """A server on a free port over the rule files in ``folder``, with ``path`` first on the
    PYTHONPATH of the server and its workers; stopped when the generator is closed."""
    log = base / "server.log"
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [*map(str, path), str(ROOT / "src"), *filter(None, [os.environ.get("PYTHONPATH")])])}
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "spstotte", "serve", "--port", str(port), "--workers", "2",
             "--municipalities", str(folder), "--reload-endpoint", "--log-format", "json",
             "--max-body", "100000"],
            cwd=base, env=env, stdout=sink, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    client = httpx.Client(base_url=url, timeout=HANG_TIMEOUT)
    try:
        for _ in range(HANG_TIMEOUT * 10):  # bounded: a server that never starts fails
            if process.poll() is not None:
                pytest.fail(f"the server stopped: {log.read_text(encoding='utf-8')}")
            try:
                if client.get("/health").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        else:
            pytest.fail("the server did not start")
        yield Server(url, process, folder, log, client)
    finally:
        client.close()
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=HANG_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=HANG_TIMEOUT)


def _problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    document: dict[str, Any] = response.json()
    assert {"type", "title", "status", "detail", "errors"} <= set(document)
    assert document["status"] == status
    assert "Traceback" not in response.text
    return document


# -- the endpoints ------------------------------------------------------------------------------


def test_health_and_version(server: Server) -> None:
    assert server.client.get("/health").json() == {"status": "ok"}
    version = server.client.get("/version").json()
    library = server.library()
    assert version["library"] and version["engine"] == "2.0.28"
    assert version["rulesets"]["roskilde"] == library.ruleset("roskilde").content_hash
    assert version["rulesets"]["broken"] is None


def test_municipalities_with_every_version(server: Server) -> None:
    listed = server.client.get("/v1/municipalities").json()
    by_slug = {m["slug"]: m for m in listed}
    assert set(by_slug) == {"broken", "roskilde", "soenderborg", "vejle"}
    roskilde = by_slug["roskilde"]
    assert (roskilde["code"], roskilde["name"]) == (265, "Roskilde")
    versions = server.library().versions("roskilde")
    assert [v["hash"] for v in roskilde["versions"]] == [v.content_hash for v in versions]
    assert roskilde["versions"][0]["valid_from"] is None
    assert roskilde["versions"][-1] == {"valid_from": "2025-07-01", "valid_to": None,
                                        "hash": versions[-1].content_hash}
    assert by_slug["broken"]["versions"] == []


def test_evaluate_full_and_compact_are_the_librarys(server: Server) -> None:
    library = server.library()
    full = server.client.post("/v1/evaluate", params={"municipality": 265, "on": ON},
                              json={**PROFILE, "cpr": "010500-4322", "birth_date": None})
    assert full.status_code == 200, full.text
    expected = library.evaluate({**PROFILE, "cpr": "010500-4322", "birth_date": None},
                                municipality=265, on=ON)
    assert full.json() == expected.model_dump(mode="json")
    assert "010500-4322" not in full.text and "0105004322" not in full.text
    compact = server.client.post("/v1/evaluate", json=PROFILE, params={
        "municipality": "roskilde", "on": ON, "detail": "compact"})
    assert compact.json() == library.evaluate_compact(PROFILE, municipality=265, on=ON)
    assert compact.json()["outcome"] == "granted_85"


@pytest.mark.parametrize(("fmt", "media"), [("text", "text/plain"),
                                            ("markdown", "text/markdown"),
                                            ("html", "text/html")])
def test_explain_in_each_format_and_language(server: Server, fmt: str, media: str) -> None:
    library = server.library()
    verdict = library.evaluate(PROFILE, municipality=630, on=ON)
    for lang in ("da", "en"):
        letter = server.client.post("/v1/explain", json=PROFILE, params={
            "municipality": 630, "on": ON, "format": fmt, "lang": lang})
        assert letter.status_code == 200, letter.text
        assert letter.headers["content-type"] == f"{media}; charset=utf-8"
        assert letter.text == decision_text(verdict, lang, fmt,  # type: ignore[arg-type]
                                            library=library)


def test_a_batch_of_ten_thousand_profiles_is_streamed_in_order(server: Server) -> None:
    cases = list(generate_cases(10_000, seed=15, municipality=265))
    cases[3] = {"id": CPR, "support_need": "extreme"}
    body = "".join(json.dumps(case) + "\n" for case in cases).encode()
    records = []
    with server.client.stream("POST", "/v1/batch", content=body,
                              params={"municipality": 265, "on": ON}) as response:
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/x-ndjson"
        for line in response.iter_lines():
            if line:
                records.append(json.loads(line))
    assert len(records) == 10_000
    assert [r["row"] for r in records] == list(range(1, 10_001))
    assert [r["id"] for r in records[:3]] == [c["id"] for c in cases[:3]]
    # The row's id was a CPR number: it is masked; the row's problem is the library's.
    assert records[3]["id"] == "010190-****" and records[3]["status"] == "error"
    assert records[3]["errors"][0]["field"] == "support_need"
    expected = list(evaluate_many(cases[:300], municipality=265, on=ON,
                                  library=server.library()))
    expected[3]["id"] = "010190-****"
    # Whole records, missing facts included: whichever worker decided which rows before.
    assert records[:300] == expected


def test_a_batch_line_that_is_not_json_is_a_record_not_a_failure(server: Server) -> None:
    response = server.client.post("/v1/batch", params={"on": ON, "detail": "full"},
                                  content=b'{"municipality": 265, "birth_date": "2010-01-01"}'
                                          b"\n\nnot json\n")
    records = [json.loads(line) for line in response.text.splitlines()]
    assert [(r["row"], r["status"]) for r in records] == [(1, "decided"), (3, "error")]
    assert records[0]["trail"]  # the whole verdict
    assert records[1]["errors"][0]["code"] == "P100"


@pytest.mark.parametrize("fmt", ["markdown", "html", "text"])
def test_rulebook_and_diff(server: Server, fmt: str) -> None:
    from spstotte.render.diff import diff_markdown, diff_rulesets
    from spstotte.render.rulebooks import rulebook

    library = server.library()
    book = server.client.get("/v1/rulebook/vejle", params={"format": fmt, "lang": "en",
                                                           "on": ON})
    assert book.status_code == 200
    assert book.text == rulebook(library.ruleset("vejle", ON), fmt, "en")  # type: ignore[arg-type]
    diff = server.client.get("/v1/diff", params={"a": 265, "b": "vejle", "on": ON,
                                                 "format": fmt, "lang": "da"})
    assert diff.status_code == 200
    assert diff.text == diff_markdown(diff_rulesets(
        library.ruleset(265, ON), library.ruleset("vejle", ON), "da"), "da", fmt)  # type: ignore[arg-type]


def test_schemas(server: Server) -> None:
    from spstotte.schema import schema_json

    for kind in ("rules", "profile", "scenarios"):
        answer = server.client.get(f"/v1/schemas/{kind}")
        assert answer.status_code == 200
        assert answer.json() == json.loads(schema_json(kind))
    missing = _problem(server.client.get("/v1/schemas/verdict"), 404)
    assert "profile, rules, scenarios" in missing["errors"][0]["message"]


def test_the_openapi_document_describes_the_models(server: Server) -> None:
    document = server.client.get("/openapi.json").json()
    schemas = document["components"]["schemas"]
    assert {"CitizenProfile", "Verdict", "CompactRecord", "Problem", "BatchRecord",
            "MunicipalityOut"} <= set(schemas)
    evaluate = document["paths"]["/v1/evaluate"]["post"]
    assert evaluate["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/CitizenProfile"}
    assert evaluate["responses"]["422"]["content"]["application/problem+json"]["schema"] == {
        "$ref": "#/components/schemas/Problem"}
    assert "/v1/admin/reload" in document["paths"]


def test_the_page_is_served(server: Server) -> None:
    page = server.client.get("/")
    assert page.status_code == 200 and "html" in page.headers["content-type"]


# -- errors -------------------------------------------------------------------------------------


def test_a_bad_profile_is_422_with_the_librarys_paths_and_hints(server: Server) -> None:
    bad = {**PROFILE, "living_situation": {"kind": "castle"}, "cpr": CPR}
    english = _problem(server.client.post("/v1/evaluate", json=bad, params={
        "municipality": 265, "on": ON}), 422)
    assert english["type"] == "urn:spstotte:problem:invalid-profile"
    fields = {e["field"]: e for e in english["errors"]}
    assert "living_situation.kind" in fields
    assert fields["living_situation.kind"]["code"] == "P100"
    assert fields["living_situation.kind"]["hint"]
    danish = _problem(server.client.post("/v1/evaluate", json=bad, params={
        "municipality": 265, "on": ON}, headers={"Accept-Language": "da-DK,en;q=0.5"}), 422)
    assert danish["title"] == "Ugyldig profil"
    assert danish["errors"][0]["message"] != english["errors"][0]["message"]
    assert _problem(server.client.post("/v1/evaluate", json=bad, params={
        "municipality": 265, "on": ON, "lang": "en"}, headers={"Accept-Language": "da"}),
        422)["title"] == "Invalid profile"


def test_a_body_that_is_not_json_is_422(server: Server) -> None:
    problem = _problem(server.client.post("/v1/evaluate", content=b"{nope", params={
        "municipality": 265}), 422)
    assert problem["errors"][0]["field"] == ""
    assert "JSON" in problem["errors"][0]["message"]


def test_an_unknown_municipality_is_404(server: Server) -> None:
    for path in ("/v1/evaluate", "/v1/explain", "/v1/batch"):
        problem = _problem(server.client.post(path, json=PROFILE, params={
            "municipality": 999, "on": ON}), 404)
        assert problem["type"] == "urn:spstotte:problem:unknown-municipality"
        assert problem["errors"][0]["field"] == "municipality"
    _problem(server.client.get("/v1/rulebook/aarhus"), 404)
    _problem(server.client.get("/v1/diff", params={"a": 265, "b": 751}), 404)


def test_a_bad_date_is_400(server: Server) -> None:
    for on in ("2026-13-01", "23-11-2026", "1800-01-01"):
        problem = _problem(server.client.post("/v1/evaluate", json=PROFILE, params={
            "municipality": 265, "on": on}), 400)
        assert problem["type"] == "urn:spstotte:problem:bad-date"
        assert problem["errors"][0]["field"] == "on"
    _problem(server.client.get("/v1/rulebook/vejle", params={"on": "tomorrow"}), 400)


def test_a_bad_query_is_400(server: Server) -> None:
    problem = _problem(server.client.post("/v1/evaluate", json=PROFILE, params={
        "municipality": 265, "detail": "everything"}), 400)
    assert problem["errors"][0]["field"] == "detail"
    assert "full" in problem["errors"][0]["message"]
    missing = _problem(server.client.post("/v1/evaluate", json=PROFILE), 400)
    assert missing["errors"][0]["field"] == "municipality"
    _problem(server.client.get("/v1/rulebook/vejle", params={"format": "pdf"}), 400)


@pytest.mark.parametrize("spec", ["municipalities/vejle.yaml", "vejle.yaml",
                                  "vejle@HEAD", "../../etc/passwd"])
def test_diff_refuses_files_and_revisions(server: Server, spec: str) -> None:
    problem = _problem(server.client.get("/v1/diff", params={"a": spec, "b": 265}), 400)
    assert problem["errors"][0]["field"] == "a"


def test_a_body_over_the_limit_is_413(server: Server) -> None:
    problem = _problem(server.client.post("/v1/evaluate", params={"municipality": 265},
                                          content=b" " * 100_001), 413)
    assert "100000" in problem["detail"]

    def chunks() -> Iterator[bytes]:  # no Content-Length: the limit holds while reading
        for _ in range(20):
            yield b" " * 10_000

    _problem(server.client.post("/v1/evaluate", params={"municipality": 265},
                                content=chunks()), 413)


def test_unknown_routes_and_methods_are_problems(server: Server) -> None:
    assert _problem(server.client.get("/v2/evaluate"), 404)["type"] == \
        "urn:spstotte:problem:not-found"
    _problem(server.client.get("/v1/evaluate"), 405)


def test_rule_files_with_errors_are_a_500_problem_without_a_traceback(server: Server) -> None:
    problem = _problem(server.client.post("/v1/evaluate", json=PROFILE, params={
        "municipality": 101, "on": ON}), 500)
    assert problem["type"] == "urn:spstotte:problem:rule-set-errors"
    assert problem["errors"][0]["code"] == "R103"


def test_an_unexpected_error_is_a_500_problem_logged_without_its_message(
        caplog: pytest.LogCaptureFixture) -> None:
    from spstotte.service.logs import RequestMiddleware

    async def failing(scope: Any, receive: Any, send: Any) -> None:
        raise RuntimeError(f"secret {CPR}")

    async def call() -> Any:
        transport = httpx.ASGITransport(app=RequestMiddleware(failing))
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            return await client.get("/x", headers={"Accept-Language": "da",
                                                   "X-Request-ID": "abc-1"})

    with caplog.at_level("INFO", logger="spstotte.service"):
        response = asyncio.run(call())
    problem = _problem(response, 500)
    assert problem["request_id"] == "abc-1" and response.headers["x-request-id"] == "abc-1"
    assert problem["title"] == "Intern fejl"
    assert CPR not in caplog.text and "secret" not in caplog.text
    assert "RuntimeError" in caplog.text


def test_the_request_id_is_returned(server: Server) -> None:
    answer = server.client.get("/health", headers={"X-Request-ID": "case-42"})
    assert answer.headers["x-request-id"] == "case-42"
    assert len(server.client.get("/health", headers={"X-Request-ID": "bad id; drop"})
               .headers["x-request-id"]) == 32


def test_the_reload_endpoint_is_off_by_default() -> None:
    from spstotte.service.app import ServiceSettings, create_app

    async def call() -> Any:
        # The application without its lifespan: no workers are needed to refuse.
        transport = httpx.ASGITransport(app=create_app(ServiceSettings()))
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            return await client.post("/v1/admin/reload")

    problem = _problem(asyncio.run(call()), 404)
    assert problem["type"] == "urn:spstotte:problem:reload-disabled"


# -- reloads ------------------------------------------------------------------------------------


def _hash_of(server: Server, slug: str) -> str:
    return str(server.client.get("/version").json()["rulesets"][slug])


def _wait_for_hash(server: Server, slug: str, old: str) -> str:
    for _ in range(HANG_TIMEOUT * 10):
        new = _hash_of(server, slug)
        if new != old:
            return new
        time.sleep(0.1)
    pytest.fail("the rule set was not reloaded")


def test_a_reload_while_requests_are_in_flight_fails_none(server: Server) -> None:
    file = server.folder / "soenderborg.yaml"
    before = _hash_of(server, "soenderborg")
    statuses: list[int] = []
    outcomes: set[str] = set()
    stop = threading.Event()

    def hammer() -> None:
        with httpx.Client(base_url=server.url, timeout=HANG_TIMEOUT) as client:
            while not stop.is_set():
                answer = client.post("/v1/evaluate", json=PROFILE, params={
                    "municipality": 540, "on": ON, "detail": "compact"})
                statuses.append(answer.status_code)
                outcomes.add(answer.json().get("outcome", ""))

    threads = [threading.Thread(target=hammer) for _ in range(6)]
    for thread in threads:
        thread.start()
    try:
        for round_ in range(3):
            text = file.read_text(encoding="utf-8")
            # Replaced at once, as a deployment should: a reader never sees half a file.
            draft = file.with_suffix(".draft")
            draft.write_text(text.replace("Municipality's service level",
                                          f"Municipality's service level ({round_})", 1),
                             encoding="utf-8")
            os.replace(draft, file)
            if round_ == 1:
                server.process.send_signal(signal.SIGHUP)
            else:
                assert server.client.post("/v1/admin/reload").status_code == 202
            before = _wait_for_hash(server, "soenderborg", before)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=HANG_TIMEOUT)
    assert statuses and set(statuses) == {200}
    assert len(outcomes) == 1
    assert before == server.library().ruleset("soenderborg").content_hash


def test_no_cpr_number_is_logged(server: Server) -> None:
    server.client.post("/v1/evaluate", json={**PROFILE, "cpr": CPR, "birth_date": None},
                       params={"municipality": 265, "on": ON, "cpr": CPR})
    server.client.post("/v1/evaluate", json={"cpr": CPR, "unknown": CPR},
                       params={"municipality": 265})
    server.client.get("/health", headers={"X-Request-ID": CPR})
    server.client.get("/health")  # the log line of the request before is written
    log = server.log.read_text(encoding="utf-8")
    lines = [json.loads(line) for line in log.splitlines() if line.startswith("{")]
    assert any(line.get("path") == "/v1/evaluate" and line.get("ruleset_hash")
               for line in lines)
    assert all("request_id" in line for line in lines if line["logger"].endswith("access"))
    assert CPR not in log and "010190-1234" not in log


# -- a crash in the engine ------------------------------------------------------------------------

#: Loaded by the server and each of its workers (PYTHONPATH): a worker asked to decide a citizen
#: born on 1999-09-09 ends at once, as a crash in the engine's C code would end it.
CRASH_ON_PROFILE = """
import os
from spstotte.library import RuleLibrary

_evaluate, _compact = RuleLibrary.evaluate, RuleLibrary.evaluate_compact


def _crash_if_asked(profile):
    if isinstance(profile, dict) and profile.get("birth_date") == "1999-09-09":
        os._exit(139)


def evaluate(self, profile, **kw):
    _crash_if_asked(profile)
    return _evaluate(self, profile, **kw)


def evaluate_compact(self, profile, **kw):
    _crash_if_asked(profile)
    return _compact(self, profile, **kw)


RuleLibrary.evaluate, RuleLibrary.evaluate_compact = evaluate, evaluate_compact
"""


def test_a_request_that_crashes_the_engine_gets_a_problem_and_the_service_goes_on(
        tmp_path: Path) -> None:
    hooks = tmp_path / "hooks"
    hooks.mkdir()
    (hooks / "sitecustomize.py").write_text(CRASH_ON_PROFILE, encoding="utf-8")
    folder = tmp_path / "municipalities"
    shutil.copytree(ROOT / "municipalities", folder)
    serving = _serve(tmp_path, folder, hooks)
    crashing = next(serving)
    try:
        client = crashing.client
        params = {"municipality": "roskilde", "on": ON}
        assert client.post("/v1/evaluate", params=params, json=PROFILE).status_code == 200
        document = _problem(client.post("/v1/evaluate", params=params,
                                        json={**PROFILE, "birth_date": "1999-09-09"}), 500)
        assert "stopped its worker process on this request" in json.dumps(document)
        # The workers were started again: the next requests are decided as before.
        for _ in range(3):
            again = client.post("/v1/evaluate", params=params, json=PROFILE)
            assert again.status_code == 200 and again.json()["outcome"] == "granted_85"
        assert crashing.process.poll() is None
        assert "a worker process stopped" in crashing.log.read_text(encoding="utf-8")
        # In a batch, the line that crashes the engine is an error record; the others are
        # decided, in order, one record per line.
        cases = [{**PROFILE, "id": f"c{k}"} for k in range(600)]
        cases[321] = {**PROFILE, "id": "crash", "birth_date": "1999-09-09"}
        body = "".join(json.dumps(case) + "\n" for case in cases).encode()
        response = client.post("/v1/batch", params=params, content=body)
        assert response.status_code == 200
        records = [json.loads(line) for line in response.text.splitlines()]
        assert [r["row"] for r in records] == list(range(1, 601))
        assert (records[321]["id"], records[321]["status"]) == ("crash", "error")
        assert records[321]["errors"][0]["code"] == "E303"
        assert all(r["outcome"] == "granted_85" for k, r in enumerate(records) if k != 321)
    finally:
        serving.close()
