/**
 * The fleet doctor's read-only page activities: each reads one page of LiteLLM (users, or keys), looks up
 * what the diagnosis needs (personal org team, the teams a user lists, the user's keys; a key's user and
 * team) and returns the diagnosis of that page only. They never write: every call is a GET.
 */
import { setMaxListeners } from 'node:events';
import { diagnoseKey, diagnoseUser, type UserFacts } from '../domain/doctor-classify';
import { PROXY_ADMIN_USER_ID } from '../domain/proxy-admin';
import { addCounts, emptyCounts, type ClassCounts, type DoctorKey, type Finding } from '../domain/doctor-findings';
import { isLastPage, KEY_LIST_MAX_PAGE_SIZE, USER_LIST_MAX_PAGE_SIZE } from '../litellm/client';
import { LiteLLMHttpError, LiteLLMTransportError } from '../litellm/errors';
import type { KeyObject, TeamInfoResponse } from '../litellm/schemas';
import { runActivity } from './failures';
import { readTeam, toTeamSnapshot } from './teams';
import type { ActivityDeps } from './types';
import { readUser } from './users';

/** LiteLLM lookups in flight at once inside one page activity. */
export const DOCTOR_LOOKUP_CONCURRENCY = 8;
/** Upper bound of `/key/list` pages read for one user: a guard against a looping server. */
const MAX_KEY_PAGES_PER_USER = 1_000;

export interface DoctorPageResult {
  /** Entities read on this page (users, or keys). */
  scanned: number;
  /** True when this was the last page. */
  lastPage: boolean;
  counts: ClassCounts;
  findings: Finding[];
}

/**
 * Runs `fn` over `items`, at most `limit` at once. On the first failure it takes no new item and waits for
 * the calls in flight before rethrowing, so nothing keeps running behind a failed activity.
 */
async function mapBounded<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  let failure: { error: unknown } | undefined;
  const lane = async () => {
    while (next < items.length && !failure) {
      const index = next++;
      try {
        results[index] = await fn(items[index] as T);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  if (failure) throw failure.error;
  return results;
}

/** Attempts of one read inside a page before the page activity fails (and Temporal retries the page). */
const READ_ATTEMPTS = 6;
const READ_BACKOFF_MS = { initial: 200, max: 5_000 };

function isTransient(e: unknown): boolean {
  if (e instanceof LiteLLMTransportError) return e.kind !== 'aborted';
  return e instanceof LiteLLMHttpError && (e.status === 429 || e.status === 408 || e.status >= 500);
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new LiteLLMTransportError('doctor', 'aborted'));
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(new LiteLLMTransportError('doctor', 'aborted'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * One read, retried in place on a transient failure (a read is always safe to repeat): a page makes hundreds
 * of lookups, and retrying the whole page for one blip would rarely let a page through a flaky proxy.
 */
async function read<T>(call: () => Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (e) {
      if (attempt >= READ_ATTEMPTS || !isTransient(e)) throw e;
      const hinted = e instanceof LiteLLMHttpError ? e.retryAfterMs : undefined;
      await sleep(Math.min(hinted ?? READ_BACKOFF_MS.initial * 2 ** (attempt - 1), READ_BACKOFF_MS.max), signal);
    }
  }
}

function toDoctorKey(k: KeyObject): DoctorKey {
  return {
    tokenHash: k.token,
    keyAlias: k.key_alias ?? null,
    userId: k.user_id ?? null,
    teamId: k.team_id ?? null,
    createdAt: k.created_at ?? null,
  };
}

export function doctorActivities(deps: ActivityDeps) {
  const { client, provisioning } = deps;
  const ctx = { defaultTeamId: provisioning.defaultTeamId ?? null };

  /** One memo per page: a team or user looked up once however many rows name it. */
  function memo<T>(load: (id: string) => Promise<T>): (id: string) => Promise<T> {
    const seen = new Map<string, Promise<T>>();
    return (id) => {
      let p = seen.get(id);
      if (!p) {
        p = load(id);
        seen.set(id, p);
      }
      return p;
    };
  }

  async function userKeys(userId: string, signal: AbortSignal | undefined): Promise<DoctorKey[]> {
    const keys = new Map<string, DoctorKey>();
    for (let page = 1; page <= MAX_KEY_PAGES_PER_USER; page++) {
      const res = await read(() => client.keyList({ userId, page, size: KEY_LIST_MAX_PAGE_SIZE }, { signal }), signal);
      for (const k of res.keys) keys.set(k.token, toDoctorKey(k));
      if (res.keys.length === 0 || isLastPage(page, res.keys.length, KEY_LIST_MAX_PAGE_SIZE, res.total_pages)) break;
    }
    return [...keys.values()];
  }

  /** The activity's signal is shared by every lookup in flight (each HTTP call listens to it). */
  function shareSignal(signal: AbortSignal | undefined): AbortSignal | undefined {
    if (signal) setMaxListeners(4 * DOCTOR_LOOKUP_CONCURRENCY, signal);
    return signal;
  }

  return {
    /** One page of `/user/list`, each user diagnosed (account class, memberships, duplicate aliases). */
    async doctorUsersPage(input: { page: number; pageSize?: number }): Promise<DoctorPageResult> {
      return runActivity('doctorUsersPage', { page: input.page }, async (activitySignal) => {
        const signal = shareSignal(activitySignal);
        const pageSize = input.pageSize ?? USER_LIST_MAX_PAGE_SIZE;
        const res = await read(() => client.userList({ page: input.page, pageSize }, { signal }), signal);
        const team = memo((teamId): Promise<TeamInfoResponse | null> =>
          read(() => readTeam(deps, teamId, signal), signal)
        );
        const users = res.users.filter((u) => u.user_id !== PROXY_ADMIN_USER_ID);
        const diagnoses = await mapBounded(users, DOCTOR_LOOKUP_CONCURRENCY, async (u) => {
          const listed = [...new Set(u.teams ?? [])];
          const [personal, keys, listedTeams] = await Promise.all([
            team(u.user_id),
            userKeys(u.user_id, signal),
            Promise.all(listed.map(async (t) => ({ t, exists: (await team(t)) !== null }))),
          ]);
          const snapshot = personal && toTeamSnapshot(personal);
          const facts: UserFacts = {
            userId: u.user_id,
            maxBudget: u.max_budget ?? null,
            teams: listed,
            personalTeam: snapshot && { maxBudget: snapshot.maxBudget, memberUserIds: snapshot.memberUserIds },
            missingTeams: listedTeams.filter((x) => !x.exists).map((x) => x.t),
            keys,
          };
          return diagnoseUser(facts, ctx);
        });
        const counts = emptyCounts();
        for (const d of diagnoses) {
          counts[d.account] += 1;
          for (const f of d.findings) if (f.class !== d.account) counts[f.class] += 1;
        }
        return {
          scanned: res.users.length,
          lastPage: res.users.length === 0 || isLastPage(input.page, res.users.length, pageSize, res.total_pages),
          counts,
          findings: diagnoses.flatMap((d) => d.findings),
        };
      });
    },

    /** One page of every key (`/key/list` by hash order), each checked for a user or team that is gone. */
    async doctorKeysPage(input: { page: number; pageSize?: number }): Promise<DoctorPageResult> {
      return runActivity('doctorKeysPage', { page: input.page }, async (activitySignal) => {
        const signal = shareSignal(activitySignal);
        const size = input.pageSize ?? KEY_LIST_MAX_PAGE_SIZE;
        const res = await read(() => client.keyListAll({ page: input.page, size }, { signal }), signal);
        const teamExists = memo(async (teamId) => (await read(() => readTeam(deps, teamId, signal), signal)) !== null);
        const userExists = memo(async (userId) => (await read(() => readUser(deps, userId, signal), signal)) !== null);
        const keys = res.keys.map(toDoctorKey);
        const findings = await mapBounded(keys, DOCTOR_LOOKUP_CONCURRENCY, async (key) =>
          diagnoseKey(key, {
            user: key.userId === null || (await userExists(key.userId)),
            team: key.teamId === null || (await teamExists(key.teamId)),
          })
        );
        const found = findings.filter((f): f is Finding => f !== null);
        const counts = addCounts(
          emptyCounts(),
          Object.fromEntries(found.map((f) => [f.class, found.filter((g) => g.class === f.class).length]))
        );
        return {
          scanned: res.keys.length,
          lastPage: res.keys.length === 0 || isLastPage(input.page, res.keys.length, size, res.total_pages),
          counts,
          findings: found,
        };
      });
    },
  };
}
