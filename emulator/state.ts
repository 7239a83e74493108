// In-memory copy of the LiteLLM tables the admin API touches (schema.prisma of 1.80.9), with the
// column defaults Prisma would apply, so API-created and seeded rows are indistinguishable.
import { createHash, randomBytes, randomUUID } from 'node:crypto';

import { pyIsoformat } from './pyrepr';
import type { LiteLLMVersion, StateSnapshot } from './types';

export type Json = Record<string, unknown>;

export interface Member {
  user_id: string | null;
  user_email: string | null;
  role: 'admin' | 'user';
}

export interface TeamRow {
  team_id: string;
  team_alias: string | null;
  organization_id: string | null;
  object_permission_id: string | null;
  admins: string[];
  members: string[];
  members_with_roles: Member[];
  metadata: Json;
  max_budget: number | null;
  spend: number;
  models: string[];
  max_parallel_requests: number | null;
  tpm_limit: number | null;
  rpm_limit: number | null;
  budget_duration: string | null;
  budget_reset_at: string | null;
  blocked: boolean;
  created_at: string;
  updated_at: string;
  model_spend: Json;
  model_max_budget: Json;
  team_member_permissions: string[];
  model_id: number | null;
}

export interface UserRow {
  user_id: string;
  user_alias: string | null;
  team_id: string | null;
  sso_user_id: string | null;
  organization_id: string | null;
  object_permission_id: string | null;
  password: string | null;
  teams: string[];
  user_role: string | null;
  max_budget: number | null;
  spend: number;
  user_email: string | null;
  models: string[];
  metadata: Json;
  max_parallel_requests: number | null;
  tpm_limit: number | null;
  rpm_limit: number | null;
  budget_duration: string | null;
  budget_reset_at: string | null;
  allowed_cache_controls: string[];
  model_spend: Json;
  model_max_budget: Json;
  created_at: string;
  updated_at: string;
}

export interface KeyRow {
  token: string;
  key_name: string | null;
  key_alias: string | null;
  soft_budget_cooldown: boolean;
  spend: number;
  expires: string | null;
  models: string[];
  aliases: Json;
  config: Json;
  user_id: string | null;
  team_id: string | null;
  permissions: Json;
  max_parallel_requests: number | null;
  metadata: Json;
  blocked: boolean | null;
  tpm_limit: number | null;
  rpm_limit: number | null;
  max_budget: number | null;
  budget_duration: string | null;
  budget_reset_at: string | null;
  allowed_cache_controls: string[];
  allowed_routes: string[];
  model_spend: Json;
  model_max_budget: Json;
  budget_id: string | null;
  organization_id: string | null;
  object_permission_id: string | null;
  created_at: string;
  created_by: string | null;
  updated_at: string;
  updated_by: string | null;
  rotation_count: number;
  auto_rotate: boolean;
  rotation_interval: string | null;
  last_rotation_at: string | null;
  key_rotation_at: string | null;
}

export interface BudgetRow {
  budget_id: string;
  max_budget: number | null;
  soft_budget: number | null;
  max_parallel_requests: number | null;
  tpm_limit: number | null;
  rpm_limit: number | null;
  model_max_budget: Json | null;
  budget_duration: string | null;
  budget_reset_at: string | null;
  created_at: string;
  created_by: string;
  updated_at: string;
  updated_by: string;
}

export interface MembershipRow {
  user_id: string;
  team_id: string;
  spend: number;
  budget_id: string | null;
}

/** The proxy admin's user_id (LITELLM_PROXY_ADMIN_NAME): the master key acts as this user. */
export const PROXY_ADMIN_ID = 'default_user_id';

export const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');
/** utils.py::_hash_token_if_needed: only plaintext keys (sk-…) are hashed. */
export const hashIfNeeded = (key: string): string => (key.startsWith('sk-') ? sha256(key) : key);
/** "sk-" + secrets.token_urlsafe(16). */
export const generateKey = (): string => `sk-${randomBytes(16).toString('base64url')}`;
/** auth_utils.py::abbreviate_api_key. */
export const abbreviateKey = (key: string): string => `sk-...${key.slice(-4)}`;
export const nowIso = (): string => pyIsoformat(new Date());

const membershipId = (userId: string, teamId: string): string => `${userId}\u0000${teamId}`;
const byText = (a: string | null, b: string | null): number =>
  a === b ? 0 : a === null ? -1 : b === null ? 1 : a < b ? -1 : 1;
const clone = <T>(value: T): T => structuredClone(value);

export class Store {
  /** Deleted keys: 1.108.5 keeps them readable on `/key/info` (`status: "deleted"`). */
  readonly deletedKeys = new Map<string, KeyRow & { deleted_at: string }>();
  constructor(readonly version: LiteLLMVersion = '1.80.9') {}

  /** True when the emulated LiteLLM is 1.108.5 (the answers that differ from 1.80.9 are marked with it). */
  get isV108(): boolean {
    return this.version === '1.108.5';
  }

  readonly teams = new Map<string, TeamRow>();
  readonly users = new Map<string, UserRow>();
  readonly keys = new Map<string, KeyRow>();
  readonly budgets = new Map<string, BudgetRow>();
  private readonly membershipRows = new Map<string, MembershipRow>();
  /** Insertion order of keys: created_at ties are broken like Postgres' microsecond timestamps would. */
  private readonly keyOrder = new Map<string, number>();
  private keyCounter = 0;

  clear(): void {
    this.teams.clear();
    this.users.clear();
    this.keys.clear();
    this.budgets.clear();
    this.deletedKeys.clear();
    this.membershipRows.clear();
    this.keyOrder.clear();
    this.keyCounter = 0;
  }

  newTeam(teamId: string): TeamRow {
    const now = nowIso();
    return {
      team_id: teamId,
      team_alias: null,
      organization_id: null,
      object_permission_id: null,
      admins: [],
      members: [],
      members_with_roles: [],
      metadata: {},
      max_budget: null,
      spend: 0,
      models: [],
      max_parallel_requests: null,
      tpm_limit: null,
      rpm_limit: null,
      budget_duration: null,
      budget_reset_at: null,
      blocked: false,
      created_at: now,
      updated_at: now,
      model_spend: {},
      model_max_budget: {},
      team_member_permissions: [],
      model_id: null,
    };
  }

  newUser(userId: string): UserRow {
    const now = nowIso();
    return {
      user_id: userId,
      user_alias: null,
      team_id: null,
      sso_user_id: null,
      organization_id: null,
      object_permission_id: null,
      password: null,
      teams: [],
      user_role: null,
      max_budget: null,
      spend: 0,
      user_email: null,
      models: [],
      metadata: {},
      max_parallel_requests: null,
      tpm_limit: null,
      rpm_limit: null,
      budget_duration: null,
      budget_reset_at: null,
      allowed_cache_controls: [],
      model_spend: {},
      model_max_budget: {},
      created_at: now,
      updated_at: now,
    };
  }

  /** A key row as generate_key_helper_fn writes it for `plaintext`. */
  newKey(plaintext: string): KeyRow {
    const now = nowIso();
    return {
      token: sha256(plaintext),
      key_name: abbreviateKey(plaintext),
      key_alias: null,
      soft_budget_cooldown: false,
      spend: 0,
      expires: null,
      models: [],
      aliases: {},
      config: {},
      user_id: null,
      team_id: null,
      permissions: {},
      max_parallel_requests: null,
      metadata: {},
      blocked: null,
      tpm_limit: null,
      rpm_limit: null,
      max_budget: null,
      budget_duration: null,
      budget_reset_at: null,
      allowed_cache_controls: [],
      allowed_routes: [],
      model_spend: {},
      model_max_budget: {},
      budget_id: null,
      organization_id: null,
      object_permission_id: null,
      created_at: now,
      created_by: null,
      updated_at: now,
      updated_by: null,
      rotation_count: 0,
      auto_rotate: false,
      rotation_interval: null,
      last_rotation_at: null,
      key_rotation_at: null,
    };
  }

  insertKey(row: KeyRow): void {
    this.deletedKeys.delete(row.token);
    this.keys.set(row.token, row);
    this.keyOrder.set(row.token, ++this.keyCounter);
  }

  deleteKey(token: string): void {
    const row = this.keys.get(token);
    if (row) this.deletedKeys.set(token, { ...row, deleted_at: nowIso() });
    this.keys.delete(token);
    this.keyOrder.delete(token);
  }

  /** Creation rank of a key (higher = newer). */
  keyRank(token: string): number {
    return this.keyOrder.get(token) ?? 0;
  }

  createBudget(fields: Partial<BudgetRow>, createdBy: string): BudgetRow {
    const now = nowIso();
    const row: BudgetRow = {
      budget_id: randomUUID(),
      max_budget: null,
      soft_budget: null,
      max_parallel_requests: null,
      tpm_limit: null,
      rpm_limit: null,
      model_max_budget: null,
      budget_duration: null,
      budget_reset_at: null,
      created_at: now,
      created_by: createdBy,
      updated_at: now,
      updated_by: createdBy,
      ...fields,
    };
    this.budgets.set(row.budget_id, row);
    return row;
  }

  membership(userId: string, teamId: string): MembershipRow | undefined {
    return this.membershipRows.get(membershipId(userId, teamId));
  }

  putMembership(row: MembershipRow): void {
    this.membershipRows.set(membershipId(row.user_id, row.team_id), row);
  }

  deleteMembership(userId: string, teamId: string): void {
    this.membershipRows.delete(membershipId(userId, teamId));
  }

  memberships(): MembershipRow[] {
    return [...this.membershipRows.values()];
  }

  budgetOf(membership: MembershipRow): BudgetRow | null {
    return membership.budget_id === null ? null : (this.budgets.get(membership.budget_id) ?? null);
  }

  snapshot(options: { budgets?: boolean } = {}): StateSnapshot {
    const teams = [...this.teams.values()]
      .sort((a, b) => byText(a.team_id, b.team_id))
      .map((t) => ({
        team_id: t.team_id,
        team_alias: t.team_alias,
        max_budget: t.max_budget,
        spend: t.spend,
        members_with_roles: clone(t.members_with_roles).sort((a, b) => byText(a.user_id, b.user_id)),
        metadata: clone(t.metadata),
        models: [...t.models],
        blocked: t.blocked,
      }));
    const users = [...this.users.values()]
      .sort((a, b) => byText(a.user_id, b.user_id))
      .map((u) => ({
        user_id: u.user_id,
        user_email: u.user_email,
        max_budget: u.max_budget,
        spend: u.spend,
        teams: [...u.teams].sort(byText),
        metadata: clone(u.metadata),
        models: [...u.models],
        user_role: u.user_role,
      }));
    const memberships = this.memberships()
      .sort((a, b) => byText(a.user_id, b.user_id) || byText(a.team_id, b.team_id))
      .map((m) => ({
        user_id: m.user_id,
        team_id: m.team_id,
        spend: m.spend,
        max_budget: this.budgetOf(m)?.max_budget ?? null,
      }));
    const keys = [...this.keys.values()]
      .sort((a, b) => byText(a.token, b.token))
      .map((k) => ({
        token: k.token,
        key_alias: k.key_alias,
        user_id: k.user_id,
        team_id: k.team_id,
        max_budget: k.max_budget,
        spend: k.spend,
        metadata: clone(k.metadata),
        models: [...k.models],
        blocked: k.blocked,
      }));
    if (!options.budgets) return { teams, users, memberships, keys };
    const budgets = [...this.budgets.values()]
      .map((b) => ({ max_budget: b.max_budget, tpm_limit: b.tpm_limit, rpm_limit: b.rpm_limit }))
      .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
    return { teams, users, memberships, keys, budgets };
  }
}
