"""JSON Schemas for the rule files, the citizen profile and the scenario files.

Editors that speak JSON Schema (VS Code with the YAML extension, IntelliJ, ...) use them for
completion and validation while policy staff type: every bundled YAML file names its schema on
its first line (``# yaml-language-server: $schema=...``). ``spstotte schema --write schemas``
regenerates the kept copies in ``schemas/``; a test checks they match the models.

The schemas come from the pydantic models; conditions and conclusions, which the library parses
itself for precise error positions, get hand-written schemas generated from the fact catalogue,
so each comparison offers exactly its fact's operators and values.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .facts import FACTS, FactKind, FactSpec
from .lang.conditions import ON_FAIL
from .lang.operators import TABLE, Operand, Operator
from .lang.ruleformat import RuleFile
from .profile import CitizenProfile
from .scenarios.format import ScenarioFileModel

BASE_URI = "https://spstotte.example/schemas"
KINDS = ("rules", "profile", "scenarios")

_PARAM: dict[str, Any] = {"type": "object", "properties": {"param": {"type": "string"}},
                          "required": ["param"], "additionalProperties": False}
_TEXT: dict[str, Any] = {"$ref": "#/$defs/Text"}


def _scalar(spec: FactSpec, entry: Operator) -> dict[str, Any]:
    if spec.kind is FactKind.BOOL:
        return {"type": "boolean"}
    if spec.kind is FactKind.INT:
        return {"type": "integer"}
    if spec.kind is FactKind.MUNICIPALITY:
        options: list[dict[str, Any]] = [{"type": "integer"}, {"type": "string"}]
        return {"anyOf": options}
    values = [v for v in spec.values if not (entry.ordered and v == "not_assessed")]
    return {"enum": values}


def _comparison(spec: FactSpec) -> dict[str, Any]:
    properties: dict[str, Any] = {"fact": {"const": spec.name, "description": spec.en}}
    for entry in sorted(TABLE, key=lambda e: e.op.value):
        if spec.kind not in entry.kinds:
            continue
        if entry.operand is Operand.FLAG:
            value: dict[str, Any] = {"type": "boolean"}
        elif entry.operand is Operand.LIST:
            value = {"anyOf": [{"type": "array", "items": _scalar(spec, entry), "minItems": 1},
                               _PARAM]}
        else:
            value = {"anyOf": [_scalar(spec, entry), _PARAM]}
        properties[entry.op.value] = value
    return {"type": "object", "properties": properties, "required": ["fact"],
            "minProperties": 2, "maxProperties": 2, "additionalProperties": False}


def _condition() -> dict[str, Any]:
    ref = {"$ref": "#/$defs/Condition"}
    return {
        "description": "A condition: all/any/not, a comparison of a fact, or another rule's "
                       "conclusion (docs/rule-format.md).",
        "anyOf": [
            {"type": "object", "properties": {"all": {"type": "array", "items": ref,
                                                      "minItems": 1}},
             "required": ["all"], "additionalProperties": False},
            {"type": "object", "properties": {"any": {"type": "array", "items": ref,
                                                      "minItems": 1}},
             "required": ["any"], "additionalProperties": False},
            {"type": "object", "properties": {"not": ref}, "required": ["not"],
             "additionalProperties": False},
            {"type": "object", "properties": {"rule": {"type": "string"},
                                              "is": {"type": "boolean"}},
             "required": ["rule"], "additionalProperties": False},
            {"type": "object", "properties": {"granted": {"type": "string"}},
             "required": ["granted"], "additionalProperties": False},
            *(_comparison(spec) for spec in FACTS.values()),
        ],
    }


def _conclusion() -> dict[str, Any]:
    paths = {"anyOf": [{"const": "all"}, {"type": "array", "items": {"type": "string"},
                                          "minItems": 1}]}

    def kind(name: str, properties: dict[str, Any], required: list[str]) -> dict[str, Any]:
        return {"type": "object", "additionalProperties": False, "required": [name],
                "properties": {name: {"type": "object", "properties": properties,
                                      "required": required, "additionalProperties": False}}}

    months = {"type": "integer", "minimum": 1, "maximum": 366}
    return {
        "description": "What follows when the condition holds (docs/rule-format.md).",
        "anyOf": [
            {"const": "derive"},
            kind("require", {"paths": paths, "on_fail": {"enum": list(ON_FAIL)},
                             "refer_to": {"type": "string"},
                             "forward_to": {"enum": [n for n, f in FACTS.items()
                                                     if f.kind is FactKind.MUNICIPALITY]},
                             "expected": _TEXT}, ["paths"]),
            kind("refer", {"to": {"type": "string"}, "paths": paths, "expected": _TEXT},
                 ["to"]),
            kind("obligation", {
                "paths": paths, "text": _TEXT,
                "after_months": {"anyOf": [{"type": "array", "items": months, "minItems": 1},
                                           _PARAM]},
                "every_months": months, "within_days": months}, ["paths", "text"]),
            kind("inform", {"paths": paths, "text": _TEXT}, ["paths", "text"]),
            kind("guidance", {"text": _TEXT}, ["text"]),
        ],
    }


def _finish(schema: dict[str, Any], name: str, title: str) -> dict[str, Any]:
    schema.pop("title", None)
    return {"$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": f"{BASE_URI}/{name}.schema.json", "title": title, **schema}


def rules_schema() -> dict[str, Any]:
    """The schema of a rule file (law layer or municipality)."""
    schema = RuleFile.model_json_schema(mode="validation")
    defs = schema.setdefault("$defs", {})
    defs["Condition"] = _condition()
    defs["Conclusion"] = _conclusion()
    rule = defs["Rule"]["properties"]
    rule["when"] = {"$ref": "#/$defs/Condition"}
    rule["then"] = {"$ref": "#/$defs/Conclusion"}
    for value in defs["Parameter"]["properties"].values():
        value.pop("default", None)
    return _finish(schema, "rules", "spstotte rule file")


def profile_schema() -> dict[str, Any]:
    """The schema of a citizen profile."""
    return _finish(CitizenProfile.model_json_schema(mode="validation"), "profile",
                   "spstotte citizen profile")


def scenarios_schema() -> dict[str, Any]:
    """The schema of a scenario file; scenario profiles use the profile schema."""
    schema = ScenarioFileModel.model_json_schema(mode="validation")
    profile = CitizenProfile.model_json_schema(mode="validation")
    defs = schema.setdefault("$defs", {})
    defs.update(profile.pop("$defs", {}))
    defs["CitizenProfile"] = profile
    defs["ScenarioModel"]["properties"]["profile"] = {"$ref": "#/$defs/CitizenProfile"}
    for key in ("on",):
        defs["ScenarioModel"]["properties"][key] = {"anyOf": [{"type": "string",
                                                              "format": "date"},
                                                             {"type": "null"}]}
    return _finish(schema, "scenarios", "spstotte scenario file")


SCHEMAS = {"rules": rules_schema, "profile": profile_schema, "scenarios": scenarios_schema}


def schema_json(kind: str) -> str:
    """A schema as the JSON text kept in ``schemas/``."""
    return json.dumps(SCHEMAS[kind](), ensure_ascii=False, indent=2) + "\n"


def write_schemas(folder: Path) -> list[Path]:
    """Write every schema into ``folder``; returns the files written."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for kind in KINDS:
        path = folder / f"{kind}.schema.json"
        path.write_text(schema_json(kind), encoding="utf-8")
        written.append(path)
    return written
