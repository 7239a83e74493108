/**
 * Key activities. Idempotency rule of each is in docs/activities.md.
 *
 * No plaintext key is ever logged, put in an error or a URL: keys are addressed by their sha256 hash, and
 * the plaintext is returned only by `generateKey`, the one caller that needs it.
 */
import { byorKeyAlias, openHandsCloudKeyAlias } from '../domain/aliases';
import { isLastPage, KEY_LIST_MAX_PAGE_SIZE, validateId } from '../litellm/client';
import { isDeletedKeyInfo, isHttpStatus, isKeyAliasTaken, isUnknownKey, LiteLLMHttpError } from '../litellm/errors';
import { deriveKey, hashKey, isPlaintextKey, toKeyHash } from '../litellm/keys';
import type { KeyObject } from '../litellm/schemas';
import { maskKey, registerSecret } from '../redact';
import { forEachStoppingOnFailure } from './bounded';
import { logEvent } from './context';
import { FailureType, keyAliasTakenFailure, runActivity } from './failures';
import type { ActivityDeps, IssuedKey, KeyInfo, KeySummary } from './types';
import { ApplicationFailure } from '@temporalio/common';

/** Upper bound of `/key/list` pages read for one user (100 keys a page): a guard against a looping server. */
const MAX_KEY_LIST_PAGES = 1_000;

/**
 * `/key/update` calls in flight at most when one activity moves several keys: two, so that a migration's
 * level of key moves (‖ a new key) is no wider than its others (MIGRATION_WIDEST_LEVEL, which sizes the
 * fleet's window); most users have one or two keys.
 */
const KEY_UPDATE_CONCURRENCY = 2;

function toKeySummary(k: KeyObject): KeySummary {
  return {
    tokenHash: k.token,
    keyAlias: k.key_alias ?? null,
    teamId: k.team_id ?? null,
    keyName: k.key_name ?? null,
    metadata: k.metadata ?? {},
  };
}

/** Every key of the user (`/key/list`, full objects, all pages). Any failure throws (the seed returned []). */
export async function listKeys(
  deps: Pick<ActivityDeps, 'client'>,
  userId: string,
  signal: AbortSignal | undefined
): Promise<KeySummary[]> {
  const seen = new Map<string, KeySummary>();
  for (let page = 1; page <= MAX_KEY_LIST_PAGES; page++) {
    const res = await deps.client.keyList({ userId, page, size: KEY_LIST_MAX_PAGE_SIZE }, { signal });
    for (const k of res.keys) if (!seen.has(k.token)) seen.set(k.token, toKeySummary(k));
    if (res.keys.length === 0 || isLastPage(page, res.keys.length, KEY_LIST_MAX_PAGE_SIZE, res.total_pages)) {
      return [...seen.values()];
    }
  }
  throw ApplicationFailure.retryable(
    `listUserKeys: more than ${MAX_KEY_LIST_PAGES} pages of keys`,
    FailureType.Internal
  );
}

export function keyActivities(deps: ActivityDeps) {
  const { client } = deps;
  if (!deps.keyDerivationSecret) throw new Error('createActivities: keyDerivationSecret must not be empty');
  registerSecret(deps.keyDerivationSecret);

  /** `/key/info`, null when the key is unknown (404) or deleted (1.108.5 answers 200 `status: "deleted"`). */
  async function keyInfo(keyHash: string, signal: AbortSignal | undefined) {
    try {
      const res = await client.keyInfo(keyHash, { signal });
      return isDeletedKeyInfo(res.info) ? null : res;
    } catch (e) {
      if (isHttpStatus(e, 404)) return null;
      throw e;
    }
  }

  async function setKeyTeam(
    keyOrHash: string,
    teamId: string | null | undefined,
    signal: AbortSignal | undefined
  ): Promise<'updated' | 'unknown_key'> {
    try {
      await client.keyUpdate({ keyOrHash, teamId }, { signal });
      return 'updated';
    } catch (e) {
      if (!isUnknownKey(e)) throw e;
      logEvent('warn', 'key move: LiteLLM does not know the key', { tokenHash: toKeyHash(keyOrHash), teamId });
      return 'unknown_key';
    }
  }

  async function deleteByAlias(keyAlias: string, signal: AbortSignal | undefined): Promise<boolean> {
    try {
      await client.keyDelete({ keyAliases: [keyAlias] }, { signal });
      return true;
    } catch (e) {
      if (isHttpStatus(e, 404)) return false;
      throw e;
    }
  }

  return {
    /**
     * Issue a key, exactly once per `issuanceId`.
     *
     * The key VALUE is chosen by us: `'sk-' + base64url(HMAC-SHA256(keyDerivationSecret, issuanceId))`, with
     * `issuanceId` unique per workflow run and step. So every attempt of one issuance sends the same key:
     * - without an alias, LiteLLM upserts a custom key (200, row unchanged): a retry after a lost answer
     *   changes nothing;
     * - with an alias, the retry gets 400 "Key with alias … already exists". We then look the key up by our
     *   locally computed hash: it exists with our alias → that was our earlier attempt, success, the same key
     *   is returned; the alias is held by ANOTHER key → `LiteLLMKeyAliasTaken` (non-retryable; the caller
     *   decides whether to delete that key first).
     * Two attempts therefore never leave two live keys, and the caller always gets a key that works.
     */
    async generateKey(input: {
      userId: string;
      teamId: string | null;
      keyAlias: string | null;
      metadata?: Record<string, unknown>;
      issuanceId: string;
    }): Promise<IssuedKey> {
      const attrs = { userId: input.userId, teamId: input.teamId, keyAlias: input.keyAlias };
      return runActivity('generateKey', attrs, async (signal) => {
        const issuanceId = validateId('issuanceId', input.issuanceId, 512);
        const key = deriveKey(deps.keyDerivationSecret, issuanceId);
        const tokenHash = hashKey(key);
        try {
          const res = await client.keyGenerate(
            {
              key,
              userId: input.userId,
              teamId: input.teamId,
              keyAlias: input.keyAlias,
              ...(input.metadata !== undefined ? { metadata: input.metadata } : {}),
            },
            { signal }
          );
          if (res.key !== key) {
            // A proxy that ignores custom keys: the issued key is the one that works; exactly-once is lost.
            logEvent('warn', 'generateKey: proxy ignored the derived key value', {
              ...attrs,
              issued: maskKey(res.key),
            });
            return { key: res.key, tokenHash: hashKey(res.key), keyAlias: res.key_alias ?? input.keyAlias };
          }
          logEvent('info', 'generateKey: key issued', { ...attrs, tokenHash });
          return { key, tokenHash, keyAlias: input.keyAlias };
        } catch (e) {
          if (input.keyAlias === null || !isKeyAliasTaken(e)) throw e;
        }
        const existing = await keyInfo(tokenHash, signal);
        if (existing && existing.info.key_alias === input.keyAlias) {
          logEvent('info', 'generateKey: key already issued by an earlier attempt', { ...attrs, tokenHash });
          return { key, tokenHash, keyAlias: input.keyAlias };
        }
        throw keyAliasTakenFailure('generateKey', input.keyAlias);
      });
    },

    /**
     * Undo of `generateKey`: delete the key that issuance derived, addressed by its hash — so the undo works
     * even when the issuing attempt's answer (and with it the key) never reached the workflow, and it never
     * touches another key that happens to carry the same alias. Already gone (404) → `deleted: false`.
     */
    async deleteIssuedKey(input: { issuanceId: string }): Promise<{ deleted: boolean }> {
      return runActivity('deleteIssuedKey', {}, async (signal) => {
        const issuanceId = validateId('issuanceId', input.issuanceId, 512);
        const tokenHash = hashKey(deriveKey(deps.keyDerivationSecret, issuanceId));
        try {
          await client.keyDelete({ keysOrHashes: [tokenHash] }, { signal });
          return { deleted: true };
        } catch (e) {
          if (isHttpStatus(e, 404)) return { deleted: false };
          throw e;
        }
      });
    },

    /** `/key/info` by hash (a plaintext key is hashed locally first). 404 → null. */
    async getKeyInfo(input: { keyHash: string }): Promise<KeyInfo | null> {
      return runActivity('getKeyInfo', {}, async (signal) => {
        const tokenHash = toKeyHash(input.keyHash);
        const res = await keyInfo(tokenHash, signal);
        if (!res) return null;
        const i = res.info;
        return {
          tokenHash,
          keyAlias: i.key_alias ?? null,
          teamId: i.team_id ?? null,
          userId: i.user_id ?? null,
          spend: i.spend ?? 0,
          maxBudget: i.max_budget ?? null,
        };
      });
    },

    /**
     * The seed's `_verify_existing_key`: is `key` a LiteLLM key of `userId` in org `orgId` — for
     * `openhandsType`, one with `metadata.type = 'openhands'`; otherwise one with the cloud or BYOR alias?
     * Looked up exactly by hash (the seed compared the last 4 characters across a listing that silently
     * came back empty on errors); any failure other than "unknown key" (404) throws.
     */
    async verifyExistingKey(input: {
      userId: string;
      orgId: string;
      key: string;
      openhandsType: boolean;
    }): Promise<boolean> {
      return runActivity('verifyExistingKey', { userId: input.userId, orgId: input.orgId }, async (signal) => {
        validateId('userId', input.userId);
        validateId('orgId', input.orgId);
        if (!input.key || !isPlaintextKey(input.key)) return false;
        const res = await keyInfo(hashKey(input.key), signal);
        if (!res) return false;
        const i = res.info;
        if (i.user_id !== input.userId) return false;
        if (i.team_id !== input.orgId) return false;
        if (input.openhandsType) return i.metadata?.type === 'openhands';
        return (
          i.key_alias === openHandsCloudKeyAlias(input.userId, input.orgId) ||
          i.key_alias === byorKeyAlias(input.userId, input.orgId)
        );
      });
    },

    /**
     * `/key/delete` by hash. Unknown key (404) → when an alias is given, delete by alias too (clears an
     * orphaned alias, F8) → `deleted: false` (the key itself was not there).
     */
    async deleteKey(input: { keyOrHash: string; keyAlias?: string }): Promise<{ deleted: boolean }> {
      return runActivity('deleteKey', { keyAlias: input.keyAlias }, async (signal) => {
        try {
          await client.keyDelete({ keysOrHashes: [input.keyOrHash] }, { signal });
          return { deleted: true };
        } catch (e) {
          if (!isHttpStatus(e, 404)) throw e;
        }
        if (input.keyAlias !== undefined) {
          const aliasDeleted = await deleteByAlias(input.keyAlias, signal);
          if (aliasDeleted) logEvent('info', 'deleteKey: deleted an orphaned alias', { keyAlias: input.keyAlias });
        }
        return { deleted: false };
      });
    },

    /** `/key/delete` by alias. None with that alias (404) → `deleted: false`. */
    async deleteKeyByAlias(input: { keyAlias: string }): Promise<{ deleted: boolean }> {
      return runActivity('deleteKeyByAlias', { keyAlias: input.keyAlias }, async (signal) => ({
        deleted: await deleteByAlias(input.keyAlias, signal),
      }));
    },

    /** Every key of the user (`/key/list`, full objects, all pages). Any failure throws (the seed returned []). */
    async listUserKeys(input: { userId: string }): Promise<KeySummary[]> {
      return runActivity('listUserKeys', { userId: input.userId }, (signal) => listKeys(deps, input.userId, signal));
    },

    /**
     * `/key/update` by hash; `teamId`: `undefined` → unchanged, `null` → no team. A key LiteLLM does not
     * know (401 "does not exist in db") is reported as `unknown_key` — not thrown, not swallowed.
     */
    async updateKey(input: { keyOrHash: string; teamId?: string | null }): Promise<{
      outcome: 'updated' | 'unknown_key';
    }> {
      return runActivity('updateKey', { teamId: input.teamId }, async (signal) => ({
        outcome: await setKeyTeam(input.keyOrHash, input.teamId, signal),
      }));
    },

    /**
     * The teams of several keys in one activity (a user's keys moved together, and the undo that moves each
     * back to where it was): absolute writes, so a retry rewrites the same values; at most
     * `KEY_UPDATE_CONCURRENCY` in flight; on the first failure none is started and those in flight are awaited
     * (`forEachStoppingOnFailure`). Keys LiteLLM does not know are counted as `unknown`, as `updateKey` reports.
     */
    async setKeyTeams(input: { keys: Array<{ tokenHash: string; teamId: string | null }> }): Promise<{
      updated: number;
      unknown: number;
    }> {
      return runActivity('setKeyTeams', { keys: input.keys.length }, async (signal) => {
        let updated = 0;
        await forEachStoppingOnFailure(input.keys, { concurrency: KEY_UPDATE_CONCURRENCY, signal }, async (key) => {
          if ((await setKeyTeam(key.tokenHash, key.teamId, signal)) === 'updated') updated += 1;
        });
        return { updated, unknown: input.keys.length - updated };
      });
    },

    /**
     * Does LiteLLM accept this key? `GET /v1/models` with the key, bounded by `keyVerifyTimeoutMs`.
     * 200 → valid. 401/403, and 400 expired/blocked → invalid. Over budget → valid (the key exists; a new one
     * would hit the same budget). Timeouts, connection errors, 429 and 5xx THROW (retryable): the seed
     * treated them as invalid and rotated keys on every network blip.
     */
    async verifyKey(input: { key: string }): Promise<'valid' | 'invalid'> {
      return runActivity('verifyKey', {}, async (signal) => {
        if (!input.key) return 'invalid';
        try {
          await client.listModels(input.key, { signal });
          return 'valid';
        } catch (e) {
          if (!(e instanceof LiteLLMHttpError)) throw e;
          if (e.errorType === 'budget_exceeded') return 'valid';
          if (e.status === 401 || e.status === 403) return 'invalid';
          if (e.status === 400 && (e.errorType === 'expired_key' || /expired|blocked/i.test(e.detail))) {
            return 'invalid';
          }
          throw e;
        }
      });
    },
  };
}
