/**
 * Custom search attributes that make runs findable in the Web UI and with `temporal workflow list`.
 * They are never encrypted, so they carry ids and states only: no key, e-mail or budget.
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const ORG_ID = defineSearchAttributeKey('LiteLLMOrgId', SearchAttributeType.KEYWORD);
export const USER_ID = defineSearchAttributeKey('LiteLLMUserId', SearchAttributeType.KEYWORD);
export const TEAM_ID = defineSearchAttributeKey('LiteLLMTeamId', SearchAttributeType.KEYWORD);
/** Running, AwaitingOperator, RollingBack, Completed, RolledBack, Failed. */
export const STATE = defineSearchAttributeKey('LiteLLMState', SearchAttributeType.KEYWORD);

export const ALL_SEARCH_ATTRIBUTES = [ORG_ID, USER_ID, TEAM_ID, STATE];

/** `--search-attribute Name=Keyword` arguments for `temporal server start-dev`. */
export function searchAttributeCliArgs(): string[] {
  return ALL_SEARCH_ATTRIBUTES.flatMap((key) => ['--search-attribute', `${key.name}=Keyword`]);
}
