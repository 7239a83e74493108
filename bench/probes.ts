/**
 * What a scenario cost besides wall time: CPU seconds of this process (worker, activities, emulator, seed
 * port, client) and of the Temporal dev server (a child process), and the requests the Temporal frontend
 * served, read from the dev server's Prometheus endpoint.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/** Linux clock ticks per second of /proc/<pid>/stat (USER_HZ, 100 on every mainstream kernel). */
const CLOCK_TICKS = 100;

function childPids(): number[] {
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
function processCpu(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may contain spaces) — utime is field 14, stime 15 (1-based).
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return Number.NaN;
  }
}

/** A free TCP port on localhost (for the dev server's metrics endpoint). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Frontend requests served so far, by operation. The dev server publishes its counters about once a second:
 * read them after a pause to count everything a scenario caused.
 */
export async function frontendRequests(metricsUrl: string | undefined): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  if (!metricsUrl) return counts;
  try {
    const text = await (await fetch(metricsUrl, { signal: AbortSignal.timeout(2_000) })).text();
    for (const line of text.split('\n')) {
      if (!line.startsWith('service_requests{') || !line.includes('service_name="frontend"')) continue;
      const operation = /operation="([^"]+)"/.exec(line)?.[1];
      const value = Number(line.slice(line.lastIndexOf(' ') + 1));
      if (operation && Number.isFinite(value)) counts.set(operation, (counts.get(operation) ?? 0) + value);
    }
  } catch {
    counts.clear();
  }
  return counts;
}

export interface CpuProbe {
  /** CPU seconds of this process, all threads. */
  selfCpu: number;
  /** CPU seconds of the child processes (the dev server), NaN when not measurable. */
  serverCpu: number;
}

export function cpuProbe(): CpuProbe {
  const { user, system } = process.cpuUsage();
  const pids = childPids();
  const serverCpu = pids.length === 0 ? Number.NaN : pids.map(processCpu).reduce((a, b) => a + b, 0);
  return { selfCpu: (user + system) / 1e6, serverCpu };
}

export interface Cost {
  selfCpu: number;
  serverCpu: number;
  /** Temporal frontend requests in the interval by operation; empty when not measured. */
  requests: Map<string, number>;
}

export function costBetween(
  cpu: [CpuProbe, CpuProbe],
  requests: [Map<string, number>, Map<string, number>] | undefined
): Cost {
  const diff = new Map<string, number>();
  if (requests) {
    const [before, after] = requests;
    for (const [op, value] of after) {
      const d = value - (before.get(op) ?? 0);
      if (d > 0) diff.set(op, d);
    }
  }
  return { selfCpu: cpu[1].selfCpu - cpu[0].selfCpu, serverCpu: cpu[1].serverCpu - cpu[0].serverCpu, requests: diff };
}

export const totalRequests = (cost: Cost): number =>
  cost.requests.size === 0 ? Number.NaN : [...cost.requests.values()].reduce((a, b) => a + b, 0);
