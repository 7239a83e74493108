/**
 * User activities. Idempotency rule of each is in docs/activities.md.
 */
import { UNLIMITED_USER_BUDGET } from '../domain/budgets';
import { isLastPage, USER_LIST_MAX_PAGE_SIZE } from '../litellm/client';
import { isDuplicateEmail, isHttpStatus, isUserAlreadyExists } from '../litellm/errors';
import type { UserRow } from '../litellm/schemas';
import { isFirstAttempt, logEvent } from './context';
import { notFoundFailure, runActivity, userMissingFailure } from './failures';
import type { ActivityDeps, UserSnapshot } from './types';

/**
 * Ids `/user/list?user_ids=` finds: LiteLLM splits the parameter on commas and matches each part with ILIKE,
 * where a backslash escapes the next character (both real proxies list nobody for `a\b`); `%` and `_` only
 * widen the match, and the exact id is picked from the answer.
 */
const LISTABLE_USER_ID = /^[^,\\]+$/;

/**
 * The user's row as a snapshot; null when LiteLLM does not know the user. Read from `/user/list?user_ids=`,
 * whose answer stays small, rather than `/user/info`, which carries every member of every team of the user
 * (the default team: every user). `/user/info` answers only when the list cannot: an id with a comma or a
 * backslash, or more matching users than one page holds without the exact one among them.
 */
export async function readUser(
  deps: Pick<ActivityDeps, 'client'>,
  userId: string,
  signal: AbortSignal | undefined
): Promise<UserSnapshot | null> {
  if (LISTABLE_USER_ID.test(userId)) {
    const page = await deps.client.userRowsMatching(userId, { signal });
    const row = page.users.find((u) => u.user_id === userId);
    if (row) return toUserSnapshot(row);
    // Every match was on this first page: the user is not among them.
    if (isLastPage(1, page.users.length, USER_LIST_MAX_PAGE_SIZE, page.total_pages)) return null;
  }
  let res;
  try {
    res = await deps.client.userInfo(userId, { signal });
  } catch (e) {
    if (isHttpStatus(e, 404)) return null;
    throw e;
  }
  const u = res.user_info;
  return u && u.user_id === userId ? toUserSnapshot(u) : null;
}

function toUserSnapshot(u: UserRow): UserSnapshot {
  return {
    userId: u.user_id,
    email: u.user_email ?? null,
    maxBudget: u.max_budget ?? null,
    spend: u.spend ?? 0,
    teams: u.teams ?? [],
  };
}

export function userActivities(deps: ActivityDeps) {
  const { client, provisioning } = deps;

  /** True when LiteLLM knows the user (see `readUser`); any failure to read throws. */
  async function exists(userId: string, signal: AbortSignal | undefined): Promise<boolean> {
    return (await readUser(deps, userId, signal)) !== null;
  }

  return {
    /** 404 → false. Unlike the seed, any other error throws (a failed check is not "absent"). */
    async userExists(input: { userId: string }): Promise<boolean> {
      return runActivity('userExists', { userId: input.userId }, (signal) => exists(input.userId, signal));
    },

    /**
     * Create the user (no auto-created key, no invitation mail, joined to the default team when configured).
     *
     * - A user that already exists is reported as `existed` without a call to `/user/new` (so a retry after a
     *   lost answer reports `existed`).
     * - LiteLLM insists on unique e-mails: only when the first attempt fails with the duplicate-email 400 is
     *   it repeated without the e-mail (the seed retried on any error).
     * - "already exists" (409 on newer proxies) is verified by reading the user: absent → `LiteLLMUserMissing`.
     */
    async createUser(input: { userId: string; email: string | null }): Promise<{ outcome: 'created' | 'existed' }> {
      return runActivity('createUser', { userId: input.userId }, async (signal) => {
        if (await exists(input.userId, signal)) return { outcome: 'existed' as const };
        const request = (email: string | null) =>
          client.userNew(
            {
              userId: input.userId,
              email,
              teams: provisioning.defaultTeamId ? [provisioning.defaultTeamId] : [],
              metadata: { version: provisioning.orgSettingsVersion, model: provisioning.defaultModel },
            },
            { signal }
          );
        let failure: unknown;
        try {
          await request(input.email);
          return { outcome: 'created' as const };
        } catch (e) {
          failure = e;
        }
        if (input.email !== null && isDuplicateEmail(failure)) {
          logEvent('warn', 'createUser: e-mail used by another user, creating without it', {
            userId: input.userId,
            email: input.email,
          });
          try {
            await request(null);
            return { outcome: 'created' as const };
          } catch (e) {
            failure = e;
          }
        }
        if (isUserAlreadyExists(failure) && !isDuplicateEmail(failure)) {
          if (await exists(input.userId, signal)) return { outcome: 'existed' as const };
          throw userMissingFailure('createUser', input.userId);
        }
        throw failure;
      });
    },

    /** The user, or null on 404. */
    async getUser(input: { userId: string }): Promise<UserSnapshot | null> {
      return runActivity('getUser', { userId: input.userId }, (signal) => readUser(deps, input.userId, signal));
    },

    /**
     * `/user/update` with absolute values (idempotent). `maxBudget: null` (unlimited) is sent as an explicit
     * null and read back: 1.108.5 clears the budget; 1.80.9 ignores the null, so there the unlimited sentinel
     * is written instead. LiteLLM would silently CREATE a missing user here, so the user is checked first:
     * missing → `LiteLLMNotFound`. `justRead`: the run read the user moments before (a migration's first level),
     * so the first attempt skips the check (one LiteLLM call fewer);
     * retries, which may come minutes later, check again.
     */
    async updateUser(input: {
      userId: string;
      maxBudget?: number | null;
      spend?: number;
      justRead?: boolean;
    }): Promise<void> {
      return runActivity('updateUser', { userId: input.userId }, async (signal) => {
        if (input.maxBudget === undefined && input.spend === undefined) return;
        const checked = input.justRead === true && isFirstAttempt();
        if (!checked && !(await exists(input.userId, signal))) {
          throw notFoundFailure('updateUser', 'user', { userId: input.userId });
        }
        await client.userUpdate({ userId: input.userId, maxBudget: input.maxBudget, spend: input.spend }, { signal });
        if (input.maxBudget !== null) return;
        const after = await readUser(deps, input.userId, signal);
        if (after === null) throw notFoundFailure('updateUser', 'user', { userId: input.userId });
        if (after.maxBudget === null) return;
        logEvent('info', 'updateUser: LiteLLM kept the budget on null, writing the unlimited sentinel', {
          userId: input.userId,
        });
        await client.userUpdate({ userId: input.userId, maxBudget: UNLIMITED_USER_BUDGET }, { signal });
      });
    },

    /** `/user/delete` (LiteLLM deletes the user's keys and memberships). Already gone (404) → `deleted: false`. */
    async deleteUser(input: { userId: string }): Promise<{ deleted: boolean }> {
      return runActivity('deleteUser', { userId: input.userId }, async (signal) => {
        try {
          await client.userDelete([input.userId], { signal });
          return { deleted: true };
        } catch (e) {
          if (isHttpStatus(e, 404)) return { deleted: false };
          throw e;
        }
      });
    },
  };
}
