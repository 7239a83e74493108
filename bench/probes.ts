/**
 * What the bench measures besides time: CPU seconds of its processes (itself, the worker, the emulator,
 * the Temporal dev server), read from /proc, and the dev server's persistence requests, read from its metrics.
 */
import { readdirSync, readFileSync } from 'node:fs';

/** Linux clock ticks per second of /proc/<pid>/stat (USER_HZ, 100 on every mainstream kernel). */
const CLOCK_TICKS = 100;

export function childPids(): number[] {
  const pids: number[] = [];
  try {
    for (const task of readdirSync('/proc/self/task')) {
      const children = readFileSync(`/proc/self/task/${task}/children`, 'utf8').trim();
      if (children) pids.push(...children.split(/\s+/).map(Number));
    }
  } catch {
    return [];
  }
  return pids;
}

/** utime + stime of a process (and its reaped children), seconds; NaN when it cannot be read. */
export function processCpu(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may contain spaces) — utime is field 14, stime 15 (1-based).
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return Number.NaN;
  }
}

/** CPU seconds of each process of the run, to say what limits a scenario. */
export function cpuNow(pids: { worker: number; emulator: number }) {
  const server = childPids()
    .filter((p) => p !== pids.worker && p !== pids.emulator)
    .map(processCpu)
    .reduce((a, b) => a + b, 0);
  const self = process.cpuUsage();
  return {
    client: (self.user + self.system) / 1e6,
    worker: processCpu(pids.worker),
    emulator: processCpu(pids.emulator),
    server,
  };
}
export type Cpu = ReturnType<typeof cpuNow>;
export const cpuDiff = (a: Cpu, b: Cpu): Cpu => ({
  client: b.client - a.client,
  worker: b.worker - a.worker,
  emulator: b.emulator - a.emulator,
  server: b.server - a.server,
});
export const cpuTotal = (c: Cpu) => c.client + c.worker + c.emulator + c.server;
export const cpuText = (c: Cpu, per: number) =>
  `worker ${((c.worker / per) * 1000).toFixed(0)} ms, dev server ${((c.server / per) * 1000).toFixed(0)} ms, ` +
  `emulator ${((c.emulator / per) * 1000).toFixed(0)} ms, client ${((c.client / per) * 1000).toFixed(0)} ms`;

/** What the Temporal server's persistence did so far: requests, and the sum of their latencies (queue included). */
export interface PersistenceTotals {
  requests: number;
  latencySeconds: number;
  /** Requests per persistence operation (e.g. UpdateWorkflowExecution). */
  byOperation: Record<string, number>;
}

/**
 * Reads the dev server's Prometheus endpoint (`persistence_requests`, `persistence_latency_sum`). With one
 * SQLite connection every request waits for the one before it, so over an interval the latency sum divided
 * by the wall time is the number of requests in flight on average (Little's law): above 1, requests queue.
 */
export async function persistenceTotals(metricsUrl: string): Promise<PersistenceTotals> {
  const text = await (await fetch(metricsUrl)).text();
  const totals: PersistenceTotals = { requests: 0, latencySeconds: 0, byOperation: {} };
  for (const line of text.split('\n')) {
    const match = /^(persistence_requests|persistence_latency_sum)\{([^}]*)\} ([0-9.e+-]+)$/.exec(line);
    if (!match) continue;
    const value = Number(match[3]);
    if (match[1] === 'persistence_latency_sum') {
      totals.latencySeconds += value;
      continue;
    }
    totals.requests += value;
    const operation = /operation="([^"]+)"/.exec(match[2]!)?.[1] ?? 'unknown';
    totals.byOperation[operation] = (totals.byOperation[operation] ?? 0) + value;
  }
  return totals;
}

/**
 * The fleet's load on the dev server's persistence: requests per migration, and how many were in flight on
 * average (latency sum ÷ wall time; with one SQLite connection, above 1 means requests queue for it).
 */
export function persistenceShare(
  before: PersistenceTotals,
  after: PersistenceTotals,
  wallMs: number,
  migrations: number
) {
  const updates = (t: PersistenceTotals) => t.byOperation.UpdateWorkflowExecution ?? 0;
  return {
    requestsPerMigration: (after.requests - before.requests) / migrations,
    workflowUpdatesPerMigration: (updates(after) - updates(before)) / migrations,
    inFlightAverage: (after.latencySeconds - before.latencySeconds) / (wallMs / 1000),
  };
}
