/**
 * The bench's LiteLLM emulator, in its own process (forked by bench/run.ts): a fixed latency on every route,
 * the legacy default team, and the seeding and snapshot operations the scenarios need, by IPC.
 */
import { startEmulator } from '../emulator';
import { serveIpc } from './ipc';
import { seedLegacyUser, seedTeam } from './scenarios';

const DEFAULT_TEAM_ID = 'openhands-default';

serveIpc(async () => {
  const emulator = await startEmulator({ masterKey: process.env.BENCH_MASTER_KEY as string });
  const latencyMs = Number(process.env.BENCH_LATENCY_MS);
  const reset = () => {
    emulator.reset();
    emulator.faults.add({ route: '*', kind: 'latency', ms: latencyMs });
    emulator.seed.team({ team_id: DEFAULT_TEAM_ID });
  };
  reset();
  process.once('SIGTERM', () => void emulator.stop().then(() => process.exit(0)));
  return {
    url: () => emulator.url,
    reset,
    seedTeam: (teamId: string, members: number, metadata: Record<string, unknown>) =>
      seedTeam(emulator, teamId, members, metadata),
    /** Legacy users `prefix-0000…`, each with `keys` keys in the default team; returns the first key of each. */
    seedLegacyUsers: (prefix: string, count: number, keys: number) =>
      Array.from({ length: count }, (_, i) => {
        const user = seedLegacyUser(emulator, `${prefix}-${String(i).padStart(4, '0')}`);
        for (let k = 1; k < keys; k++) {
          emulator.seed.key({ user_id: user.userId, team_id: DEFAULT_TEAM_ID, key_alias: `extra ${k} ${user.userId}` });
        }
        return user;
      }),
    snapshot: () => emulator.snapshot(),
    clearJournal: () => emulator.clearJournal(),
    calls: () => emulator.journal().length,
    cpu: () => process.cpuUsage(),
  };
});
