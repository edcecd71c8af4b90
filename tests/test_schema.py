"""JSON Schemas: the kept copies match the models, and the bundled files validate."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from conftest import ROOT
from spstotte.cli.main import main
from spstotte.loader import load_yaml_file, load_yaml_text
from spstotte.schema import KINDS, schema_json

SCHEMAS = ROOT / "schemas"


@pytest.mark.parametrize("kind", KINDS)
def test_the_kept_schemas_match_the_models(kind: str) -> None:
    kept = (SCHEMAS / f"{kind}.schema.json").read_text(encoding="utf-8")
    assert kept == schema_json(kind), "regenerate with: spstotte schema --write schemas"


def validator(kind: str) -> jsonschema.Draft202012Validator:
    schema = json.loads((SCHEMAS / f"{kind}.schema.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def files(kind: str) -> list[Path]:
    if kind == "rules":
        return sorted([*ROOT.glob("rules/*.yaml"), *ROOT.glob("municipalities/*.yaml")])
    if kind == "scenarios":
        return sorted(ROOT.glob("municipalities/scenarios/*.scenarios.yaml"))
    return [ROOT / "examples" / "citizen.yaml"]


@pytest.mark.parametrize("kind", KINDS)
def test_every_bundled_file_validates_and_names_its_schema(kind: str) -> None:
    check = validator(kind)
    for path in files(kind):
        errors = [e.message for e in check.iter_errors(load_yaml_file(path).data)]
        assert errors == [], (path, errors[:3])
        first = path.read_text(encoding="utf-8").splitlines()[0]
        assert first.startswith("# yaml-language-server: $schema=") and \
            first.endswith(f"schemas/{kind}.schema.json"), path
        target = (path.parent / first.split("=", 1)[1]).resolve()
        assert target == (SCHEMAS / f"{kind}.schema.json").resolve()


def test_editors_are_told_about_mistakes() -> None:
    check = validator("rules")
    bad = load_yaml_text("""\
layer: municipality
id: x
title: {da: X, en: X}
rules:
  - id: r
    title: {da: T, en: T}
    legal_basis: {}
    when: {fact: support_need, gte: lots}
    then: {require: {paths: [p85], on_fail: maybe}}
""").data
    assert list(check.iter_errors(bad))
    assert list(validator("profile").iter_errors({"support_need": "lots"}))
    assert not list(validator("profile").iter_errors({"residence_municipality": "Roskilde",
                                                      "support_need": "high"}))


def test_the_schema_command(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["schema", "profile"]) == 0
    assert json.loads(capsys.readouterr().out)["title"] == "spstotte citizen profile"
    assert main(["schema", "--write", str(tmp_path)]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "profile.schema.json", "rules.schema.json", "scenarios.schema.json"]
    assert main(["schema"]) == 2
