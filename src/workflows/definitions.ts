/**
 * The contract shared by workflows, the client and the CLI: workflow inputs and results, the failure
 * policy, the `state` query and the `decide` update, and the workflow ids built from business keys.
 * Workflow type names, the task queue and these shapes are what a Python app relies on too.
 */
import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { z } from 'zod';
import type {
  addTeamCreditsInputSchema,
  createEntriesInputSchema,
  downgradeEntriesInputSchema,
  failurePolicySchema,
  legacyUserSettingsSchema,
  migrateEntriesInputSchema,
  setTeamBudgetInputSchema,
} from '../inputs';
import type { WindowCarry, WindowSummary } from './child-window';

/** What a workflow does when a step has failed for good (non-retryable, or its retry budget spent). */
export type FailurePolicy = z.input<typeof failurePolicySchema>;

export interface ResolvedFailurePolicy {
  onFailure: 'rollback' | 'pause';
  operatorTimeout: string | number;
  defaultDecision: 'retry' | 'rollback';
}

/** Defaults of {@link FailurePolicy}, resolved in one place. */
export function resolveFailurePolicy(policy: FailurePolicy | undefined): ResolvedFailurePolicy {
  return {
    onFailure: policy?.onFailure ?? 'rollback',
    operatorTimeout: policy?.operatorTimeout ?? '7 days',
    defaultDecision: policy?.defaultDecision ?? 'rollback',
  };
}

export type StepStatus = 'pending' | 'running' | 'done' | 'failed' | 'compensating' | 'compensated';

export interface StepState {
  name: string;
  status: StepStatus;
  /** Times the workflow ran this step (operator retries add one each; activity retries are inside one). */
  attempts: number;
  /** The last error, redacted: LiteLLM's type and message, never a key. */
  lastError?: string;
  /** Set when this step's undo failed for good. */
  compensationError?: string;
}

export type Decision = 'retry' | 'rollback' | 'skip';

export type OperationPhase =
  | 'running'
  | 'awaiting_operator'
  | 'rolling_back'
  | 'completed'
  | 'rolled_back'
  | 'rollback_failed'
  | 'failed'
  | 'cancelled';

export interface AwaitedDecision {
  /** The step whose forward action (or, while rolling back, whose undo) failed. */
  step: string;
  during: 'forward' | 'compensation';
  error: string;
  /** Decisions the `decide` update accepts now. */
  allowed: Decision[];
  /** Taken when nobody decides before `deadline` (ISO time). */
  defaultDecision: Decision;
  deadline: string;
}

export interface OperationState {
  operation: OperationName;
  phase: OperationPhase;
  steps: StepState[];
  awaiting?: AwaitedDecision;
}

export const stateQuery = defineQuery<OperationState>('state');
export const decideUpdate = defineUpdate<OperationState, [Decision]>('decide');

export type OperationName =
  'createEntries' | 'migrateEntries' | 'downgradeEntries' | 'setTeamBudget' | 'addTeamCredits' | 'repairFindings';

/** Settings the OpenHands app keeps per user (legacy `user_settings`), as migration needs them. */
export type LegacyUserSettings = z.input<typeof legacyUserSettingsSchema>;

/** Input types derive from the zod schemas of src/inputs.ts (type-only imports: nothing added at run time). */
export type CreateEntriesInput = z.input<typeof createEntriesInputSchema>;

export interface CreateEntriesResult {
  status: 'created';
  teamId: string;
  /** The new virtual key for this user in this org. A secret: encrypted in history. */
  key: string;
  keyAlias: string;
  agent: 'CodeActAgent';
  llmModel: string;
  llmBaseUrl: string;
  /** The team's budget: inherited from an existing team, else the default initial budget (null = unlimited). */
  teamBudget: number | null;
}

export type MigrateEntriesInput = z.input<typeof migrateEntriesInputSchema>;

export interface MigrateEntriesResult {
  status: 'migrated' | 'completed_partial_migration' | 'already_migrated';
  teamId: string;
  /** Credits moved into the org team (after the billing-margin upgrade). */
  credits?: number;
  movedKeys: number;
  /** Keys LiteLLM no longer knew when we tried to move them. */
  unknownKeys: number;
  /** What verifying the stored key found; `unknown` when LiteLLM could not be asked (the key is kept). */
  storedKey: 'valid' | 'invalid' | 'unknown' | 'not_checked';
  /** A new key, issued because LiteLLM did not know the stored one. A secret: encrypted in history. */
  newKey?: string;
}

export type DowngradeEntriesInput = z.input<typeof downgradeEntriesInputSchema>;

export interface DowngradeEntriesResult {
  status: 'downgraded' | 'team_not_found';
  restoredBudget?: number;
  restoredSpend?: number;
  movedKeys: number;
}

export type SetTeamBudgetInput = z.input<typeof setTeamBudgetInputSchema>;

export interface SetTeamBudgetResult {
  teamId: string;
  maxBudget: number | null;
  membersUpdated: number;
}

export type AddTeamCreditsInput = z.input<typeof addTeamCreditsInputSchema>;

export interface AddTeamCreditsResult {
  purchaseId: string;
  teamId: string;
  previousMaxBudget: number;
  newMaxBudget: number;
  membersUpdated: number;
  /** LiteLLM had this purchase recorded already (an earlier run added it): nothing was added this time. */
  alreadyApplied: boolean;
}

/**
 * One part of a workflow id, escaped so that no part contains the separator: `%` → `%25`, then `:` → `%3A`
 * (nothing else changes). Distinct parts give distinct ids, and ids of parts without `:` or `%` are the same
 * as before escaping was introduced. Other languages apply the same two replacements
 * (schemas/workflow-ids.json lists test cases; the Python package uses them).
 */
export function workflowIdPart(part: string): string {
  return part.replace(/%/g, '%25').replace(/:/g, '%3A');
}

/**
 * Workflow ids from business keys. Create, migrate and downgrade of one user in one org share one id, so
 * two operations on the same entity never run at once; budgets are one per team, credits one per purchase.
 */
export const workflowIds = {
  tenancy: (orgId: string, userId: string) => `litellm-tenancy:${workflowIdPart(orgId)}:${workflowIdPart(userId)}`,
  teamBudget: (teamId: string) => `litellm-team-budget:${workflowIdPart(teamId)}`,
  credits: (purchaseId: string) => `litellm-credits:${workflowIdPart(purchaseId)}`,
};

/**
 * The ids of runs started before parts were escaped (joined as they were). They differ from
 * {@link workflowIds} only for parts containing `:` or `%`; the CLI falls back to them to find such runs.
 */
export const legacyWorkflowIds = {
  tenancy: (orgId: string, userId: string) => `litellm-tenancy:${orgId}:${userId}`,
  teamBudget: (teamId: string) => `litellm-team-budget:${teamId}`,
  credits: (purchaseId: string) => `litellm-credits:${purchaseId}`,
};

/** One user of a fleet migration: what `migrateEntries` takes, without a failure policy of its own. */
export interface FleetUser {
  orgId: string;
  userId: string;
  userSettings: LegacyUserSettings;
}

export interface MigrateFleetInput {
  users: FleetUser[];
  /**
   * LiteLLM calls the fleet may have in flight at once (the worker's activity slots, or what the LiteLLM
   * operators allow). The window runs this ÷ {@link MIGRATION_WIDEST_LEVEL} migrations at once. @default 32
   */
  liteLLMConcurrency?: number;
  /** Each migration's failure policy. @default { onFailure: 'rollback' } (a paused user would hold a slot) */
  failurePolicy?: FailurePolicy;
  /** Migrations started per run before continuing as new. @default 250 */
  childrenPerRun?: number;
  /** Carried across continue-as-new; callers leave it out. */
  carry?: WindowCarry;
}

/**
 * LiteLLM calls one migration has in flight at most: its widest levels are three (user, team and keys read;
 * team ‖ user budget ‖ stored-key check; two key moves ‖ a new key, `setKeyTeams` moving two at a time).
 */
export const MIGRATION_WIDEST_LEVEL = 3;

/** One outcome per user: status, and the migration's outcome (never a key: a new key stays in that run). */
export type MigrateFleetResult = WindowSummary;

export const fleetWorkflowId = (fleetId: string) => `litellm-fleet:${fleetId}`;
