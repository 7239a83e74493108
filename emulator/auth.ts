// user_api_key_auth as LiteLLM 1.80.9 runs it for the routes the emulator serves (reference §1.1):
// header precedence, master-key check, virtual-key lookup, budget checks and the admin-route gate.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

import { ProxyException } from './errors';
import { pyDatetimeStr, pyFloat } from './pyrepr';
import { abbreviateKey, PROXY_ADMIN_ID, sha256, type KeyRow, type Store } from './state';

export interface Caller {
  /** LitellmUserRoles value; 'proxy_admin' for the master key. */
  role: string;
  isAdmin: boolean;
  userId: string | null;
  /** UserAPIKeyAuth.api_key: the master key itself, or the virtual key's hash. */
  apiKey: string;
  teamId: string | null;
  key: KeyRow | null;
}

export interface AuthSettings {
  masterKey: string;
  customAuthHeader?: string;
}

/** What a route lets non-admin virtual keys do (route_checks.py::non_proxy_admin_allowed_routes_check). */
export type RouteAccess = 'admin' | 'info' | 'llm' | 'public';

/** The caller of a route that asks for no key (`/health/readiness`). */
export const ANONYMOUS: Caller = {
  role: 'anonymous',
  isAdmin: false,
  userId: null,
  apiKey: '',
  teamId: null,
  key: null,
};

const VALID_ROLES = new Set([
  'proxy_admin',
  'proxy_admin_viewer',
  'org_admin',
  'internal_user',
  'internal_user_viewer',
  'team',
  'customer',
]);

const authError = (message: string): ProxyException =>
  new ProxyException(401, `Authentication Error, ${message}`, 'auth_error', 'None');
/** 1.80.9 answers an exceeded budget with 400, 1.108.5 with 422. */
const budgetExceeded = (store: Store, message: string): ProxyException =>
  new ProxyException(store.isV108 ? 422 : 400, message, 'budget_exceeded', null);

function header(headers: IncomingHttpHeaders, name: string): string | null {
  const raw = headers[name];
  const value = Array.isArray(raw) ? raw[0] : raw;
  return value ? value : null; // fastapi APIKeyHeader treats an empty header as absent
}

/** _get_bearer_token: 'Bearer '/'Basic '/'bearer ' removed (Python str.replace: every occurrence), else ''. */
function bearerToken(value: string, optional: boolean): string {
  for (const prefix of ['Bearer ', 'Basic ', 'bearer ']) {
    if (value.startsWith(prefix)) return value.split(prefix).join('');
  }
  return optional ? value : '';
}

/** get_api_key + the litellm_key_header_name override. null = no key at all, '' = malformed. */
function extractApiKey(headers: IncomingHttpHeaders, customAuthHeader?: string): string | null {
  if (customAuthHeader !== undefined) {
    const value = header(headers, customAuthHeader.toLowerCase());
    return value ? bearerToken(value, false) : '';
  }
  const litellmHeader = header(headers, 'x-litellm-api-key');
  if (litellmHeader) return bearerToken(litellmHeader, true);
  const authorization = header(headers, 'authorization');
  if (authorization) return bearerToken(authorization, false);
  for (const name of ['api-key', 'x-api-key', 'x-goog-api-key', 'ocp-apim-subscription-key']) {
    const value = header(headers, name);
    if (value) return value;
  }
  return null;
}

/** secrets.compare_digest: equal-length digests keep the comparison constant-time. */
function isMasterKey(candidate: string, masterKey: string): boolean {
  const digest = (s: string): Buffer => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(candidate), digest(masterKey));
}

/** RouteChecks._mask_user_id: first 6 and last 2 characters visible. */
function maskUserId(userId: string): string {
  if (userId.length <= 4) return '***';
  if (userId.length < 8) return userId;
  return `${userId.slice(0, 6)}${'*'.repeat(userId.length - 8)}${userId.slice(-2)}`;
}

export function authenticate(
  store: Store,
  settings: AuthSettings,
  route: string,
  access: RouteAccess,
  headers: IncomingHttpHeaders,
  query: URLSearchParams
): Caller {
  const apiKey = extractApiKey(headers, settings.customAuthHeader);
  if (apiKey === null) throw authError('No api key passed in.');
  if (apiKey === '') throw authError('Malformed API Key passed in. Ensure Key has `Bearer ` prefix.');
  if (isMasterKey(apiKey, settings.masterKey)) {
    return { role: 'proxy_admin', isAdmin: true, userId: PROXY_ADMIN_ID, apiKey, teamId: null, key: null };
  }
  if (!apiKey.startsWith('sk-')) {
    throw authError(`LiteLLM Virtual Key expected. Received=${apiKey}, expected to start with 'sk-'.`);
  }
  const token = sha256(apiKey);
  const key = store.keys.get(token);
  if (!key) {
    if (store.isV108) {
      throw new ProxyException(401, 'Authentication Error, Invalid API key provided.', 'token_not_found_in_db', 'key');
    }
    throw new ProxyException(
      401,
      `Authentication Error, Invalid proxy server token passed. Received API Key = ${abbreviateKey(apiKey)}, Key Hash (Token) =${token}. Unable to find token in cache or \`LiteLLM_VerificationTokenTable\``,
      'token_not_found_in_db',
      'key'
    );
  }
  if (key.blocked === true) throw authError("Key is blocked. Update via `/key/unblock` if you're admin.");

  const user = key.user_id !== null ? store.users.get(key.user_id) : undefined;
  const team = key.team_id !== null ? store.teams.get(key.team_id) : undefined;

  // Check 3: team-member budget, enforced only when > 0.
  const membership =
    key.user_id !== null && key.team_id !== null ? store.membership(key.user_id, key.team_id) : undefined;
  const memberBudget = membership ? store.budgetOf(membership)?.max_budget : null;
  if (membership && memberBudget != null && memberBudget > 0 && membership.spend > memberBudget) {
    throw budgetExceeded(
      store,
      `Budget has been exceeded! Current cost: ${pyFloat(membership.spend)}, Max budget: ${pyFloat(memberBudget)}`
    );
  }
  if (key.expires !== null && new Date(key.expires).getTime() < Date.now()) {
    throw new ProxyException(
      400,
      `Authentication Error - Expired Key. Key Expiry time ${pyDatetimeStr(new Date(key.expires))} and current time ${pyDatetimeStr(new Date())}`,
      'expired_key',
      token
    );
  }
  if (access === 'llm' && key.max_budget !== null && key.spend >= key.max_budget) {
    throw budgetExceeded(
      store,
      `Budget has been exceeded! Current cost: ${pyFloat(key.spend)}, Max budget: ${pyFloat(key.max_budget)}`
    );
  }
  // common_checks
  if (team?.blocked) throw authError(`Team=${team.team_id} is blocked. Update via \`/team/unblock\` if your admin.`);
  if (team && team.max_budget !== null && team.spend > team.max_budget) {
    throw budgetExceeded(
      store,
      `Budget has been exceeded! Team=${team.team_id} Current cost: ${pyFloat(team.spend)}, Max budget: ${pyFloat(team.max_budget)}`
    );
  }
  if (!store.isV108 && key.team_id === null && user && user.max_budget !== null && user.max_budget < user.spend) {
    throw budgetExceeded(
      store,
      `ExceededBudget: User=${user.user_id} over budget. Spend=${pyFloat(user.spend)}, Budget=${pyFloat(user.max_budget)}`
    );
  }

  const isAdmin = user?.user_role === 'proxy_admin';
  if (!isAdmin) checkNonAdminRoute(route, access, key, user?.user_role ?? null, user?.user_id ?? null, query);
  const role = user?.user_role && VALID_ROLES.has(user.user_role) ? user.user_role : 'internal_user';
  return { role, isAdmin, userId: key.user_id, apiKey: token, teamId: key.team_id, key };
}

function checkNonAdminRoute(
  route: string,
  access: RouteAccess,
  key: KeyRow,
  userRole: string | null,
  userId: string | null,
  query: URLSearchParams
): void {
  if (access === 'llm') return;
  if (access === 'info') {
    const requested = query.get('user_id');
    if (route === '/user/info' && requested && requested !== key.user_id) {
      const detail = `key not allowed to access this user's info. user_id=${requested}, key's user_id=${key.user_id ?? 'None'}`;
      throw new ProxyException(403, detail, 'auth_error', 'None');
    }
    return;
  }
  throw authError(
    `Only proxy admin can be used to generate, delete, update info for new keys/users/teams. Route=${route}. Your role=${userRole ?? 'unknown'}. Your user_id=${maskUserId(userId ?? 'unknown')}`
  );
}
