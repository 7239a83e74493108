/**
 * Plain-JSON shapes the activities return (workflows import these as types only).
 */
import type { LiteLLMClient } from '../litellm/client';
import type { ProvisioningConfig } from '../config';

export interface ActivityDeps {
  client: LiteLLMClient;
  provisioning: ProvisioningConfig;
  /** The proxy's public base URL, handed to callers as the user's LLM base URL. */
  liteLLMBaseUrl: string;
  /** Secret from which issued keys are derived (exactly-once issuance). Never logged. */
  keyDerivationSecret: string;
}

export interface ProvisioningSettings {
  defaultTeamId: string | null;
  defaultInitialBudget: number | null;
  liteLLMBaseUrl: string;
  defaultModel: string;
  orgSettingsVersion: number;
}

export interface TeamSnapshot {
  teamId: string;
  teamAlias: string | null;
  /** null = unlimited. */
  maxBudget: number | null;
  spend: number;
  /** The team's metadata as stored (restored exactly by the undo of `createTeam`). */
  metadata: Record<string, unknown>;
  /**
   * User ids of `members_with_roles` (the real member list), without the proxy admin LiteLLM adds to teams
   * it creates with the master key (`default_user_id`: not an OpenHands member). Sorted.
   */
  memberUserIds: string[];
  /** `team_memberships` rows (members with a per-team budget row), without the proxy admin. Sorted by user id. */
  memberships: Array<{ userId: string; maxBudgetInTeam: number | null; spend: number }>;
}

export interface UserSnapshot {
  userId: string;
  email: string | null;
  /** null = never set (unlimited); `UNLIMITED_USER_BUDGET` = set to unlimited. */
  maxBudget: number | null;
  spend: number;
  teams: string[];
}

export interface Membership {
  userId: string;
  teamId: string;
  /** Personal org: the member's own spend in the team. Team org (userId ≠ teamId): the team's shared spend. */
  spend: number;
  /** Team org: the team's shared budget. Personal org: a per-member `max_budget_in_team` if LiteLLM reported one. */
  maxBudgetInTeam: number | null;
  /** The member's budget row (`litellm_budget_table.max_budget`); null when none. */
  budgetMaxBudget: number | null;
}

export interface KeySummary {
  /** sha256 of the key: LiteLLM's token. */
  tokenHash: string;
  keyAlias: string | null;
  teamId: string | null;
  /** LiteLLM's abbreviation `sk-...abcd`. */
  keyName: string | null;
  metadata: Record<string, unknown>;
}

export interface KeyInfo {
  tokenHash: string;
  keyAlias: string | null;
  teamId: string | null;
  userId: string | null;
  spend: number;
  maxBudget: number | null;
}

export interface IssuedKey {
  /** The plaintext key: the only place it is returned. */
  key: string;
  tokenHash: string;
  keyAlias: string | null;
}
