/**
 * Request/answer over a forked child's IPC channel: the bench's emulator and worker each run in their own
 * process (so neither shares an event loop with the other or with the client, and the worker's memory is
 * its own), and the bench asks them things (seed, snapshot, RSS) by message.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { WORKER_MALLOC_ENV, WORKER_NODE_FLAGS } from '../src/worker';

interface Request {
  id: number;
  op: string;
  args: unknown[];
}
interface Answer {
  id: number;
  ok: boolean;
  value?: unknown;
  error?: string;
}

export type Handlers = Record<string, (...args: never[]) => unknown>;

/** In the child: answer requests with `handlers`; tells the parent `ready` once `init` resolved. */
export function serveIpc(init: () => Promise<Handlers>): void {
  init().then(
    (handlers) => {
      process.on('message', (message: Request) => {
        const handler = handlers[message.op] as ((...args: unknown[]) => unknown) | undefined;
        Promise.resolve()
          .then(() => {
            if (!handler) throw new Error(`unknown op ${message.op}`);
            return handler(...message.args);
          })
          .then(
            (value) => process.send?.({ id: message.id, ok: true, value } satisfies Answer),
            (err: unknown) =>
              process.send?.({ id: message.id, ok: false, error: err instanceof Error ? err.message : String(err) })
          );
      });
      process.send?.({ id: 0, ok: true, value: 'ready' } satisfies Answer);
    },
    (err: unknown) => {
      process.stderr.write(
        `child failed to start: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`
      );
      process.exit(1);
    }
  );
  // The parent gone (crash included): this process ends too.
  process.on('disconnect', () => process.exit(0));
}

export interface ChildHandle {
  pid: number;
  call<T>(op: string, ...args: unknown[]): Promise<T>;
  /** Stops the child by its own pid: SIGTERM, then SIGKILL after 5 s. */
  stop(): Promise<void>;
}

/** Forks a TypeScript module (through tsx, after `nodeFlags`) and waits for its `ready`. */
export function forkChild(
  modulePath: string,
  env: Record<string, string>,
  nodeFlags: readonly string[] = []
): Promise<ChildHandle> {
  const child: ChildProcess = fork(modulePath, [], {
    execArgv: [...nodeFlags, '--import', 'tsx'],
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  let nextId = 1;
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => {
      const err = new Error(`${modulePath} exited (${String(code)})`);
      reject(err);
      for (const p of pending.values()) p.reject(err);
    });
    child.on('message', (answer: Answer) => {
      if (answer.id === 0) {
        resolve({
          pid: child.pid as number,
          call: <T>(op: string, ...args: unknown[]) =>
            new Promise<T>((res, rej) => {
              const id = nextId++;
              pending.set(id, { resolve: res as (v: unknown) => void, reject: rej });
              child.send({ id, op, args } satisfies Request);
            }),
          stop: () =>
            new Promise<void>((done) => {
              if (child.exitCode !== null || child.signalCode !== null) return done();
              const kill = setTimeout(() => child.kill('SIGKILL'), 5_000);
              child.once('exit', () => {
                clearTimeout(kill);
                done();
              });
              child.kill('SIGTERM');
            }),
        });
        return;
      }
      const waiter = pending.get(answer.id);
      pending.delete(answer.id);
      if (answer.ok) waiter?.resolve(answer.value);
      else waiter?.reject(new Error(answer.error));
    });
  });
}

/**
 * Forks a worker process as every launcher starts one (WORKER_NODE_FLAGS, WORKER_MALLOC_ENV), so the RSS the
 * bench measures is a deployed worker's.
 */
export function forkWorker(modulePath: string, env: Record<string, string>): Promise<ChildHandle> {
  return forkChild(modulePath, { ...env, ...WORKER_MALLOC_ENV }, WORKER_NODE_FLAGS);
}
