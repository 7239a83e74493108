"""Workflow ids from business keys, the same function as ``workflowIds`` in src/workflows/definitions.ts.

Each part is escaped (``%`` -> ``%25``, then ``:`` -> ``%3A``) so distinct parts always give distinct ids;
``schemas/workflow-ids.json`` holds the test cases both languages check.
"""

from __future__ import annotations


def workflow_id_part(part: str) -> str:
    """One part of a workflow id, with no ``:`` left in it."""
    return part.replace("%", "%25").replace(":", "%3A")


def tenancy_workflow_id(org_id: str, user_id: str) -> str:
    """Create, migrate and downgrade of one user in one org: one at a time."""
    return f"litellm-tenancy:{workflow_id_part(org_id)}:{workflow_id_part(user_id)}"


def team_budget_workflow_id(team_id: str) -> str:
    return f"litellm-team-budget:{workflow_id_part(team_id)}"


def credits_workflow_id(purchase_id: str) -> str:
    return f"litellm-credits:{workflow_id_part(purchase_id)}"
