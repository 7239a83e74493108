"""Typed inputs and results of the workflows, in step with the JSON Schemas in ``schemas/`` (exported from
src/inputs.ts; tests/test_models.py fails when they drift).

Fields are snake_case in Python and camelCase on the wire. Optional fields that are not given are not sent;
fields that may not be null on the wire (``concurrency``, ``failure_policy``, ...) refuse ``None``, as the
worker would.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, List, Literal, Optional, Union

from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

_CONTROL_CHARS = re.compile(r"[\u0000-\u001f\u007f]")


def _check_entity_id(value: str) -> str:
    if _CONTROL_CHARS.search(value):
        raise ValueError("must not contain control characters")
    if value.strip() != value:
        raise ValueError("must not start or end with white space")
    return value


EntityId = Annotated[str, Field(min_length=1, max_length=256), AfterValidator(_check_entity_id)]
Budget = Annotated[float, Field(ge=0, allow_inf_nan=False)]
Duration = Union[Annotated[int, Field(gt=0)], Annotated[str, Field(pattern=r"^\d+(\.\d+)?\s*(ms|s|m|h|d|days?|hours?|minutes?)$")]]


class _Input(BaseModel):
    # strict: "2" is not a number, as for the worker (JSON has no coercion).
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid", strict=True)

    def to_payload(self) -> dict[str, Any]:
        """The workflow argument: camelCase, only the fields that were given."""
        return self.model_dump(mode="json", by_alias=True, exclude_unset=True)


class _Result(BaseModel):
    # Results may gain fields in later worker versions: tolerated, not refused.
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore")


class FailurePolicy(_Input):
    """What happens when a step fails for good (non-retryable, or its retry budget spent)."""

    on_failure: Literal["rollback", "pause"] = None  # type: ignore[assignment]
    operator_timeout: Duration = None  # type: ignore[assignment]
    default_decision: Literal["retry", "rollback"] = None  # type: ignore[assignment]


class CreateEntriesInput(_Input):
    org_id: EntityId
    user_id: EntityId
    email: Optional[str] = None
    create_user: bool
    failure_policy: FailurePolicy = None  # type: ignore[assignment]


class LegacyUserSettings(_Input):
    user_version: Annotated[int, Field(ge=0)]
    billing_margin: Optional[Annotated[float, Field(gt=0, allow_inf_nan=False)]] = None
    # A secret: encrypted in history by the codec, never printed by repr().
    llm_api_key: Optional[Annotated[str, Field(min_length=1)]] = Field(default=None, repr=False)
    llm_base_url: Optional[str] = None


class MigrateEntriesInput(_Input):
    org_id: EntityId
    user_id: EntityId
    user_settings: LegacyUserSettings
    failure_policy: FailurePolicy = None  # type: ignore[assignment]


class DowngradeEntriesInput(_Input):
    org_id: EntityId
    user_id: EntityId
    failure_policy: FailurePolicy = None  # type: ignore[assignment]


class SetTeamBudgetProgress(_Input):
    offset: Annotated[int, Field(ge=0)]
    members_updated: Annotated[int, Field(ge=0)]
    team_updated: bool


class SetTeamBudgetInput(_Input):
    team_id: EntityId
    max_budget: Optional[Budget]
    concurrency: Annotated[int, Field(ge=1, le=64)] = None  # type: ignore[assignment]
    page_size: Annotated[int, Field(ge=1, le=1000)] = None  # type: ignore[assignment]
    pages_per_run: Annotated[int, Field(ge=1, le=500)] = None  # type: ignore[assignment]
    failure_policy: FailurePolicy = None  # type: ignore[assignment]
    # Carried across continue-as-new by the workflow; callers leave it out.
    progress: SetTeamBudgetProgress = None  # type: ignore[assignment]


class AddTeamCreditsInput(_Input):
    purchase_id: EntityId
    org_id: EntityId
    user_id: EntityId
    amount: Annotated[float, Field(gt=0, allow_inf_nan=False)]
    failure_policy: FailurePolicy = None  # type: ignore[assignment]


class CreateEntriesResult(_Result):
    status: Literal["created"]
    team_id: str
    key: str = Field(repr=False)
    key_alias: str
    agent: Literal["CodeActAgent"]
    llm_model: str
    llm_base_url: str
    team_budget: Optional[float]


class MigrateEntriesResult(_Result):
    status: Literal["migrated", "completed_partial_migration", "already_migrated"]
    team_id: str
    credits: float = None  # type: ignore[assignment]
    moved_keys: int
    unknown_keys: int
    stored_key: Literal["valid", "invalid", "unknown", "not_checked"]
    new_key: str = Field(default=None, repr=False)  # type: ignore[assignment]


class DowngradeEntriesResult(_Result):
    status: Literal["downgraded", "team_not_found"]
    restored_budget: float = None  # type: ignore[assignment]
    restored_spend: float = None  # type: ignore[assignment]
    moved_keys: int


class SetTeamBudgetResult(_Result):
    team_id: str
    max_budget: Optional[float]
    members_updated: int


class AddTeamCreditsResult(_Result):
    purchase_id: str
    team_id: str
    previous_max_budget: float
    new_max_budget: float
    members_updated: int
    already_applied: bool


Decision = Literal["retry", "rollback", "skip"]


class StepState(_Result):
    name: str
    status: Literal["pending", "running", "done", "failed", "compensating", "compensated"]
    attempts: int
    last_error: Optional[str] = None
    compensation_error: Optional[str] = None


class AwaitedDecision(_Result):
    step: str
    during: Literal["forward", "compensation"]
    error: str
    allowed: List[Decision]
    default_decision: Decision
    deadline: str


class OperationState(_Result):
    """The ``state`` query's answer (and the ``decide`` update's)."""

    operation: str
    phase: Literal[
        "running",
        "awaiting_operator",
        "rolling_back",
        "completed",
        "rolled_back",
        "rollback_failed",
        "failed",
        "cancelled",
    ]
    steps: List[StepState]
    awaiting: Optional[AwaitedDecision] = None


INPUT_MODELS: dict[str, type[_Input]] = {
    "createEntries": CreateEntriesInput,
    "migrateEntries": MigrateEntriesInput,
    "downgradeEntries": DowngradeEntriesInput,
    "setTeamBudget": SetTeamBudgetInput,
    "addTeamCredits": AddTeamCreditsInput,
}

RESULT_MODELS: dict[str, type[_Result]] = {
    "createEntries": CreateEntriesResult,
    "migrateEntries": MigrateEntriesResult,
    "downgradeEntries": DowngradeEntriesResult,
    "setTeamBudget": SetTeamBudgetResult,
    "addTeamCredits": AddTeamCreditsResult,
}
