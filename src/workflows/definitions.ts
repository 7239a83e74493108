/**
 * The contract shared by workflows, the client and the CLI: workflow inputs and results, the failure
 * policy, the `state` query and the `decide` update, and the workflow ids built from business keys.
 * Workflow type names, the task queue and these shapes are what a Python app relies on too.
 */
import { defineQuery, defineUpdate } from '@temporalio/workflow';

/** What a workflow does when a step has failed for good (non-retryable, or its retry budget spent). */
export interface FailurePolicy {
  /**
   * `rollback`: compensate at once and fail (for callers such as sign-in that need an answer now).
   * `pause`: wait for an operator's `retry` or `rollback` decision.
   * @default 'rollback'
   */
  onFailure?: 'rollback' | 'pause';
  /**
   * How long a paused operation waits for a decision, as milliseconds or an ms-formatted string.
   * @default '7 days'
   */
  operatorTimeout?: string | number;
  /**
   * What a paused operation does when nobody decided in time.
   * @default 'rollback'
   */
  defaultDecision?: 'retry' | 'rollback';
}

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
export interface LegacyUserSettings {
  /** `user_version`; the billing-margin upgrade applies below 4. */
  userVersion: number;
  /** `billing_margin`; null or 1 means none. */
  billingMargin?: number | null;
  /** The user's stored LiteLLM key (decrypted by the caller). A secret: encrypted in history. */
  llmApiKey?: string | null;
  /** The base URL the stored key is for; only keys of this LiteLLM are verified. */
  llmBaseUrl?: string | null;
}

export interface CreateEntriesInput {
  orgId: string;
  userId: string;
  /** Used on user/new; dropped and retried without when LiteLLM already has it on another user. */
  email?: string | null;
  /** Create the LiteLLM user (first sign-in) or not (new org, accepted invitation). */
  createUser: boolean;
  failurePolicy?: FailurePolicy;
}

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

export interface MigrateEntriesInput {
  orgId: string;
  userId: string;
  userSettings: LegacyUserSettings;
  failurePolicy?: FailurePolicy;
}

export interface MigrateEntriesResult {
  status: 'migrated' | 'completed_partial_migration' | 'already_migrated' | 'user_not_found';
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

export interface DowngradeEntriesInput {
  orgId: string;
  userId: string;
  failurePolicy?: FailurePolicy;
}

export interface DowngradeEntriesResult {
  status: 'downgraded' | 'team_not_found';
  restoredBudget?: number;
  restoredSpend?: number;
  movedKeys: number;
}

export interface SetTeamBudgetInput {
  teamId: string;
  /** New budget for the team and each member with a membership row; null = unlimited. */
  maxBudget: number | null;
  /** Members updated at once. @default 8 */
  concurrency?: number;
  /** Members read per page. @default 200 */
  pageSize?: number;
  /** Pages per run before continuing as new, which keeps history bounded. @default 25 */
  pagesPerRun?: number;
  failurePolicy?: FailurePolicy;
  /** Carried across continue-as-new; callers leave it out. */
  progress?: { offset: number; membersUpdated: number; teamUpdated: boolean };
}

export interface SetTeamBudgetResult {
  teamId: string;
  maxBudget: number | null;
  membersUpdated: number;
}

export interface AddTeamCreditsInput {
  /** Idempotency key, e.g. the Stripe checkout session id: one purchase adds its credits once. */
  purchaseId: string;
  orgId: string;
  userId: string;
  /** Credits to add, in USD. */
  amount: number;
  failurePolicy?: FailurePolicy;
}

export interface AddTeamCreditsResult {
  purchaseId: string;
  teamId: string;
  previousMaxBudget: number;
  newMaxBudget: number;
  membersUpdated: number;
}

/**
 * Workflow ids from business keys. Create, migrate and downgrade of one user in one org share one id, so
 * two operations on the same entity never run at once; budgets are one per team, credits one per purchase.
 */
export const workflowIds = {
  tenancy: (orgId: string, userId: string) => `litellm-tenancy:${orgId}:${userId}`,
  teamBudget: (teamId: string) => `litellm-team-budget:${teamId}`,
  credits: (purchaseId: string) => `litellm-credits:${purchaseId}`,
};
