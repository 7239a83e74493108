"""Start and steer the workflows from Python, as src/client.ts does from TypeScript: inputs checked before
anything starts, the same workflow ids, conflict and reuse policies, payloads encrypted with the same codec,
and failures mapped to named errors.

.. code-block:: python

    workflows = await LiteLLMWorkflows.connect("localhost:7233")  # keys from LITELLM_WORKFLOWS_ENCRYPTION_KEYS
    result = await workflows.execute_migrate_entries(
        MigrateEntriesInput(org_id=org, user_id=user, user_settings=LegacyUserSettings(user_version=3))
    )
"""

from __future__ import annotations

import dataclasses
from typing import Any, Mapping, Optional, Sequence, TypeVar, Union

import pydantic
import temporalio.converter
from pydantic.alias_generators import to_camel
from temporalio.client import (
    Client,
    WorkflowFailureError,
    WorkflowHandle,
    WorkflowUpdateFailedError,
)
from temporalio.common import (
    SearchAttributeKey,
    SearchAttributePair,
    TypedSearchAttributes,
    WorkflowIDConflictPolicy,
    WorkflowIDReusePolicy,
)
from temporalio.exceptions import ApplicationError, WorkflowAlreadyStartedError
from temporalio.service import RPCError

from .codec import AesGcmCodec, EncryptionKey, load_encryption_keys
from .errors import (
    DecisionRefused,
    InvalidInput,
    OperationFailed,
    OperationInProgress,
    OperationRolledBack,
    issues_from_details,
)
from .ids import credits_workflow_id, team_budget_workflow_id, tenancy_workflow_id
from .models import (
    INPUT_MODELS,
    RESULT_MODELS,
    AddTeamCreditsInput,
    AddTeamCreditsResult,
    CreateEntriesInput,
    CreateEntriesResult,
    Decision,
    DowngradeEntriesInput,
    DowngradeEntriesResult,
    MigrateEntriesInput,
    MigrateEntriesResult,
    OperationState,
    SetTeamBudgetInput,
    SetTeamBudgetResult,
    _Input,
)

DEFAULT_TASK_QUEUE = "litellm-workflows"

ORG_ID = SearchAttributeKey.for_keyword("LiteLLMOrgId")
USER_ID = SearchAttributeKey.for_keyword("LiteLLMUserId")
TEAM_ID = SearchAttributeKey.for_keyword("LiteLLMTeamId")
STATE = SearchAttributeKey.for_keyword("LiteLLMState")

M = TypeVar("M", bound=_Input)


def data_converter(keys: Union[str, Sequence[EncryptionKey]]) -> temporalio.converter.DataConverter:
    """Temporal's default converter with the AES-256-GCM codec of the worker (and encoded failure messages)."""
    return dataclasses.replace(
        temporalio.converter.default(),
        payload_codec=AesGcmCodec(keys),
        failure_converter_class=_EncodedFailureConverter,
    )


class _EncodedFailureConverter(temporalio.converter.DefaultFailureConverter):
    # As the worker: failure messages and stack traces go into an encrypted payload.
    def __init__(self) -> None:
        super().__init__(encode_common_attributes=True)


def _issues(error: pydantic.ValidationError) -> list[dict[str, str]]:
    issues = []
    for e in error.errors():
        loc = [str(p) if isinstance(p, int) else to_camel(p) for p in e["loc"]]
        if e["type"] == "extra_forbidden":
            # The unknown key as it was given, not camel-cased.
            issues.append({"field": ".".join([*loc[:-1], str(e["loc"][-1])]), "message": "is not a known field"})
        else:
            message = e["msg"].removeprefix("Value error, ")
            issues.append({"field": ".".join(loc) or "(input)", "message": message})
    return issues


def _checked(operation: str, model: type[M], value: Union[M, Mapping[str, Any]]) -> M:
    try:
        data = value.model_dump(by_alias=True, exclude_unset=True) if isinstance(value, _Input) else value
        return model.model_validate(data)
    except pydantic.ValidationError as err:
        raise InvalidInput(operation, _issues(err)) from None


class LiteLLMWorkflows:
    def __init__(self, client: Client, task_queue: str = DEFAULT_TASK_QUEUE) -> None:
        self.client = client
        self.task_queue = task_queue

    @classmethod
    async def connect(
        cls,
        target_host: str = "localhost:7233",
        *,
        namespace: str = "default",
        task_queue: str = DEFAULT_TASK_QUEUE,
        encryption_keys: Union[str, Sequence[EncryptionKey], None] = None,
        **connect_options: Any,
    ) -> "LiteLLMWorkflows":
        """Connects with the encrypting converter. ``encryption_keys``: ``id:base64,...`` or parsed keys;
        by default ``LITELLM_WORKFLOWS_ENCRYPTION_KEYS`` (or ``..._FILE``), as the worker and the CLI."""
        keys = load_encryption_keys() if encryption_keys is None else encryption_keys
        client = await Client.connect(
            target_host, namespace=namespace, data_converter=data_converter(keys), **connect_options
        )
        return cls(client, task_queue)

    # -- starting --------------------------------------------------------------------------------------

    async def start_create_entries(self, value: Union[CreateEntriesInput, Mapping[str, Any]]) -> WorkflowHandle:
        i = _checked("createEntries", CreateEntriesInput, value)
        return await self._start("createEntries", i, tenancy_workflow_id(i.org_id, i.user_id), i.org_id, i.user_id)

    async def start_migrate_entries(self, value: Union[MigrateEntriesInput, Mapping[str, Any]]) -> WorkflowHandle:
        i = _checked("migrateEntries", MigrateEntriesInput, value)
        return await self._start("migrateEntries", i, tenancy_workflow_id(i.org_id, i.user_id), i.org_id, i.user_id)

    async def start_downgrade_entries(
        self, value: Union[DowngradeEntriesInput, Mapping[str, Any]]
    ) -> WorkflowHandle:
        i = _checked("downgradeEntries", DowngradeEntriesInput, value)
        return await self._start(
            "downgradeEntries", i, tenancy_workflow_id(i.org_id, i.user_id), i.org_id, i.user_id
        )

    async def start_set_team_budget(self, value: Union[SetTeamBudgetInput, Mapping[str, Any]]) -> WorkflowHandle:
        i = _checked("setTeamBudget", SetTeamBudgetInput, value)
        return await self._start("setTeamBudget", i, team_budget_workflow_id(i.team_id), team_id=i.team_id)

    async def start_add_team_credits(
        self, value: Union[AddTeamCreditsInput, Mapping[str, Any]]
    ) -> WorkflowHandle:
        """A purchase's credits, once: a second call returns the handle of the run that is running or
        completed. Only after a failed run (rolled back, nothing added) may the purchase start again. The
        worker also records the purchase in LiteLLM, so even another id or reuse policy adds nothing twice."""
        i = _checked("addTeamCredits", AddTeamCreditsInput, value)
        workflow_id = credits_workflow_id(i.purchase_id)
        try:
            return await self._start(
                "addTeamCredits",
                i,
                workflow_id,
                i.org_id,
                i.user_id,
                i.org_id,
                reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
            )
        except OperationInProgress:
            return self.client.get_workflow_handle(workflow_id)

    async def execute_create_entries(self, value: Union[CreateEntriesInput, Mapping[str, Any]]) -> CreateEntriesResult:
        return await self.result(await self.start_create_entries(value), "createEntries")

    async def execute_migrate_entries(
        self, value: Union[MigrateEntriesInput, Mapping[str, Any]]
    ) -> MigrateEntriesResult:
        return await self.result(await self.start_migrate_entries(value), "migrateEntries")

    async def execute_downgrade_entries(
        self, value: Union[DowngradeEntriesInput, Mapping[str, Any]]
    ) -> DowngradeEntriesResult:
        return await self.result(await self.start_downgrade_entries(value), "downgradeEntries")

    async def execute_set_team_budget(
        self, value: Union[SetTeamBudgetInput, Mapping[str, Any]]
    ) -> SetTeamBudgetResult:
        return await self.result(await self.start_set_team_budget(value), "setTeamBudget")

    async def execute_add_team_credits(
        self, value: Union[AddTeamCreditsInput, Mapping[str, Any]]
    ) -> AddTeamCreditsResult:
        return await self.result(await self.start_add_team_credits(value), "addTeamCredits")

    async def result(self, handle: WorkflowHandle, operation: str) -> Any:
        """The typed result; a failed run raises ``OperationRolledBack``, ``InvalidInput`` or ``OperationFailed``."""
        try:
            raw = await handle.result()
        except WorkflowFailureError as err:
            raise _mapped_failure(handle.id, operation, err) from None
        return RESULT_MODELS[operation].model_validate(raw)

    # -- steering --------------------------------------------------------------------------------------

    async def state(self, workflow_id: str) -> OperationState:
        """Each step, the last error (redacted), the decision awaited."""
        return OperationState.model_validate(await self.client.get_workflow_handle(workflow_id).query("state"))

    async def decide(self, workflow_id: str, decision: Decision) -> OperationState:
        """The ``decide`` update (``retry``, ``rollback``, or ``skip`` for a failed undo): the state it led to."""
        try:
            answer = await self.client.get_workflow_handle(workflow_id).execute_update("decide", decision)
        except WorkflowUpdateFailedError as err:
            reason = str(err.cause) if err.cause else str(err)
            raise DecisionRefused(workflow_id, reason) from None
        except RPCError as err:
            raise DecisionRefused(workflow_id, err.message) from None
        return OperationState.model_validate(answer)

    async def resume(self, workflow_id: str) -> OperationState:
        """Operator: run the failed step again."""
        return await self.decide(workflow_id, "retry")

    async def rollback(self, workflow_id: str) -> OperationState:
        """Operator: undo what the operation did (a paused one is told to, a running one is cancelled)."""
        state = await self.state(workflow_id)
        if state.awaiting and "rollback" in state.awaiting.allowed:
            return await self.decide(workflow_id, "rollback")
        if state.phase != "running":
            raise DecisionRefused(workflow_id, f"the operation is {state.phase} and cannot be rolled back now")
        await self.client.get_workflow_handle(workflow_id).cancel()
        return await self.state(workflow_id)

    async def _start(
        self,
        operation: str,
        value: _Input,
        workflow_id: str,
        org_id: Optional[str] = None,
        user_id: Optional[str] = None,
        team_id: Optional[str] = None,
        *,
        reuse_policy: WorkflowIDReusePolicy = WorkflowIDReusePolicy.ALLOW_DUPLICATE,
    ) -> WorkflowHandle:
        pairs = [
            SearchAttributePair(key, v)
            for key, v in ((ORG_ID, org_id), (USER_ID, user_id), (TEAM_ID, team_id), (STATE, "Running"))
            if v is not None
        ]
        try:
            return await self.client.start_workflow(
                operation,
                value.to_payload(),
                id=workflow_id,
                task_queue=self.task_queue,
                id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
                id_reuse_policy=reuse_policy,
                search_attributes=TypedSearchAttributes(pairs),
            )
        except WorkflowAlreadyStartedError as err:
            raise OperationInProgress(workflow_id, err.workflow_type) from None


def _mapped_failure(workflow_id: str, operation: str, err: WorkflowFailureError) -> Exception:
    cause = err.cause
    if isinstance(cause, ApplicationError):
        details = list(cause.details)
        if cause.type == "InvalidInput":
            return InvalidInput(operation, issues_from_details(details))
        state = None
        if details and isinstance(details[0], dict) and "phase" in details[0]:
            state = OperationState.model_validate(details[0])
        error_class = OperationRolledBack if cause.type == "OperationRolledBack" else OperationFailed
        return error_class(workflow_id, cause.type, cause.message, state)
    return OperationFailed(workflow_id, type(cause).__name__ if cause else None, str(cause or err))
