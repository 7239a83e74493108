/** What `plan` answers (pure types: imported by the workflow, the client and the CLI). */

export type PlannedOperation =
  'createEntries' | 'migrateEntries' | 'downgradeEntries' | 'setTeamBudget' | 'addTeamCredits';

export interface PlanStep {
  /** The step's name, as the workflow's `state` query would show it. */
  step: string;
  /** What it changes: `team T`, `user U`, `membership U in T`, `key <hash>`. */
  target: string;
  before: unknown;
  after: unknown;
  /** How the workflow would undo it; null when it cannot be undone (the workflow commits before it). */
  undo: string | null;
  /** before equals after: the workflow writes it anyway, LiteLLM would not change. */
  noop?: boolean;
}

export interface OperationPlan {
  operation: PlannedOperation;
  /** The status the workflow would end with (e.g. `migrated`, `already_migrated`, `team_not_found`). */
  outcome: string;
  /** True when at least one step would change LiteLLM. */
  changes: boolean;
  steps: PlanStep[];
}
