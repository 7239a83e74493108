// What every route handler gets, plus the JSON shapes LiteLLM's response models serialise rows into.
import type { Caller, RouteAccess } from '../auth';
import { HttpException, type ErrorStyle } from '../errors';
import { pyIsoformat } from '../pyrepr';
import { isDict } from '../validate';
import type { BudgetRow, Json, KeyRow, MembershipRow, Store, TeamRow, UserRow } from '../state';

export interface RouteContext {
  store: Store;
  caller: Caller;
  /** Parsed JSON body; undefined when the request had none. */
  body: unknown;
  query: URLSearchParams;
  /** The undecoded query string (user/info re-reads it to keep '+'). */
  rawQuery: string;
  /** Proxy model list; empty means no llm_router. */
  models: string[];
}

export interface RouteDef {
  method: 'GET' | 'POST';
  path: string;
  access: RouteAccess;
  errors: ErrorStyle;
  handle(ctx: RouteContext): unknown;
}

export const NOT_PREMIUM =
  'You must be a LiteLLM Enterprise user to use this feature. If you have a license please set `LITELLM_LICENSE` in your env. Get a 7 day trial key here: https://www.litellm.ai/enterprise#trial. \nPricing: https://www.litellm.ai/#pricing';

/** LiteLLM_ManagementEndpoint_MetadataFields: stored inside `metadata` rather than as columns. */
export const METADATA_FIELDS = [
  'model_rpm_limit',
  'model_tpm_limit',
  'rpm_limit_type',
  'tpm_limit_type',
  'enforced_params',
  'temp_budget_increase',
  'temp_budget_expiry',
  'allowed_vector_store_indexes',
] as const;

/** LiteLLM_ManagementEndpoint_MetadataFields_Premium: the emulator is not licensed, so setting any is refused. */
export const PREMIUM_FIELDS = [
  'guardrails',
  'tags',
  'team_member_key_duration',
  'prompts',
  'logging',
  'allowed_passthrough_routes',
] as const;

/** MemberDeleteRequest / UpdateUserRequest.check_user_info (a mode="before" validator). */
export const eitherUserIdOrEmail = (raw: unknown): string | undefined =>
  isDict(raw) && raw.user_id == null && raw.user_email == null
    ? 'Either user id or user email must be provided'
    : undefined;

/** utils.py::_premium_user_check */
export function premiumRequired(feature?: string): HttpException {
  const what = feature ? `LiteLLM Enterprise users: ${feature}` : 'LiteLLM Enterprise users';
  return new HttpException(403, { error: `This feature is only available for ${what}. ${NOT_PREMIUM}` });
}

/** The first premium field set (non-null) in a request, in LiteLLM's check order. */
export function firstPremiumField(values: Record<string, unknown>): string | undefined {
  return PREMIUM_FIELDS.find((f) => values[f] !== undefined && values[f] !== null);
}

/** duration_in_seconds: "<n>s|m|h|d|w|mo". */
function durationSeconds(duration: string): number {
  const match = /^(\d+)(mo|[smhdw]?)/.exec(duration);
  const unitSeconds: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, w: 604800, mo: 2_592_000 };
  const seconds = match?.[2] ? unitSeconds[match[2]] : undefined;
  if (!match || seconds === undefined) throw new Error('Invalid duration format');
  return Number(match[1]) * seconds;
}

/** Absolute time `duration` from now, as LiteLLM stores expires / budget_reset_at. */
export function timeFromNow(duration: string): string {
  return pyIsoformat(new Date(Date.now() + durationSeconds(duration) * 1000));
}

export function budgetJson(budget: BudgetRow | null): Json | null {
  if (!budget) return null;
  const {
    budget_id,
    soft_budget,
    max_budget,
    max_parallel_requests,
    tpm_limit,
    rpm_limit,
    model_max_budget,
    budget_duration,
  } = budget;
  return {
    budget_id,
    soft_budget,
    max_budget,
    max_parallel_requests,
    tpm_limit,
    rpm_limit,
    model_max_budget,
    budget_duration,
  };
}

/** LiteLLM_TeamTable (plus the DB-only columns Prisma returns alongside). */
export function teamJson(team: TeamRow): Json {
  return { ...structuredClone(team), litellm_model_table: null, object_permission: null };
}

export function userJson(user: UserRow): Json {
  return { ...structuredClone(user), organization_memberships: [] };
}

export function keyJson(store: Store, key: KeyRow): Json {
  const budget = key.budget_id === null ? null : (store.budgets.get(key.budget_id) ?? null);
  return { ...structuredClone(key), litellm_budget_table: budgetJson(budget) };
}

export function membershipJson(store: Store, m: MembershipRow): Json {
  return {
    user_id: m.user_id,
    team_id: m.team_id,
    budget_id: m.budget_id,
    spend: m.spend,
    litellm_budget_table: budgetJson(store.budgetOf(m)),
  };
}

/** Keys in the order Postgres hands back an unordered find_many (insertion order). */
export function keysWhere(store: Store, predicate: (k: KeyRow) => boolean): KeyRow[] {
  return [...store.keys.values()].filter(predicate);
}
