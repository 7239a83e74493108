import { randomBytes } from 'node:crypto';
import { temporal } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import type { EncryptionKey } from '../../src/codec/crypto-codec';
import { createDataConverter } from '../../src/codec/data-converter';
import type { migrateEntries } from '../../src/workflows';
import { startCodecServer } from '../../src/codec/server';
import { defaultPayloadConverter } from '@temporalio/common';
import { AesGcmCodec } from '../../src/codec/crypto-codec';
import { deriveKey } from '../../src/litellm/keys';
import { liteLLMConfig } from '../helpers/fixtures';
import { eventually, MASTER_KEY, useBench } from '../helpers/harness';
import { stepFailure } from '../helpers/litellm-state';
import { TEST_ENCRYPTION_KEYS, uniqueTaskQueue, workflowBundle } from '../helpers/temporal';

const bench = useBench();
beforeEach(() => {
  bench.emulator.seed.team({ team_id: 'openhands-default' });
});

const EMAIL = 'secret.person@example.com';

/** The raw bytes the server stores for a run: what anyone with access to Temporal could read. */
async function rawHistory(workflowId: string): Promise<Buffer> {
  const history = await bench.env.client.workflow.getHandle(workflowId).fetchHistory();
  return Buffer.from(temporal.api.history.v1.History.encode(history).finish());
}

function expectAbsent(bytes: Buffer, secrets: string[]): void {
  for (const secret of secrets) expect(bytes.includes(Buffer.from(secret))).toBe(false);
}

describe('secrets in workflow history', () => {
  it('create and migrate histories hold no master key, virtual key or e-mail in plaintext; the codec server shows them to an authorised caller only', async () => {
    bench.emulator.seed.user({ user_id: 'alice', max_budget: 20, spend: 1 });
    const stored = bench.emulator.seed.key({ user_id: 'alice', team_id: 'openhands-default' });
    const { created, migrated, createResult, migrateResult } = await bench.withWorker(async (client) => {
      const created = await client.startCreateEntries({
        orgId: 'org-s',
        userId: 'u-s',
        email: EMAIL,
        createUser: true,
      });
      const migrated = await client.startMigrateEntries({
        orgId: 'alice',
        userId: 'alice',
        // LiteLLM does not know this key, so migration issues a new one: both end up in history.
        userSettings: { userVersion: 4, llmApiKey: 'sk-stored-but-unknown-1234567890', llmBaseUrl: bench.emulator.url },
      });
      return { created, migrated, createResult: await created.result(), migrateResult: await migrated.result() };
    });
    expect(migrateResult.newKey).toMatch(/^sk-/);

    const secrets = [
      MASTER_KEY,
      createResult.key,
      migrateResult.newKey as string,
      'sk-stored-but-unknown-1234567890',
      EMAIL,
      stored.key,
    ];
    expectAbsent(await rawHistory(created.workflowId), secrets);
    expectAbsent(await rawHistory(migrated.workflowId), secrets);

    // The same input, through the codec server: plaintext for a token holder, nothing for anyone else.
    const token = randomBytes(24).toString('base64url');
    const codec = await startCodecServer({
      keys: TEST_ENCRYPTION_KEYS,
      port: 0,
      allowedOrigins: ['http://127.0.0.1:8233'],
      tokens: [token],
    });
    try {
      const history = await bench.env.client.workflow.getHandle(created.workflowId).fetchHistory();
      const input = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
      const body = JSON.stringify({
        payloads: [
          {
            metadata: Object.fromEntries(
              Object.entries(input?.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')])
            ),
            data: Buffer.from(input?.data ?? []).toString('base64'),
          },
        ],
      });
      const decode = (headers: Record<string, string>) =>
        fetch(`${codec.url}/decode`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...headers },
          body,
        });

      const allowed = await decode({ authorization: `Bearer ${token}`, origin: 'http://127.0.0.1:8233' });
      expect(allowed.status).toBe(200);
      const decoded = (await allowed.json()) as { payloads: Array<{ data: string }> };
      expect(Buffer.from(decoded.payloads[0]!.data, 'base64').toString()).toContain(EMAIL);
      expect((await decode({})).status).toBe(401);
      expect((await decode({ authorization: 'Bearer wrong-token-000000000000' })).status).toBe(401);
      expect((await decode({ authorization: `Bearer ${token}`, origin: 'http://evil.example' })).status).toBe(403);
    } finally {
      await codec.stop();
    }
  });

  it('an issued key derives from a random issuance id kept only encrypted in history, not from the run or workflow id', async () => {
    const { workflowId, runId, key } = await bench.withWorker(async (client) => {
      const handle = await client.startCreateEntries({ orgId: 'org-k', userId: 'u-k', createUser: true });
      return { workflowId: handle.workflowId, runId: handle.firstExecutionRunId, key: (await handle.result()).key };
    });
    const history = await bench.env.client.workflow.getHandle(workflowId).fetchHistory();
    // Every value the worker recorded for itself (local activity results), decrypted as an authorised reader would.
    const codec = new AesGcmCodec(TEST_ENCRYPTION_KEYS);
    const recorded = (history.events ?? []).flatMap((e) =>
      Object.values(e.markerRecordedEventAttributes?.details ?? {}).flatMap((p) => p.payloads ?? [])
    );
    const values = (await codec.decode(recorded)).map((p) => defaultPayloadConverter.fromPayload<unknown>(p));
    const secret = liteLLMConfig('').keyDerivationSecret as string;
    const issuanceIds = values.filter((v): v is string => typeof v === 'string');
    const used = issuanceIds.filter((id) => deriveKey(secret, id) === key);
    // The key came from one recorded issuance id (so a retry sends the same key) ...
    expect(used).toHaveLength(1);
    expect(used[0]).toMatch(/^[A-Za-z0-9_-]{43}$/);
    // ... which is nowhere in plaintext, and nothing visible derives the key.
    expectAbsent(await rawHistory(workflowId), [used[0] as string]);
    for (const visible of [workflowId, runId, `${workflowId}/${runId}`, `${workflowId}/${runId}/key`]) {
      expect(deriveKey(secret, visible)).not.toBe(key);
    }
  });

  it('rotating keys: a run started under key A completes under [B, A], and its history replays with [B, A]', async () => {
    const keyA: EncryptionKey = { id: 'key-a', key: randomBytes(32) };
    const keyB: EncryptionKey = { id: 'key-b', key: randomBytes(32) };
    bench.emulator.seed.user({ user_id: 'rot', max_budget: 20, spend: 1 });
    bench.emulator.faults.add(stepFailure('/team/member_add', 0));
    const taskQueue = uniqueTaskQueue('rotation');

    const workflowId = await bench.withWorker(
      async (client) => {
        const handle = await client.startMigrateEntries({
          orgId: 'rot',
          userId: 'rot',
          userSettings: { userVersion: 4 },
          failurePolicy: { onFailure: 'pause' },
        });
        await eventually(async () => ((await client.getState(handle.workflowId)).awaiting ? true : undefined));
        return handle.workflowId;
      },
      { encryptionKeys: [keyA], taskQueue }
    );

    // The worker restarts with a new key in front; the old one still decrypts what is in history.
    const result = await bench.withWorker(
      async (client) => {
        await client.resume(workflowId);
        return client.client.workflow.getHandle<typeof migrateEntries>(workflowId).result();
      },
      { encryptionKeys: [keyB, keyA], taskQueue }
    );
    expect(result).toMatchObject({ status: 'migrated', credits: 19 });

    const history = await bench.env.client.workflow.getHandle(workflowId).fetchHistory();
    const keyIds = new Set(
      (history.events ?? []).flatMap((e) =>
        (e.activityTaskScheduledEventAttributes?.input?.payloads ?? []).map((p) =>
          Buffer.from(p.metadata?.['encryption-key-id'] ?? []).toString()
        )
      )
    );
    expect(keyIds).toEqual(new Set(['key-a', 'key-b']));
    await expect(
      Worker.runReplayHistory(
        { workflowBundle: await workflowBundle(), dataConverter: createDataConverter([keyB, keyA]) },
        history,
        workflowId
      )
    ).resolves.toBeUndefined();
  });
});
