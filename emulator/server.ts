// node:http front end: FastAPI-like routing and body parsing, fault injection, journaling, the
// /_emulator control endpoints, and a stop() that also tears down hung connections.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

import { ANONYMOUS, authenticate, type AuthSettings } from './auth';
import { errorResponse, type ApiResponse } from './errors';
import type { Faults } from './faults';
import type { Journal } from './journal';
import { routes } from './routes';
import type { Store } from './state';
import type { FaultRule, JournalEntry } from './types';

export interface ServerParts {
  store: Store;
  faults: Faults;
  journal: Journal;
  settings: AuthSettings;
  models: string[];
  reset(): void;
}

/** Python json.JSONDecodeError wording for the common V8 parse failures. */
function jsonInvalid(text: string, error: unknown): ApiResponse {
  const message = error instanceof Error ? error.message : '';
  const position = Number(/position (\d+)/.exec(message)?.[1] ?? (/end of JSON/.test(message) ? text.length : 0));
  const reason = /property name/.test(message)
    ? 'Expecting property name enclosed in double quotes'
    : /after JSON/.test(message)
      ? 'Extra data'
      : /Expected ',' or/.test(message)
        ? "Expecting ',' delimiter"
        : /Expected ':'/.test(message)
          ? "Expecting ':' delimiter"
          : /Unterminated string/.test(message)
            ? 'Unterminated string starting at'
            : 'Expecting value';
  return {
    status: 422,
    body: {
      detail: [
        { type: 'json_invalid', loc: ['body', position], msg: 'JSON decode error', input: {}, ctx: { error: reason } },
      ],
    },
  };
}

function send(res: ServerResponse, response: ApiResponse): void {
  if (res.destroyed || res.headersSent) return;
  const payload = JSON.stringify(response.body);
  res.writeHead(response.status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(payload),
    ...response.headers,
  });
  res.end(payload);
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export class EmulatorServer {
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private stopped = false;

  constructor(private readonly parts: ServerParts) {
    this.server = createServer((req, res) => {
      this.onRequest(req, res).catch((e: unknown) => send(res, errorResponse(e, 'proxy')));
    });
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
  }

  listen(port: number, host: string): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => resolve((this.server.address() as AddressInfo).port));
    });
  }

  stop(): Promise<void> {
    this.stopped = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    return closed;
  }

  private async onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://emulator');
    const bodyText = await readBody(req);
    if (url.pathname.startsWith('/_emulator/')) send(res, this.control(req, url, bodyText));
    else await this.serveApi(req, res, url, bodyText);
  }

  private async serveApi(req: IncomingMessage, res: ServerResponse, url: URL, bodyText: string): Promise<void> {
    const { journal, faults } = this.parts;
    const method = req.method ?? 'GET';
    const entry: JournalEntry = {
      method,
      path: url.pathname,
      query: journal.mask(Object.fromEntries(url.searchParams)) as Record<string, string>,
      body: this.maskedBody(bodyText),
      status: 0,
    };
    const changedBy = req.headers['litellm-changed-by'];
    if (typeof changedBy === 'string') entry.changedBy = changedBy;
    const decision = faults.decide(method, url.pathname);
    if (decision) entry.fault = decision.label;
    const action = decision?.action;
    if (action?.kind === 'latency') {
      await this.delay(action.ms);
      if (this.stopped || res.destroyed) return;
    }
    if (action?.kind === 'respond') {
      entry.status = action.response.status;
      journal.add(entry);
      send(res, action.response);
      return;
    }
    if (action?.kind === 'reset' || action?.kind === 'hang') {
      journal.add(entry);
      if (action.kind === 'reset') req.socket.resetAndDestroy();
      return; // a hung request stays open until the client gives up or stop() destroys the socket
    }
    const response = this.dispatch(req, url, bodyText);
    entry.status = response.status;
    journal.add(entry);
    if (action?.kind === 'drop_after_apply') req.socket.resetAndDestroy();
    else send(res, response);
  }

  /** Route, parse, authenticate, run: the order FastAPI + LiteLLM apply (JSON errors precede auth). */
  private dispatch(req: IncomingMessage, url: URL, bodyText: string): ApiResponse {
    const { store, settings, models } = this.parts;
    const route = routes.get(url.pathname);
    if (!route) return { status: 404, body: { detail: 'Not Found' } };
    if (route.method !== req.method)
      return { status: 405, body: { detail: 'Method Not Allowed' }, headers: { allow: route.method } };
    let body: unknown;
    if (route.method === 'POST' && bodyText.length > 0) {
      try {
        body = JSON.parse(bodyText);
      } catch (e) {
        return jsonInvalid(bodyText, e);
      }
    }
    try {
      const caller =
        route.access === 'public'
          ? ANONYMOUS
          : authenticate(store, settings, route.path, route.access, req.headers, url.searchParams);
      const result = route.handle({
        store,
        caller,
        body,
        query: url.searchParams,
        rawQuery: url.search.slice(1),
        models,
      });
      return { status: 200, body: result };
    } catch (e) {
      return errorResponse(e, route.errors);
    }
  }

  private control(req: IncomingMessage, url: URL, bodyText: string): ApiResponse {
    const { store, settings, faults, journal } = this.parts;
    try {
      authenticate(store, settings, url.pathname, 'admin', req.headers, url.searchParams);
    } catch (e) {
      return errorResponse(e, 'proxy');
    }
    const ok = (body: unknown): ApiResponse => ({ status: 200, body });
    switch (`${req.method ?? ''} ${url.pathname}`) {
      case 'POST /_emulator/faults':
        try {
          return ok({ id: faults.add(JSON.parse(bodyText) as FaultRule) });
        } catch (e) {
          return { status: 400, body: { error: e instanceof Error ? e.message : String(e) } };
        }
      case 'GET /_emulator/faults':
        return ok(faults.list());
      case 'DELETE /_emulator/faults': {
        const id = url.searchParams.get('id');
        if (id !== null) return ok({ removed: faults.remove(id) });
        faults.clear();
        return ok({ cleared: true });
      }
      case 'GET /_emulator/state':
        return ok(store.snapshot({ budgets: url.searchParams.get('budgets') === 'true' }));
      case 'GET /_emulator/journal':
        return ok(journal.list());
      case 'POST /_emulator/reset':
        this.parts.reset();
        return ok({ reset: true });
      default:
        return { status: 404, body: { detail: 'Not Found' } };
    }
  }

  private maskedBody(text: string): unknown {
    if (text.length === 0) return null;
    try {
      return this.parts.journal.mask(JSON.parse(text));
    } catch {
      return this.parts.journal.maskText(text);
    }
  }

  private delay(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        resolve();
      }, ms);
      this.timers.add(timer);
    });
  }
}
