/**
 * The benchmark's baseline: a faithful TypeScript port of OpenHands' `LiteLlmManager` sequences
 * (/work/shared/seed, `enterprise/storage/lite_llm_manager.py`) doing direct HTTP calls one after the other,
 * as the seed does with `httpx.AsyncClient`. Same routes, same bodies, same order, same error handling
 * (`raise_for_status`, the "already exists" / "already in team" / 401 tolerances); no Temporal.
 *
 * Like the seed, each public operation opens its own HTTP client (`async with httpx.AsyncClient(...)`) and
 * `verify_key` opens another one; an undici `Client` is one keep-alive connection, which is what a sequential
 * httpx client uses. Not ported: `decrypt_legacy_value` on keys (the bench's keys are never encrypted) and the
 * Keycloak / `LOCAL_DEPLOYMENT` branches (not reached by these two operations).
 */
import { Client } from 'undici';

/** The seed's constants and environment (`LITE_LLM_API_URL`, `LITE_LLM_API_KEY`, `ORG_SETTINGS_VERSION`, …). */
export interface SeedSettings {
  /** `LITE_LLM_API_URL`, no trailing slash. */
  apiUrl: string;
  /** `LITE_LLM_API_KEY`, sent raw in `x-goog-api-key` as the seed does. */
  apiKey: string;
  orgSettingsVersion: number;
  /** `get_default_litellm_model()`. */
  defaultModel: string;
}

/** `UNLIMITED_BUDGET_SETTING` of the seed. */
export const UNLIMITED_BUDGET_SETTING = 1_000_000_000;
const KEY_VERIFICATION_TIMEOUT_MS = 5_000;

/** httpx's `HTTPStatusError` from `raise_for_status()`. */
export class HttpStatusError extends Error {
  constructor(
    readonly method: string,
    readonly path: string,
    readonly status: number,
    readonly text: string
  ) {
    super(`${method} ${path}: HTTP ${status}`);
    this.name = 'HttpStatusError';
  }
}

interface Response {
  status: number;
  text: string;
  isSuccess: boolean;
  json(): unknown;
}

/** The slice of `httpx.AsyncClient` the seed uses: default headers, get/post, JSON bodies. */
class SeedHttpClient {
  private readonly client: Client;
  private readonly origin: string;
  private readonly basePath: string;

  constructor(
    baseUrl: string,
    private readonly defaultHeaders: Record<string, string>,
    private readonly timeoutMs = 5_000
  ) {
    const url = new URL(baseUrl);
    this.origin = url.origin;
    this.basePath = url.pathname.replace(/\/+$/, '');
    this.client = new Client(this.origin, { headersTimeout: timeoutMs, bodyTimeout: timeoutMs });
  }

  get(path: string, params: Record<string, string> = {}, headers: Record<string, string> = {}): Promise<Response> {
    const qs = new URLSearchParams(params).toString();
    return this.send('GET', qs ? `${path}?${qs}` : path, undefined, headers);
  }

  post(path: string, json: unknown): Promise<Response> {
    return this.send('POST', path, JSON.stringify(json), { 'content-type': 'application/json' });
  }

  close(): Promise<void> {
    return this.client.close();
  }

  private async send(
    method: 'GET' | 'POST',
    path: string,
    body: string | undefined,
    headers: Record<string, string>
  ): Promise<Response> {
    const res = await this.client.request({
      method,
      path: this.basePath + path,
      headers: { ...this.defaultHeaders, ...headers },
      body,
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    const text = await res.body.text();
    const status = res.statusCode;
    return { status, text, isSuccess: status >= 200 && status < 300, json: () => JSON.parse(text) as unknown };
  }
}

function raiseForStatus(method: string, path: string, res: Response): void {
  if (!res.isSuccess) throw new HttpStatusError(method, path, res.status, res.text);
}

type Json = Record<string, unknown>;

/** The subset of `UserSettings` that `migrate_entries` reads. */
export interface SeedUserSettings {
  userVersion: number;
  billingMargin?: number | null;
  llmApiKey?: string | null;
  llmBaseUrl?: string | null;
}

export interface SeedMigrateResult {
  /** `None` returns of the seed are `skipped` here (user not found, already migrated). */
  status: 'migrated' | 'skipped';
  credits?: number;
  keysUpdated: number;
  newKey?: string;
}

export class SeedLiteLlmManager {
  constructor(private readonly settings: SeedSettings) {}

  private openClient(): SeedHttpClient {
    return new SeedHttpClient(this.settings.apiUrl, { 'x-goog-api-key': this.settings.apiKey });
  }

  private metadata(): Json {
    return { version: this.settings.orgSettingsVersion, model: this.settings.defaultModel };
  }

  /** `update_team_and_users_budget`: team budget, then every membership one by one. */
  async updateTeamAndUsersBudget(teamId: string, maxBudget: number): Promise<{ membersUpdated: number }> {
    const client = this.openClient();
    try {
      await this.updateTeam(client, teamId, null, maxBudget);
      const teamInfo = (await this.getTeam(client, teamId)) as Json | null;
      if (!teamInfo) return { membersUpdated: 0 };
      let membersUpdated = 0;
      // TODO (seed): change to use bulk update endpoint
      for (const membership of (teamInfo.team_memberships as Json[] | undefined) ?? []) {
        const userId = membership.user_id;
        if (typeof userId !== 'string' || !userId) continue;
        await this.updateUserInTeam(client, userId, teamId, maxBudget);
        membersUpdated += 1;
      }
      return { membersUpdated };
    } finally {
      await client.close();
    }
  }

  /** `migrate_entries` (non-local deployment). */
  async migrateEntries(orgId: string, userId: string, userSettings: SeedUserSettings): Promise<SeedMigrateResult> {
    const client = this.openClient();
    try {
      const userJson = (await this.getUser(client, userId)) as Json | null;
      if (!userJson) return { status: 'skipped', keysUpdated: 0 };
      const userInfo = userJson.user_info as Json;
      const originalMaxBudget = userInfo.max_budget as number | null | undefined;
      const originalSpend = userInfo.spend as number | null | undefined;
      let maxBudget = originalMaxBudget ?? 0.0;
      let spend = originalSpend ?? 0.0;
      if (userSettings.userVersion < 4 && userSettings.billingMargin && userSettings.billingMargin !== 1.0) {
        maxBudget *= userSettings.billingMargin;
        spend *= userSettings.billingMargin;
      }
      if (originalMaxBudget == null || originalMaxBudget === UNLIMITED_BUDGET_SETTING) {
        return { status: 'skipped', keysUpdated: 0 };
      }
      const credits = Math.max(maxBudget - spend, 0.0);
      await this.createTeam(client, userId, orgId, credits);
      await this.updateUser(client, userId, { max_budget: UNLIMITED_BUDGET_SETTING });
      await this.addUserToTeam(client, userId, orgId, credits);
      const keysUpdated = await this.updateUserKeys(client, userId, { team_id: orgId });

      let dbKey: string | null = null;
      if (userSettings.llmApiKey && userSettings.llmBaseUrl === this.settings.apiUrl) dbKey = userSettings.llmApiKey;
      let newKey: string | undefined;
      if (dbKey) {
        const keyValid = await this.verifyKey(dbKey);
        if (!keyValid) {
          newKey = await this.generateKey(client, userId, orgId, `OpenHands Cloud - user ${userId} - org ${orgId}`);
        }
      }
      return { status: 'migrated', credits, keysUpdated, ...(newKey ? { newKey } : {}) };
    } finally {
      await client.close();
    }
  }

  // ---- the seed's private helpers, one HTTP call each -------------------------------------------------------

  private async createTeam(client: SeedHttpClient, teamAlias: string, teamId: string, maxBudget: number | null) {
    const res = await client.post('/team/new', {
      team_id: teamId,
      team_alias: teamAlias,
      models: [],
      max_budget: maxBudget,
      spend: 0,
      metadata: this.metadata(),
    });
    if (!res.isSuccess) {
      if (res.status === 400 && res.text.includes('already exists. Please use a different team id')) {
        await this.updateTeam(client, teamId, teamAlias, maxBudget);
        return;
      }
      raiseForStatus('POST', '/team/new', res);
    }
  }

  private async getTeam(client: SeedHttpClient, teamId: string): Promise<unknown> {
    const res = await client.get('/team/info', { team_id: teamId });
    raiseForStatus('GET', '/team/info', res);
    return res.json();
  }

  private async updateTeam(client: SeedHttpClient, teamId: string, teamAlias: string | null, maxBudget: number | null) {
    const json: Json = { team_id: teamId, metadata: this.metadata() };
    if (maxBudget !== null) json.max_budget = maxBudget;
    if (teamAlias !== null) json.team_alias = teamAlias;
    const res = await client.post('/team/update', json);
    raiseForStatus('POST', '/team/update', res);
  }

  private async getUser(client: SeedHttpClient, userId: string): Promise<unknown> {
    const res = await client.get('/user/info', { user_id: userId });
    raiseForStatus('GET', '/user/info', res);
    return res.json();
  }

  private async updateUser(client: SeedHttpClient, userId: string, fields: Json) {
    const res = await client.post('/user/update', { user_id: userId, ...fields });
    raiseForStatus('POST', '/user/update', res);
  }

  private async updateKey(client: SeedHttpClient, key: string, fields: Json) {
    const res = await client.post('/key/update', { key, ...fields });
    if (!res.isSuccess) {
      if (res.status === 401) return; // seed: invalid_litellm_key_during_update, logged and ignored
      raiseForStatus('POST', '/key/update', res);
    }
  }

  private async getUserKeys(client: SeedHttpClient, userId: string): Promise<string[]> {
    const res = await client.get('/key/list', { user_id: userId });
    if (!res.isSuccess) return []; // seed: error_getting_user_keys, logged, treated as "no keys"
    const keys = (res.json() as Json).keys;
    return Array.isArray(keys) ? (keys as string[]) : [];
  }

  private async updateUserKeys(client: SeedHttpClient, userId: string, fields: Json): Promise<number> {
    const keys = await this.getUserKeys(client, userId);
    for (const key of keys) await this.updateKey(client, key, fields);
    return keys.length;
  }

  private async addUserToTeam(client: SeedHttpClient, userId: string, teamId: string, maxBudget: number | null) {
    const res = await client.post('/team/member_add', {
      team_id: teamId,
      member: { user_id: userId, role: 'user' },
      max_budget_in_team: maxBudget,
    });
    if (!res.isSuccess) {
      if (res.status === 400 && res.text.toLowerCase().includes('already in team')) return;
      raiseForStatus('POST', '/team/member_add', res);
    }
  }

  private async updateUserInTeam(client: SeedHttpClient, userId: string, teamId: string, maxBudget: number | null) {
    const res = await client.post('/team/member_update', {
      team_id: teamId,
      user_id: userId,
      max_budget_in_team: maxBudget,
    });
    raiseForStatus('POST', '/team/member_update', res);
  }

  private async generateKey(client: SeedHttpClient, userId: string, teamId: string, keyAlias: string) {
    const res = await client.post('/key/generate', {
      user_id: userId,
      models: [],
      team_id: teamId,
      key_alias: keyAlias,
    });
    raiseForStatus('POST', '/key/generate', res);
    return (res.json() as Json).key as string;
  }

  /** `verify_key`: its own client, `GET /v1/models` with the key; only 200 is valid, any error is invalid. */
  async verifyKey(key: string): Promise<boolean> {
    if (!(this.settings.apiUrl && key)) return false;
    const client = new SeedHttpClient(this.settings.apiUrl, {}, KEY_VERIFICATION_TIMEOUT_MS);
    try {
      const res = await client.get('/v1/models', {}, { authorization: `Bearer ${key}` });
      return res.status === 200;
    } catch {
      return false;
    } finally {
      await client.close();
    }
  }
}
