// Public contract of the emulator (other packages code against these names).

/** The LiteLLM versions the emulator answers as (the two real versions CI verifies against). */
export const LITELLM_VERSIONS = ['1.80.9', '1.108.5'] as const;
export type LiteLLMVersion = (typeof LITELLM_VERSIONS)[number];

export interface EmulatorOptions {
  /** 0 / undefined = random free port. */
  port?: number;
  /** Default '127.0.0.1'. */
  host?: string;
  masterKey: string;
  /** general_settings.litellm_key_header_name: when set, ONLY this header is read, value must be 'Bearer <key>'. */
  customAuthHeader?: string;
  /** Proxy model list for /v1/models and the key team-change check; default ['gpt-4o-mini', 'claude-sonnet-4']. */
  models?: string[];
  /** The LiteLLM version whose answers the emulator gives; default '1.80.9' in process (`npm run emulator`: 1.108.5). */
  litellmVersion?: LiteLLMVersion;
}

export interface Emulator {
  /** 'http://127.0.0.1:PORT' (no trailing slash). */
  readonly url: string;
  readonly litellmVersion: LiteLLMVersion;
  readonly port: number;
  /** Closes the server and destroys open sockets (hung requests too). */
  stop(): Promise<void>;
  /** Empty state, clear faults and journal. */
  reset(): void;
  /** LiteLLM's tables; with `{ budgets: true }` the budget rows too (`/budget/list`). */
  snapshot(options?: { budgets?: boolean }): StateSnapshot;
  journal(): JournalEntry[];
  clearJournal(): void;
  faults: FaultController;
  seed: Seeder;
}

export interface MemberSnapshot {
  user_id: string | null;
  user_email: string | null;
  role: 'admin' | 'user';
}

export interface TeamSnapshot {
  team_id: string;
  team_alias: string | null;
  max_budget: number | null;
  spend: number;
  members_with_roles: MemberSnapshot[];
  metadata: Record<string, unknown>;
  models: string[];
  blocked: boolean;
}

export interface UserSnapshot {
  user_id: string;
  user_email: string | null;
  max_budget: number | null;
  spend: number;
  teams: string[];
  metadata: Record<string, unknown>;
  models: string[];
  user_role: string | null;
}

export interface MembershipSnapshot {
  user_id: string;
  team_id: string;
  spend: number;
  max_budget: number | null;
}

export interface KeySnapshot {
  token: string;
  key_alias: string | null;
  user_id: string | null;
  team_id: string | null;
  max_budget: number | null;
  spend: number;
  metadata: Record<string, unknown>;
  models: string[];
  blocked: boolean | null;
}

/** Deterministic view of LiteLLM's tables: sorted, no timestamps, no per-call generated ids, never a plaintext key. */
export interface StateSnapshot {
  teams: TeamSnapshot[];
  users: UserSnapshot[];
  memberships: MembershipSnapshot[];
  keys: KeySnapshot[];
  /**
   * Budget rows (`/budget/list`) by their limits, sorted (ids are generated per call, so left out); only when
   * asked for: 1.80.9 writes a fresh row on every `/team/member_update`, so a budget fan-out leaves rows behind.
   */
  budgets?: BudgetSnapshot[];
}

export interface BudgetSnapshot {
  max_budget: number | null;
  tpm_limit: number | null;
  rpm_limit: number | null;
}

export interface JournalEntry {
  method: string;
  path: string;
  query: Record<string, string>;
  /** Parsed JSON body with secrets masked ('sk-…' + last 4); the raw text (masked) when it was not JSON. */
  body: unknown;
  /** The `LiteLLM-Changed-By` header (LiteLLM's audit attribution), when sent. */
  changedBy?: string;
  /** 0 when no response was sent (reset, hang). */
  status: number;
  /** The fault that shaped this call, e.g. 'latency', 'status', 'reset', 'random:status503'. */
  fault?: string;
}

export type FaultRule = {
  /** '/team/new' etc., or '*' for every route. */
  route: string;
  method?: 'GET' | 'POST';
  /** Apply to the next N matching calls, then the rule expires; default unlimited. */
  times?: number;
  /** Skip the first N matching calls before applying (default 0). */
  after?: number;
} & (
  | { kind: 'latency'; ms: number; jitterMs?: number }
  | { kind: 'status'; status: number; body?: unknown }
  | { kind: 'rate_limit'; retryAfterSeconds: number }
  | { kind: 'reset' }
  | { kind: 'hang' }
  | { kind: 'drop_after_apply' }
  | { kind: 'random'; rate: number; seed: number; kinds?: RandomFaultKind[] }
);

export type RandomFaultKind = 'status500' | 'status503' | 'rate_limit' | 'reset' | 'drop_after_apply';

export interface FaultController {
  /** Returns the rule id. Throws on an invalid rule. */
  add(rule: FaultRule): string;
  /** Returns whether a rule was removed. */
  remove(id: string): boolean;
  clear(): void;
  list(): Array<FaultRule & { id: string }>;
}

export interface SeedUser {
  user_id: string;
  user_email?: string | null;
  max_budget?: number | null;
  spend?: number;
  teams?: string[];
  metadata?: Record<string, unknown>;
  models?: string[];
  user_role?: string | null;
}

export interface SeedTeam {
  team_id: string;
  team_alias?: string | null;
  max_budget?: number | null;
  spend?: number;
  members?: Array<{ user_id: string; role: 'admin' | 'user' }>;
  metadata?: Record<string, unknown>;
  models?: string[];
  blocked?: boolean;
}

export interface SeedMembership {
  user_id: string;
  team_id: string;
  max_budget_in_team?: number | null;
  spend?: number;
}

export interface SeedKey {
  /** Plaintext; a fresh sk-… is generated when absent. */
  key?: string;
  user_id?: string | null;
  team_id?: string | null;
  key_alias?: string | null;
  spend?: number;
  max_budget?: number | null;
  metadata?: Record<string, unknown>;
  models?: string[];
  blocked?: boolean | null;
}

/** Sets `spend` to `amount` on every row the ids select (key, user, team, and the membership when both user and team are given). */
export interface SeedSpend {
  team_id?: string;
  user_id?: string;
  token?: string;
  amount: number;
}

/** Direct state set-up for tests: no HTTP, no journal entry; rows look exactly like API-created ones. */
export interface Seeder {
  user(input: SeedUser): void;
  team(input: SeedTeam): void;
  membership(input: SeedMembership): void;
  key(input: SeedKey): { key: string; token: string };
  spend(input: SeedSpend): void;
}
