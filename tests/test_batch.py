"""Batch: a caseload in, one record per row out, in order, nothing lost; the same verdicts as
``evaluate``; bad rows in the error file with their line numbers; an interrupted run resumed."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from spstotte import InputError, ProfileError, RuleLibrary, evaluate_many
from spstotte.batch import compact
from spstotte.batch.compact import flat
from spstotte.batch.rows import read_rows
from spstotte.cli.main import main
from spstotte.testing import profile_data

ON = "2026-11-23"
#: Only a hang reaches it (tests/test_suite_hygiene.py).
HANG_TIMEOUT = 300


def caseload(n: int) -> list[dict[str, Any]]:
    """``n`` varied profiles (drawn reproducibly from the test strategies), with ids."""
    rows: list[dict[str, Any]] = []

    @settings(max_examples=n, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    @given(profile_data(municipality=265))
    def draw(profile: dict[str, Any]) -> None:
        if len(rows) < n:
            rows.append({"id": f"case-{len(rows) + 1}", **profile})

    draw()
    return rows


def test_records_equal_evaluate_for_every_row_in_order(library: RuleLibrary) -> None:
    rows = caseload(60)
    records = list(evaluate_many(rows, municipality=265, on=ON, library=library))
    assert [r["id"] for r in records] == [r["id"] for r in rows]
    assert [r["row"] for r in records] == list(range(1, len(rows) + 1))
    for row, record in zip(rows, records, strict=True):
        profile = {k: v for k, v in row.items() if k != "id"}
        verdict = library.evaluate(profile, municipality=265, on=ON)
        assert record == {"row": record["row"], "id": row["id"], "status": "decided",
                          **compact(verdict)}


def test_worker_processes_give_the_same_records_in_the_same_order(library: RuleLibrary) -> None:
    rows = caseload(300)
    rows[17] = {"id": "bad", "support_need": "extreme"}
    alone = list(evaluate_many(rows, municipality=265, on=ON))
    together = list(evaluate_many(rows, municipality=265, on=ON, workers=2))
    assert together == alone
    assert together[17]["status"] == "error" and together[17]["errors"][0]["field"] == \
        "support_need"


def test_a_row_may_name_its_own_municipality_and_decision_date(library: RuleLibrary) -> None:
    rows = [{"id": "v", "municipality": "vejle", "on": "2025-01-01",
             "birth_date": "2010-01-01"},
            {"id": "none", "birth_date": "2000-01-01"}]
    first, second = evaluate_many(rows, library=library)
    assert (first["municipality"], first["decision_date"], first["outcome"]) == (
        630, "2025-01-01", "refused")
    assert second["status"] == "error"
    assert second["errors"][0]["message"] == "the row names no municipality"


def run(tmp_path: Path, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(["batch", *args, "--quiet"])
    return code, capsys.readouterr().err


# With two workers, each worker reads its own raw rows (a JSON line, or a CSV record's cells):
# the line numbers, the problems and the CSV columns must come out the same.
@pytest.mark.parametrize("workers", ["1", "2"])
def test_bad_rows_go_to_the_error_file_with_their_line_numbers(
        workers: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = json.dumps({"id": "g", **caseload(1)[0]})
    source = tmp_path / "cases.jsonl"
    source.write_text(f'{good}\n\n{{"id": "b", "support_need": "extreme"}}\nnot json\n'
                      f'[1, 2]\n{good}\n', encoding="utf-8")
    out = tmp_path / "out.jsonl"
    code, _ = run(tmp_path, capsys, str(source), "-m", "265", "--on", ON, "-o", str(out),
                  "--workers", workers)
    assert code == 0
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [(r["row"], r["status"]) for r in records] == [
        (1, "decided"), (3, "error"), (4, "error"), (5, "error"), (6, "decided")]
    errors = [json.loads(line) for line in
              (tmp_path / "out.jsonl.errors.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [(e["row"], e["errors"][0]["field"]) for e in errors] == [
        (3, "support_need"), (4, ""), (5, "")]
    assert errors[1]["errors"][0]["message"] == "the line is not JSON: Expecting value (column 1)"


@pytest.mark.parametrize("workers", ["1", "2"])
def test_csv_is_read_as_people_write_it(workers: str, tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str],
                                        library: RuleLibrary) -> None:
    source = tmp_path / "cases.csv"
    source.write_text(
        "id;Fødselsdato;bopælskommune;boform;psykisk funktionsevne;støttebehov;"
        "met_by_open_offers;met_by_advice;covered_by_provision;specialist_treatment_sought;"
        "applicant;requested_support_areas\n"
        'x1;2000-05-01;Roskilde;own_home;severe;moderate;nej;Nej;-;0;self;'
        '"administration;social_life"\n'
        "x2;1990-01-01;265;own_home;severe;moderate;måske;nej;ingen;0;self;\n"
        "x3;1990-01-01;265;own_home;severe;;nej;nej;section_83;false;self;\n",
        encoding="utf-8")
    with source.open(encoding="utf-8") as stream:
        rows = list(read_rows(stream, "csv"))
    assert rows[0].number == 2 and rows[0].profile == {
        "birth_date": "2000-05-01", "residence_municipality": "Roskilde",
        "living_situation": {"kind": "own_home"}, "mental_impairment": "severe",
        "support_need": "moderate", "met_by_open_offers": False, "met_by_advice": False,
        "covered_by_provision": [], "specialist_treatment_sought": False, "applicant": "self",
        "requested_support_areas": ["administration", "social_life"]}
    assert "support_need" not in rows[2].profile  # an empty cell is unknown
    out = tmp_path / "out.csv"
    code, _ = run(tmp_path, capsys, str(source), "-m", "roskilde", "--on", ON, "-o", str(out),
                  "--workers", workers)
    assert code == 0
    with out.open(encoding="utf-8") as stream:
        table = list(csv.DictReader(stream))
    assert [(r["row"], r["id"], r["status"], r["outcome"]) for r in table] == [
        ("2", "x1", "decided", "granted_85"), ("3", "x2", "error", ""),
        ("4", "x3", "decided", "referred")]
    assert table[1]["errors"] == "P100:met_by_open_offers"
    assert table[2]["reasons"] == "covered_by_section_83"


def test_an_unknown_csv_column_stops_the_run_before_any_output(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "cases.csv"
    source.write_text("id,fødselsdto\nx,2000-01-01\n", encoding="utf-8")
    with source.open(encoding="utf-8") as stream, pytest.raises(InputError) as info:
        list(read_rows(stream, "csv"))
    assert "CSV column 2 'fødselsdto'" in str(info.value)
    assert "did you mean 'fødselsdato'?" in str(info.value)
    code, err = run(tmp_path, capsys, str(source), "-m", "265", "-o", str(tmp_path / "o.jsonl"))
    assert code == 3 and "CSV column 2" in err
    assert not (tmp_path / "o.jsonl").exists()


def test_parquet_output_has_one_row_per_input(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pq = pytest.importorskip("pyarrow.parquet", reason="the parquet extra is not installed")
    source = tmp_path / "cases.jsonl"
    source.write_text("".join(json.dumps(r) + "\n" for r in caseload(20)), encoding="utf-8")
    out = tmp_path / "out.parquet"
    code, _ = run(tmp_path, capsys, str(source), "-m", "265", "--on", ON, "-o", str(out),
                  "--workers", "1")
    assert code == 0
    table = pq.read_table(out).to_pylist()
    assert [r["row"] for r in table] == list(range(1, 21))
    assert {r["status"] for r in table} <= {"decided", "error"}


def test_an_interrupted_run_resumes_to_the_same_output(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    rows = caseload(40)
    rows[5] = {"id": "bad", "support_need": "extreme"}
    rows[30] = {"id": "bad2", "support_need": "extreme"}
    source = tmp_path / "cases.jsonl"
    source.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    whole = tmp_path / "whole.jsonl"
    assert run(tmp_path, capsys, str(source), "-m", "265", "--on", ON, "-o", str(whole),
               "--workers", "1")[0] == 0

    from spstotte.batch import output

    calls = {"n": 0}
    real_write = output.RecordWriter.write_encoded

    def interrupted(self: output.RecordWriter, record: output.Encoded) -> None:
        calls["n"] += 1
        if calls["n"] == 21:
            self.stream.write('{"row": 21, "half')  # a record cut off mid-line
            raise KeyboardInterrupt
        real_write(self, record)

    monkeypatch.setattr(output.RecordWriter, "write_encoded", interrupted)
    part = tmp_path / "part.jsonl"
    code, err = run(tmp_path, capsys, str(source), "-m", "265", "--on", ON, "-o", str(part),
                    "--workers", "1")
    assert code == 130
    assert "interrupted: 20 records written" in err and "--resume" in err
    monkeypatch.setattr(output.RecordWriter, "write_encoded", real_write)
    code, _ = run(tmp_path, capsys, str(source), "-m", "265", "--on", ON, "-o", str(part),
                  "--workers", "1", "--resume")
    assert code == 0
    assert part.read_text(encoding="utf-8") == whole.read_text(encoding="utf-8")
    assert (tmp_path / "part.jsonl.errors.jsonl").read_text(encoding="utf-8") == \
        (tmp_path / "whole.jsonl.errors.jsonl").read_text(encoding="utf-8")


def test_the_summary_counts_every_outcome(tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "cases.jsonl"
    source.write_text(json.dumps(caseload(1)[0]) + '\n{"support_need": "x"}\n',
                      encoding="utf-8")
    assert main(["batch", str(source), "-m", "265", "--on", ON, "-o",
                 str(tmp_path / "o.jsonl"), "--workers", "1"]) == 0
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith("2 rows in ")
    counts = {line.split()[0]: line.split()[1] for line in err[1:3]}
    assert "error" in counts and set(counts.values()) == {"1"}
    assert err[-1] == f"1 row(s) could not be decided; see {tmp_path / 'o.jsonl'}.errors.jsonl"



@settings(max_examples=150)
@given(st.sampled_from([265, 630, 540]), st.dates(min_value=date(2020, 3, 1),
                                                  max_value=date(2028, 12, 31)), st.data())
def test_the_compact_path_gives_the_compact_record_of_the_full_verdict(
        municipality: int, on: date, data: st.DataObject) -> None:
    library = _shared()
    profile = data.draw(profile_data(municipality=municipality))
    try:
        verdict = library.evaluate(profile, municipality=municipality, on=on)
    except ProfileError:
        with pytest.raises(ProfileError):
            library.evaluate_compact(profile, municipality=municipality, on=on)
        return
    assert library.evaluate_compact(profile, municipality=municipality, on=on) == \
        compact(verdict)


_LIBRARY: list[RuleLibrary] = []


def _shared() -> RuleLibrary:
    if not _LIBRARY:
        _LIBRARY.append(RuleLibrary())
    return _LIBRARY[0]


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_batch_output_equals_evaluate_for_every_row_in_both_formats(
        fmt: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        library: RuleLibrary) -> None:
    rows = caseload(80)
    source = tmp_path / "cases.jsonl"
    source.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    out = tmp_path / f"out.{fmt}"
    code, _ = run(tmp_path, capsys, str(source), "-m", "265", "--on", ON, "-o", str(out),
                  "--workers", "2")
    assert code == 0
    expected = []
    for number, row in enumerate(rows, start=1):
        profile = {k: v for k, v in row.items() if k != "id"}
        record = {"row": number, "id": row["id"], "status": "decided",
                  **compact(library.evaluate(profile, municipality=265, on=ON))}
        expected.append(record if fmt == "jsonl" else {
            k: "" if v is None else str(v) for k, v in flat(record).items()})
    with out.open(encoding="utf-8") as stream:
        got = ([json.loads(line) for line in stream] if fmt == "jsonl"
               else list(csv.DictReader(stream)))
    assert got == expected


def _command(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "spstotte", *args], input=stdin,
                          capture_output=True, timeout=HANG_TIMEOUT, check=False)


def test_standard_input_to_standard_output() -> None:
    lines = "".join(json.dumps({"id": r["id"], **r}) + "\n" for r in caseload(5))
    result = _command("batch", "-", "-m", "265", "--on", ON, "--workers", "1", "-q",
                      "--errors", os.devnull, stdin=lines.encode())
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in result.stdout.decode().splitlines()]
    assert [r["id"] for r in records] == [f"case-{i}" for i in range(1, 6)]
    # An error file that is a device is written to, never removed or replaced.
    assert Path(os.devnull).is_char_device()


def test_a_real_interrupt_leaves_whole_records_and_resume_completes_them(
        tmp_path: Path) -> None:
    base = caseload(150)
    rows = [{**row, "id": f"{row['id']}-{k}"} for k in range(10) for row in base]
    source = tmp_path / "cases.jsonl"
    source.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    whole, part = tmp_path / "whole.jsonl", tmp_path / "part.jsonl"
    assert _command("batch", str(source), "-m", "265", "--on", ON, "-o", str(whole),
                    "--workers", "2", "-q").returncode == 0
    process = subprocess.Popen(
        [sys.executable, "-m", "spstotte", "batch", str(source), "-m", "265", "--on", ON,
         "-o", str(part), "--workers", "2", "-q"], stderr=subprocess.PIPE)
    # Interrupt once some records are written (or let it finish: then there is nothing left
    # to resume, and the comparison below still holds).
    while process.poll() is None and (not part.exists() or part.stat().st_size < 20_000):
        time.sleep(0.02)
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=HANG_TIMEOUT)
    assert process.returncode in (0, 130), err
    if process.returncode == 130:
        assert b"interrupted: " in err and b"--resume" in err
        for line in part.read_text(encoding="utf-8").splitlines():
            json.loads(line)  # every record written is whole
    assert _command("batch", str(source), "-m", "265", "--on", ON, "-o", str(part),
                    "--workers", "2", "-q", "--resume").returncode == 0
    assert part.read_bytes() == whole.read_bytes()


def test_workers_that_cannot_start_are_an_error_not_a_hang() -> None:
    # A script read from standard input cannot be imported again by a spawned worker.
    script = (b"from spstotte import EngineError, evaluate_many\n"
              b"try:\n"
              b"    list(evaluate_many([{'birth_date': '2010-01-01'}] * 10, municipality=265,\n"
              b"                       on='2026-11-23', workers=2))\n"
              b"except EngineError as exc:\n"
              b"    print('typed:', exc)\n")
    result = subprocess.run([sys.executable, "-"], input=script, capture_output=True,
                            timeout=HANG_TIMEOUT, check=False)
    assert result.returncode == 0
    assert result.stdout.decode().startswith("typed: the 2 worker processes could not start")


#: Loaded at start-up by every process of the run, workers too (PYTHONPATH): a worker that
#: meets the row with id CRASH ends at once, as a crash in the engine's C code would end it.
CRASH_ON_ROW = """
import os
import spstotte.batch.run as run

_decide_row = run.decide_row


def decide_row(library, settings, row):
    if row.id == "CRASH":
        os._exit(139)
    return _decide_row(library, settings, row)


run.decide_row = decide_row
"""


def test_a_row_that_kills_its_worker_is_set_aside_and_the_run_goes_on(tmp_path: Path) -> None:
    (tmp_path / "sitecustomize.py").write_text(CRASH_ON_ROW, encoding="utf-8")
    rows = [{**row, "id": f"c{k}"} for k, row in enumerate(caseload(40) * 20)]
    rows[700]["id"] = "CRASH"
    source = tmp_path / "cases.jsonl"
    source.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    out = tmp_path / "out.jsonl"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(tmp_path), *filter(None, [os.environ.get("PYTHONPATH")])])}
    result = subprocess.run(
        [sys.executable, "-m", "spstotte", "batch", str(source), "-m", "265", "--on", ON,
         "-o", str(out), "--workers", "2"], capture_output=True, timeout=HANG_TIMEOUT,
        check=False, env=env)
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["row"] for r in records] == list(range(1, len(rows) + 1))
    crashed = records[700]
    assert (crashed["id"], crashed["status"], crashed["errors"][0]["code"]) == (
        "CRASH", "error", "E303")
    assert all(r["status"] == "decided" for r in records if r["id"] != "CRASH")
    errors = (tmp_path / "out.jsonl.errors.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["row"] for line in errors] == [701]
    assert b"1 row(s) could not be decided" in result.stderr


def test_an_engine_that_crashes_on_row_after_row_stops_the_run(tmp_path: Path) -> None:
    # The limit is lowered to 2 in every process of the run (sitecustomize runs in the parent
    # too): the third row that kills its worker stops the run with a typed error.
    (tmp_path / "sitecustomize.py").write_text(
        CRASH_ON_ROW + "run.MAX_CRASHED_ROWS = 2\n", encoding="utf-8")
    rows = [{**row, "id": f"c{k}"} for k, row in enumerate(caseload(40))]
    for k in (3, 4, 5):
        rows[k]["id"] = "CRASH"
    source = tmp_path / "cases.jsonl"
    source.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(tmp_path), *filter(None, [os.environ.get("PYTHONPATH")])])}
    result = subprocess.run(
        [sys.executable, "-m", "spstotte", "batch", str(source), "-m", "265", "--on", ON,
         "-o", str(tmp_path / "out.jsonl"), "--workers", "2"], capture_output=True,
        timeout=HANG_TIMEOUT, check=False, env=env)
    assert result.returncode == 3, result.stderr
    assert b"stopped its worker process on more than 2 rows" in result.stderr
    assert b"Traceback" not in result.stderr


def test_the_compact_memo_never_hands_one_case_another_cases_missing_facts() -> None:
    # A caseload in one library, case after case: a case whose requirements concluded as an
    # earlier case's did, but with other facts unknown, must be asked for its own facts.
    from spstotte import generate_cases

    library = RuleLibrary()
    checked = 0
    for case in generate_cases(300, 15, municipality=265, on=ON):
        profile = {k: v for k, v in case.items() if k not in ("id", "municipality", "on")}
        try:
            verdict = library.evaluate(profile, municipality=265, on=ON)
        except ProfileError:
            continue
        assert library.evaluate_compact(profile, municipality=265, on=ON) == compact(verdict)
        checked += 1
    assert checked == 300
