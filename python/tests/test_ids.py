"""The same workflow ids as the TypeScript client: the shared cases of schemas/workflow-ids.json."""

import json

import pytest

from litellm_workflows import credits_workflow_id, team_budget_workflow_id, tenancy_workflow_id

from .conftest import ROOT

CASES = json.loads((ROOT / "schemas" / "workflow-ids.json").read_text(encoding="utf-8"))["cases"]
FUNCTIONS = {"tenancy": tenancy_workflow_id, "teamBudget": team_budget_workflow_id, "credits": credits_workflow_id}


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_shared_case(case: dict) -> None:
    assert FUNCTIONS[case["kind"]](*case["parts"]) == case["id"]


def test_the_cases_are_there() -> None:
    assert len(CASES) >= 10
    assert tenancy_workflow_id("a", "b:c") != tenancy_workflow_id("a:b", "c")
