/**
 * Child processes started by our scripts and tests, each stopped by its own handle (never by name):
 * SIGTERM, then SIGKILL if it has not exited within the grace time.
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { createConnection, createServer, type AddressInfo } from 'node:net';
import { WORKER_MALLOC_ENV, WORKER_NODE_FLAGS } from '../src/worker';

export interface ManagedProcess {
  readonly name: string;
  readonly child: ChildProcess;
  /** Resolves with the exit code (or the signal name) once the process has exited. */
  readonly exited: Promise<number | string>;
  stop(graceMs?: number): Promise<number | string>;
}

export function startProcess(
  name: string,
  command: string,
  args: string[],
  options: SpawnOptions = {}
): ManagedProcess {
  const child = spawn(command, args, { stdio: 'inherit', ...options });
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown'));
    child.once('error', () => resolve('spawn-error'));
  });
  let stopping: Promise<number | string> | undefined;
  return {
    name,
    child,
    exited,
    stop(graceMs = 10_000) {
      stopping ??= (async () => {
        if (child.exitCode !== null || child.signalCode !== null) return exited;
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
        try {
          return await exited;
        } finally {
          clearTimeout(timer);
        }
      })();
      return stopping;
    },
  };
}

/**
 * A worker process as every launcher starts one: Node with WORKER_NODE_FLAGS before `args` (e.g. `--import
 * tsx src/worker.ts`), WORKER_MALLOC_ENV in its environment.
 */
export function startWorkerProcess(name: string, args: string[], options: SpawnOptions = {}): ManagedProcess {
  return startProcess(name, process.execPath, [...WORKER_NODE_FLAGS, ...args], {
    ...options,
    env: { ...(options.env ?? process.env), ...WORKER_MALLOC_ENV },
  });
}

/** Resolves once something accepts TCP connections on host:port, or rejects after `timeoutMs`. */
export async function waitForPort(host: string, port: number, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = createConnection({ host, port });
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    if (Date.now() > deadline) throw new Error(`Nothing listens on ${host}:${port} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** True when host:port is free to listen on. */
export async function portIsFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(true));
  });
}

/** A port the OS just handed out and took back: free for a server a test is about to start. */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
