// Shared set-up for the emulator suites: one emulator per file, a reset before every test, and a
// thin fetch wrapper that returns status, parsed body and headers.
import { startEmulator, type Emulator, type EmulatorOptions } from '../../emulator';
import { MASTER_KEY } from '../helpers/fixtures';

export { MASTER_KEY } from '../helpers/fixtures';
export const ADMIN = { authorization: `Bearer ${MASTER_KEY}` };

/** Whatever JSON the emulator answered (typed like JSON.parse, without spelling `any`). */
export type Json = ReturnType<typeof JSON.parse>;

export interface Reply {
  status: number;
  body: Json;
  headers: Headers;
}

export const bearer = (key: string): Record<string, string> => ({ authorization: `Bearer ${key}` });

/** Starts an emulator for the enclosing describe/file; `ctx.emu` is ready inside tests. */
export function useEmulator(options: Partial<EmulatorOptions> = {}): { emu: Emulator } {
  const ctx = {} as { emu: Emulator };
  beforeAll(async () => {
    ctx.emu = await startEmulator({ masterKey: MASTER_KEY, ...options });
  });
  afterAll(async () => {
    await ctx.emu.stop();
  });
  beforeEach(() => ctx.emu.reset());
  return ctx;
}

/** `body` as a string is sent verbatim (malformed JSON tests); other values are JSON-encoded. */
export async function call(
  emu: Emulator,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = ADMIN
): Promise<Reply> {
  const response = await fetch(`${emu.url}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null, headers: response.headers };
}

export const post = (emu: Emulator, path: string, body?: unknown, headers?: Record<string, string>): Promise<Reply> =>
  call(emu, 'POST', path, body, headers);
export const get = (emu: Emulator, path: string, headers?: Record<string, string>): Promise<Reply> =>
  call(emu, 'GET', path, undefined, headers);

export interface Envelope {
  error: { message: string; type: string; param: string | null; code: string };
}

/** The ProxyException envelope LiteLLM answers with. */
export function envelope(status: number, message: string, type: string, param: string | null = 'None'): Envelope {
  return { error: { message, type, param, code: String(status) } };
}
