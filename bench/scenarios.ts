/**
 * The measured scenarios: seeding the emulator, running the seed port or the workflows, and checking that
 * both left LiteLLM in the same state.
 */
import { isDeepStrictEqual } from 'node:util';
import type { Emulator, StateSnapshot } from '../emulator';
import type { LiteLLMWorkflowsClient } from '../src/client';
import type { MigrateEntriesInput } from '../src/workflows/definitions';
import { UNLIMITED_BUDGET_SETTING, type SeedLiteLlmManager, type SeedUserSettings } from './seed-baseline';

export const OLD_BUDGET = 10;
export const NEW_BUDGET = 125;
const LEGACY_MAX_BUDGET = 20;
const LEGACY_SPEND = 4.5;
export const EXPECTED_CREDITS = LEGACY_MAX_BUDGET - LEGACY_SPEND;

export const DEFAULT_TEAM_ID = 'openhands-default';

// ---- 1. team budget fan-out -----------------------------------------------------------------------------

export const memberId = (i: number): string => `member-${String(i).padStart(4, '0')}`;

/** A team as OpenHands creates it (its metadata), with `members` memberships at the old budget. */
export function seedTeam(emulator: Emulator, teamId: string, members: number, metadata: Record<string, unknown>) {
  emulator.seed.team({ team_id: teamId, team_alias: teamId, max_budget: OLD_BUDGET, metadata });
  for (let i = 0; i < members; i++) {
    emulator.seed.membership({ user_id: memberId(i), team_id: teamId, max_budget_in_team: OLD_BUDGET });
  }
}

export interface TeamState {
  team: Omit<StateSnapshot['teams'][number], 'team_id' | 'team_alias'> | undefined;
  memberships: Array<{ user_id: string; spend: number; max_budget: number | null }>;
}

export function teamState(snapshot: StateSnapshot, teamId: string): TeamState {
  const team = snapshot.teams.find((t) => t.team_id === teamId);
  const { team_id: _id, team_alias: _alias, ...rest } = team ?? { team_id: '', team_alias: null };
  return {
    team: team ? (rest as TeamState['team']) : undefined,
    memberships: snapshot.memberships
      .filter((m) => m.team_id === teamId)
      .map(({ user_id, spend, max_budget }) => ({ user_id, spend, max_budget })),
  };
}

/** Problems with a team after a fan-out: budget not set on the team or on a member, members missing. */
export function checkTeamBudget(state: TeamState, members: number, teamBudgetToo = true): string[] {
  const problems: string[] = [];
  if (teamBudgetToo && state.team?.max_budget !== NEW_BUDGET)
    problems.push(`team budget ${String(state.team?.max_budget)}`);
  if (state.memberships.length !== members) problems.push(`${state.memberships.length}/${members} memberships`);
  const unset = state.memberships.filter((m) => m.max_budget !== NEW_BUDGET).length;
  if (unset > 0) problems.push(`${unset} member budgets not set`);
  return problems;
}

// ---- 2. migrations --------------------------------------------------------------------------------------

export interface LegacyUser {
  userId: string;
  /** The user's stored LiteLLM key (plaintext, as the app hands it over decrypted). */
  key: string;
}

/** A personal account as OpenHands left it before orgs: a budget, spend, and a key in the shared team. */
export function seedLegacyUser(emulator: Emulator, userId: string): LegacyUser {
  emulator.seed.user({
    user_id: userId,
    user_email: `${userId}@example.com`,
    max_budget: LEGACY_MAX_BUDGET,
    spend: LEGACY_SPEND,
  });
  emulator.seed.membership({ user_id: userId, team_id: DEFAULT_TEAM_ID });
  const { key } = emulator.seed.key({ user_id: userId, team_id: DEFAULT_TEAM_ID, key_alias: `legacy key ${userId}` });
  return { userId, key };
}

export function userSettings(user: LegacyUser, baseUrl: string): SeedUserSettings {
  return { userVersion: 4, llmApiKey: user.key, llmBaseUrl: baseUrl };
}

/** Seed port: the personal org's id is the user's id, as OpenHands migrates a personal account. */
export async function migrateBaseline(seed: SeedLiteLlmManager, user: LegacyUser, baseUrl: string, keys = 1) {
  const result = await seed.migrateEntries(user.userId, user.userId, userSettings(user, baseUrl));
  if (result.status !== 'migrated' || result.keysUpdated !== keys || result.newKey) {
    throw new Error(`baseline migration of ${user.userId}: unexpected result ${JSON.stringify(result)}`);
  }
  return result;
}

export function migrationInput(user: LegacyUser, baseUrl: string): MigrateEntriesInput {
  return { orgId: user.userId, userId: user.userId, userSettings: userSettings(user, baseUrl) };
}

export async function migrateWorkflow(client: LiteLLMWorkflowsClient, user: LegacyUser, baseUrl: string, keys = 1) {
  const handle = await client.startMigrateEntries(migrationInput(user, baseUrl));
  const result = await handle.result();
  if (result.status !== 'migrated' || result.movedKeys !== keys || result.storedKey !== 'valid' || result.newKey) {
    throw new Error(`workflow migration of ${user.userId}: unexpected result ${JSON.stringify(result)}`);
  }
  return result;
}

/**
 * Everything LiteLLM holds about one migrated user, with the user id replaced by `<user>` (and key tokens
 * dropped), so a user migrated by the seed port and one migrated by the workflow compare directly.
 */
export function migratedUserState(snapshot: StateSnapshot, userId: string): unknown {
  const related = {
    team: snapshot.teams.find((t) => t.team_id === userId),
    user: snapshot.users.find((u) => u.user_id === userId),
    memberships: snapshot.memberships.filter((m) => m.user_id === userId),
    // By alias: keys moved together reach LiteLLM in any order, and the snapshot lists them in update order.
    keys: snapshot.keys
      .filter((k) => k.user_id === userId)
      .map(({ token: _token, ...key }) => key)
      .sort((a, b) => String(a.key_alias).localeCompare(String(b.key_alias))),
  };
  return JSON.parse(JSON.stringify(related).split(userId).join('<user>')) as unknown;
}

/** Problems with one migrated user: what the seed's migrate_entries must have left behind. */
export function checkMigrated(snapshot: StateSnapshot, userId: string): string[] {
  const problems: string[] = [];
  const team = snapshot.teams.find((t) => t.team_id === userId);
  if (team?.max_budget !== EXPECTED_CREDITS) problems.push(`org team budget ${String(team?.max_budget)}`);
  const user = snapshot.users.find((u) => u.user_id === userId);
  if (user?.max_budget !== UNLIMITED_BUDGET_SETTING) problems.push(`user budget ${String(user?.max_budget)}`);
  const membership = snapshot.memberships.find((m) => m.user_id === userId && m.team_id === userId);
  if (membership?.max_budget !== EXPECTED_CREDITS) problems.push(`membership ${JSON.stringify(membership)}`);
  const keys = snapshot.keys.filter((k) => k.user_id === userId);
  if (keys.length === 0 || keys.some((k) => k.team_id !== userId)) problems.push(`keys ${JSON.stringify(keys)}`);
  return problems;
}

/** Compares baseline-migrated users with workflow-migrated ones pairwise; returns the differences found. */
export function compareMigrations(snapshot: StateSnapshot, pairs: Array<[string, string]>): string[] {
  const problems: string[] = [];
  for (const [base, wf] of pairs) {
    for (const p of checkMigrated(snapshot, base)) problems.push(`${base}: ${p}`);
    for (const p of checkMigrated(snapshot, wf)) problems.push(`${wf}: ${p}`);
    if (!isDeepStrictEqual(migratedUserState(snapshot, base), migratedUserState(snapshot, wf))) {
      problems.push(
        `${base} vs ${wf}: ${JSON.stringify(migratedUserState(snapshot, base))} != ${JSON.stringify(migratedUserState(snapshot, wf))}`
      );
    }
  }
  return problems;
}
