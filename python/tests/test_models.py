"""The pydantic models describe the same shapes as the JSON Schemas exported from src/inputs.ts: a field
added, removed, renamed, retyped or made (non-)optional on one side fails here."""

import json
from typing import Any

import pytest

from litellm_workflows.models import INPUT_MODELS, RESULT_MODELS

from .conftest import ROOT

SCHEMAS = ROOT / "schemas"


def shape(schema: dict[str, Any], defs: dict[str, Any], closed: bool) -> Any:
    """What both sides must agree on: properties, required, JSON types, enums; not titles or bounds."""
    if "$ref" in schema:
        return shape(defs[schema["$ref"].split("/")[-1]], defs, closed)
    if "anyOf" in schema:
        return {"anyOf": sorted(json.dumps(shape(s, defs, closed), sort_keys=True) for s in schema["anyOf"])}
    if "enum" in schema or "const" in schema:
        return {"enum": sorted(schema.get("enum", [schema.get("const")]))}
    if schema.get("type") == "object":
        return {
            "properties": {name: shape(s, defs, closed) for name, s in schema.get("properties", {}).items()},
            "required": sorted(schema.get("required", [])),
            **({"closed": schema.get("additionalProperties") is False} if closed else {}),
        }
    if isinstance(schema.get("type"), list):  # zod's ["number", "null"] is pydantic's anyOf
        return {"anyOf": sorted(json.dumps(t) for t in schema["type"])}
    return schema.get("type")


def exported(name: str) -> dict[str, Any]:
    return json.loads((SCHEMAS / name).read_text(encoding="utf-8"))


@pytest.mark.parametrize("operation", sorted(INPUT_MODELS))
def test_input_model_matches_the_exported_schema(operation: str) -> None:
    ours = INPUT_MODELS[operation].model_json_schema(by_alias=True)
    theirs = exported(f"{operation}.input.json")
    assert shape(ours, ours.get("$defs", {}), True) == shape(theirs, theirs.get("$defs", {}), True)


@pytest.mark.parametrize("operation", sorted(RESULT_MODELS))
def test_result_model_matches_the_exported_schema(operation: str) -> None:
    ours = RESULT_MODELS[operation].model_json_schema(by_alias=True)
    theirs = exported(f"{operation}.result.json")
    assert shape(ours, ours.get("$defs", {}), False) == shape(theirs, theirs.get("$defs", {}), False)


# Operator workflows, started by the CLI (doctor's repairs), not by the app: no Python model on purpose.
OPERATOR_ONLY = {"repairFindings"}


def test_every_exported_schema_has_a_model() -> None:
    names = {p.name.split(".")[0] for p in SCHEMAS.glob("*.input.json")}
    assert names - OPERATOR_ONLY == set(INPUT_MODELS) == set(RESULT_MODELS)
