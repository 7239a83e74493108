"""Named errors, the same as the TypeScript client's (src/client.ts, src/inputs.ts)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Optional, Sequence

if TYPE_CHECKING:
    from .models import OperationState


class LiteLLMWorkflowsError(Exception):
    """Base of every error this package raises."""


class InvalidInput(LiteLLMWorkflowsError):
    """Bad input, refused by this package before starting or by the worker: each field (dotted path) and why.
    Never carries the value, which may be a secret."""

    def __init__(self, operation: str, issues: Sequence[dict[str, str]]) -> None:
        self.operation = operation
        self.issues = [dict(i) for i in issues]
        super().__init__(f"Invalid input for {operation}: " + "; ".join(f"{i['field']} {i['message']}" for i in issues))

    @property
    def fields(self) -> list[str]:
        return [i["field"] for i in self.issues]


class OperationInProgress(LiteLLMWorkflowsError):
    """Another operation on the same entity is running: ``workflow_id`` is that run's."""

    def __init__(self, workflow_id: str, workflow_type: Optional[str]) -> None:
        self.workflow_id = workflow_id
        self.workflow_type = workflow_type
        super().__init__(f"Another operation is already in progress for this entity (workflow id {workflow_id})")


class OperationFailed(LiteLLMWorkflowsError):
    """The run failed: ``failure_type`` is the workflow's failure type (e.g. ``RollbackFailed``), ``state``
    its steps when the workflow reported them."""

    def __init__(
        self, workflow_id: str, failure_type: Optional[str], message: str, state: Optional["OperationState"] = None
    ) -> None:
        self.workflow_id = workflow_id
        self.failure_type = failure_type
        self.state = state
        super().__init__(message)


class OperationRolledBack(OperationFailed):
    """A step failed for good and everything done was undone; ``state`` shows each step."""


class DecisionRefused(LiteLLMWorkflowsError):
    """A ``resume``/``rollback``/``decide`` that does not fit the operation's state."""

    def __init__(self, workflow_id: str, reason: str) -> None:
        self.workflow_id = workflow_id
        self.reason = reason
        super().__init__(f"Decision refused for {workflow_id}: {reason}")


def issues_from_details(details: Sequence[Any]) -> list[dict[str, str]]:
    """The worker's ``InvalidInput`` failure carries the issues as its first detail."""
    if details and isinstance(details[0], list):
        return [
            {"field": str(i.get("field")), "message": str(i.get("message"))} for i in details[0] if isinstance(i, dict)
        ]
    return []
