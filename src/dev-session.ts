/**
 * What a running `npm run dev` tells the tools beside it: its pid, Temporal address, Web UI, emulator and the
 * dev encryption keys file. `npm run dev` writes it when the worker polls and removes it when it stops; the
 * CLI reads it so that, in a checkout, it needs no setup to reach the dev runs; a second `npm run dev`
 * reads it to say that one is running already.
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Env } from './config';

export interface DevSession {
  pid: number;
  temporalAddress: string;
  webUi: string;
  emulatorUrl: string;
  codecUrl: string;
  /** The dev encryption keys: made by `npm run dev`, kept beside its database. */
  keysFile: string;
}

/** `.dev/` of the checkout (or `DEV_STATE_DIR`): where `npm run dev` keeps its state. */
export function devStateDir(env: Env = process.env, cwd = process.cwd()): string {
  return resolve(cwd, env.DEV_STATE_DIR ?? '.dev');
}

const sessionFile = (stateDir: string) => join(stateDir, 'session.json');

export function writeDevSession(stateDir: string, session: DevSession): void {
  writeFileSync(sessionFile(stateDir), `${JSON.stringify(session, null, 2)}\n`);
}

export function removeDevSession(stateDir: string): void {
  rmSync(sessionFile(stateDir), { force: true });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: alive, but another user's.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The session of the `npm run dev` running from this state directory, if one is. */
export function readDevSession(stateDir: string): DevSession | undefined {
  const file = sessionFile(stateDir);
  if (!existsSync(file)) return undefined;
  try {
    const session = JSON.parse(readFileSync(file, 'utf8')) as DevSession;
    return Number.isInteger(session.pid) && isAlive(session.pid) ? session : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The environment with the dev session's address and keys filled in where the operator set neither keys
 * variable: beside `npm run dev` the CLI works as printed. An explicit setting always wins.
 */
export function withDevSession(env: Env, stateDir = devStateDir(env)): Env {
  if (env.LITELLM_WORKFLOWS_ENCRYPTION_KEYS || env.LITELLM_WORKFLOWS_ENCRYPTION_KEYS_FILE) return env;
  const session = readDevSession(stateDir);
  if (!session) return env;
  return {
    ...env,
    TEMPORAL_ADDRESS: env.TEMPORAL_ADDRESS ?? session.temporalAddress,
    LITELLM_WORKFLOWS_ENCRYPTION_KEYS_FILE: session.keysFile,
  };
}
