/**
 * The first line of every workflow: the input is checked with the same zod schemas as the client's (so a run
 * started from Python, the CLI or `temporal workflow start` is checked too), and the run makes itself
 * findable by setting its own search attributes, whoever started it.
 */
import type { SearchAttributeUpdatePair } from '@temporalio/common';
import { ApplicationFailure, patched, upsertSearchAttributes } from '@temporalio/workflow';
import { ORG_ID, STATE, TEAM_ID, USER_ID } from '../search-attributes';
import type { OperationName } from './definitions';
import { checkWorkflowInput, describeInputIssues, type CheckedInput } from './input-check';

/** The failure type of a refused input (non-retryable: the same input is refused every time). */
export const INVALID_INPUT = 'InvalidInput';

/** Patch id of the search attributes a run sets itself. */
const SETS_OWN_SEARCH_ATTRIBUTES = 'workflow-sets-own-search-attributes';

/**
 * Checks `raw` before anything is written: unknown fields and wrong types fail the run at once with a
 * non-retryable `InvalidInput` naming each field and why (never the value). Then sets `LiteLLMOrgId`,
 * `LiteLLMUserId`, `LiteLLMTeamId` (the org's team, or the team) and `LiteLLMState=Running`.
 */
export function beginOperation<N extends OperationName>(operation: N, raw: unknown): CheckedInput<N> {
  // Runs started before workflows set their own attributes replay without them (the client had set them).
  const setsSearchAttributes = patched(SETS_OWN_SEARCH_ATTRIBUTES);
  const checked = checkWorkflowInput(operation, raw);
  if (!checked.ok) {
    if (setsSearchAttributes) upsertSearchAttributes([{ key: STATE, value: 'Failed' }]);
    throw ApplicationFailure.create({
      type: INVALID_INPUT,
      message: describeInputIssues(operation, checked.issues),
      details: [checked.issues],
      nonRetryable: true,
    });
  }
  const ids = checked.value as { orgId?: string; userId?: string; teamId?: string };
  const teamId = ids.teamId ?? ids.orgId;
  const attributes: SearchAttributeUpdatePair[] = [
    ...(ids.orgId ? [{ key: ORG_ID, value: ids.orgId }] : []),
    ...(ids.userId ? [{ key: USER_ID, value: ids.userId }] : []),
    ...(teamId ? [{ key: TEAM_ID, value: teamId }] : []),
    { key: STATE, value: 'Running' },
  ];
  if (setsSearchAttributes) upsertSearchAttributes(attributes);
  return checked.value;
}
