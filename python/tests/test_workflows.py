"""The package against the real worker on a Temporal dev server, with the LiteLLM emulator behind it."""

from __future__ import annotations

import asyncio
from typing import Any, Awaitable, Callable, TypeVar

import pytest
from temporalio.common import WorkflowIDReusePolicy

from litellm_workflows import (
    AddTeamCreditsInput,
    DecisionRefused,
    FailurePolicy,
    InvalidInput,
    LegacyUserSettings,
    LiteLLMWorkflows,
    MigrateEntriesInput,
    OperationInProgress,
    OperationRolledBack,
    credits_workflow_id,
    tenancy_workflow_id,
)

from .conftest import ENCRYPTION_KEYS, Emulator, unique

T = TypeVar("T")

FAIL_FOR_GOOD = {
    "kind": "status",
    "status": 400,
    "times": 1,
    "body": {"error": {"message": "emulated failure for good", "type": "bad_request_error", "param": "None", "code": "400"}},
}


def run(temporal_address: str, task_queue: str, body: Callable[[LiteLLMWorkflows], Awaitable[T]]) -> T:
    async def main() -> T:
        workflows = await LiteLLMWorkflows.connect(
            temporal_address, task_queue=task_queue, encryption_keys=ENCRYPTION_KEYS
        )
        return await body(workflows)

    return asyncio.run(main())


def legacy_user(emulator: Emulator, budget: float = 20) -> str:
    user = unique("py-user")
    emulator.post("/user/new", {"user_id": user, "max_budget": budget, "auto_create_key": False})
    return user


async def until(check: Callable[[], Awaitable[Any]], timeout: float = 60) -> Any:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        value = await check()
        if value:
            return value
        if loop.time() > deadline:
            raise AssertionError("condition not reached")
        await asyncio.sleep(0.2)


def test_migrates_with_typed_input_and_result_and_the_run_is_findable(temporal_address, task_queue, emulator) -> None:
    user = legacy_user(emulator)

    async def body(w: LiteLLMWorkflows):
        result = await w.execute_migrate_entries(
            MigrateEntriesInput(org_id=user, user_id=user, user_settings=LegacyUserSettings(user_version=4))
        )
        description = await w.client.get_workflow_handle(tenancy_workflow_id(user, user)).describe()
        return result, description

    result, description = run(temporal_address, task_queue, body)
    assert result.status == "migrated"
    assert result.credits == 20
    assert result.team_id == user
    attributes = {key.name: value for key, value in description.typed_search_attributes}
    assert attributes["LiteLLMOrgId"] == user
    assert attributes["LiteLLMState"] == "Completed"
    assert emulator.team(user)["max_budget"] == 20


@pytest.mark.parametrize(
    "value, field",
    [
        ({"userSettings": {"userVersion": 3, "billingMargin": "2"}}, "userSettings.billingMargin"),
        ({"userSettings": {"userVersion": 3}, "surprise": True}, "surprise"),
        ({"userSettings": {"userVersion": 3}, "orgId": "bad\nid"}, "orgId"),
    ],
)
def test_bad_input_is_refused_with_the_field_named_and_nothing_written(
    temporal_address, task_queue, emulator, value, field
) -> None:
    user = legacy_user(emulator)
    raw = {"orgId": user, "userId": user, **value}
    before = len(emulator.journal())

    async def body(w: LiteLLMWorkflows):
        # By the package, before anything starts.
        with pytest.raises(InvalidInput) as by_package:
            await w.start_migrate_entries(raw)
        # By the worker, for a caller that bypasses the package (plain temporalio).
        handle = await w.client.start_workflow(
            "migrateEntries", raw, id=unique("py-raw"), task_queue=w.task_queue
        )
        with pytest.raises(InvalidInput) as by_worker:
            await w.result(handle, "migrateEntries")
        return by_package.value, by_worker.value

    by_package, by_worker = run(temporal_address, task_queue, body)
    assert field in by_package.fields
    assert any(f.startswith(field) for f in by_worker.fields), by_worker.issues
    assert field in str(by_worker)
    assert emulator.writes(since=before) == []


def test_conflict_pause_decide_rollback(temporal_address, task_queue, emulator) -> None:
    user = legacy_user(emulator)
    emulator.fault({"route": "/team/member_add", **FAIL_FOR_GOOD})
    value = MigrateEntriesInput(
        org_id=user,
        user_id=user,
        user_settings=LegacyUserSettings(user_version=4),
        failure_policy=FailurePolicy(on_failure="pause"),
    )

    async def body(w: LiteLLMWorkflows):
        handle = await w.start_migrate_entries(value)
        with pytest.raises(OperationInProgress) as conflict:
            await w.start_migrate_entries(value)
        assert conflict.value.workflow_id == handle.id == tenancy_workflow_id(user, user)

        async def awaiting():
            state = await w.state(handle.id)
            return state if state.phase == "awaiting_operator" else None

        state = await until(awaiting)
        assert state.awaiting is not None and state.awaiting.step == "add user to team"
        assert set(state.awaiting.allowed) == {"retry", "rollback"}
        with pytest.raises(DecisionRefused, match="skip"):
            await w.decide(handle.id, "skip")
        await w.rollback(handle.id)
        with pytest.raises(OperationRolledBack) as rolled_back:
            await w.result(handle, "migrateEntries")
        return rolled_back.value

    rolled_back = run(temporal_address, task_queue, body)
    assert rolled_back.failure_type == "OperationRolledBack"
    assert rolled_back.state is not None and rolled_back.state.phase == "rolled_back"
    assert not any(t["team_id"] == user for t in emulator.state()["teams"])


def test_a_purchase_adds_once_whatever_the_reuse_policy(temporal_address, task_queue, emulator) -> None:
    org = unique("py-org")
    emulator.post("/team/new", {"team_id": org, "max_budget": 100})
    emulator.post("/user/new", {"user_id": f"{org}-buyer", "auto_create_key": False})
    emulator.post("/team/member_add", {"team_id": org, "member": {"user_id": f"{org}-buyer", "role": "user"}, "max_budget_in_team": 100})
    purchase = AddTeamCreditsInput(purchase_id=unique("cs"), org_id=org, user_id=f"{org}-buyer", amount=25)

    async def body(w: LiteLLMWorkflows):
        first = await w.execute_add_team_credits(purchase)
        again = await w.execute_add_team_credits(purchase)
        # A caller that starts it its own way, with a reuse policy that allows a second run.
        handle = await w.client.start_workflow(
            "addTeamCredits",
            purchase.to_payload(),
            id=credits_workflow_id(purchase.purchase_id),
            task_queue=w.task_queue,
            id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
        )
        duplicate = await w.result(handle, "addTeamCredits")
        return first, again, duplicate

    first, again, duplicate = run(temporal_address, task_queue, body)
    assert (first.previous_max_budget, first.new_max_budget, first.already_applied) == (100, 125, False)
    assert again == first
    assert duplicate.already_applied is True
    assert emulator.team(org)["max_budget"] == 125
