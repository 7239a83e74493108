// Fault injection: rules matched per call (route/method, after/times windows) that turn a call into
// latency, an error status, a 429, a reset or hung connection, or a response lost after the change applied.
import { z } from 'zod';

import { envelope, type ApiResponse } from './errors';
import type { FaultController, FaultRule, RandomFaultKind } from './types';

const RANDOM_KINDS = ['status500', 'status503', 'rate_limit', 'reset', 'drop_after_apply'] as const;

const window = {
  route: z.string().min(1),
  method: z.enum(['GET', 'POST']).optional(),
  times: z.number().int().positive().optional(),
  after: z.number().int().nonnegative().optional(),
};

const faultRuleSchema = z.discriminatedUnion('kind', [
  z.object({
    ...window,
    kind: z.literal('latency'),
    ms: z.number().nonnegative(),
    jitterMs: z.number().nonnegative().optional(),
  }),
  z.object({
    ...window,
    kind: z.literal('status'),
    status: z.number().int().min(100).max(599),
    body: z.unknown().optional(),
  }),
  z.object({ ...window, kind: z.literal('rate_limit'), retryAfterSeconds: z.number().nonnegative() }),
  z.object({ ...window, kind: z.literal('reset') }),
  z.object({ ...window, kind: z.literal('hang') }),
  z.object({ ...window, kind: z.literal('drop_after_apply') }),
  z.object({
    ...window,
    kind: z.literal('random'),
    rate: z.number().min(0).max(1),
    seed: z.number().int(),
    kinds: z.array(z.enum(RANDOM_KINDS)).min(1).optional(),
  }),
]);

/** What the server does with a faulted call. */
export type FaultAction =
  | { kind: 'latency'; ms: number }
  | { kind: 'respond'; response: ApiResponse }
  | { kind: 'reset' }
  | { kind: 'hang' }
  | { kind: 'drop_after_apply' };

export interface FaultDecision {
  action: FaultAction;
  /** Recorded in the journal entry's `fault`. */
  label: string;
}

interface ActiveRule {
  id: string;
  rule: FaultRule;
  seen: number;
  applied: number;
  random?: () => number;
}

/** mulberry32: tiny seeded PRNG, so a seed replays the same fault sequence for the same call order. */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function statusResponse(status: number, body: unknown): ApiResponse {
  return body === undefined
    ? envelope(status, 'Internal Server Error, emulated fault', 'internal_server_error', 'None')
    : { status, body };
}

function rateLimitResponse(retryAfterSeconds: number): ApiResponse {
  return {
    ...envelope(
      429,
      'LiteLLM Rate Limit Handler: Crossed TPM / RPM / Max Parallel Request Limit (emulated fault)',
      'throttling_error',
      'None'
    ),
    headers: { 'retry-after': String(retryAfterSeconds) },
  };
}

function randomAction(kind: RandomFaultKind): FaultAction {
  switch (kind) {
    case 'status500':
      return { kind: 'respond', response: statusResponse(500, undefined) };
    case 'status503':
      return { kind: 'respond', response: statusResponse(503, undefined) };
    case 'rate_limit':
      return { kind: 'respond', response: rateLimitResponse(1) };
    case 'reset':
      return { kind: 'reset' };
    case 'drop_after_apply':
      return { kind: 'drop_after_apply' };
  }
}

export class Faults implements FaultController {
  private rules: ActiveRule[] = [];
  private counter = 0;

  add(rule: FaultRule): string {
    const parsed = faultRuleSchema.safeParse(rule);
    if (!parsed.success) throw new Error(`Invalid fault rule: ${z.prettifyError(parsed.error)}`);
    const valid: FaultRule = parsed.data;
    const id = `fault-${++this.counter}`;
    this.rules.push({
      id,
      rule: valid,
      seen: 0,
      applied: 0,
      random: valid.kind === 'random' ? mulberry32(valid.seed) : undefined,
    });
    return id;
  }

  remove(id: string): boolean {
    const before = this.rules.length;
    this.rules = this.rules.filter((r) => r.id !== id);
    return this.rules.length < before;
  }

  clear(): void {
    this.rules = [];
  }

  list(): Array<FaultRule & { id: string }> {
    return this.rules.map((r) => ({ ...structuredClone(r.rule), id: r.id }));
  }

  /**
   * Every matching rule counts the call (for `after`); the first rule inside its window acts.
   * `times` counts the calls a rule was applied to (for `random`: consulted), then the rule expires.
   */
  decide(method: string, path: string): FaultDecision | null {
    let decision: FaultDecision | null = null;
    for (const active of this.rules) {
      const { rule } = active;
      if ((rule.route !== '*' && rule.route !== path) || (rule.method !== undefined && rule.method !== method))
        continue;
      active.seen++;
      if (decision || active.seen <= (rule.after ?? 0)) continue;
      active.applied++;
      decision = this.actionFor(active);
    }
    this.rules = this.rules.filter((r) => r.rule.times === undefined || r.applied < r.rule.times);
    return decision;
  }

  private actionFor({ rule, random }: ActiveRule): FaultDecision | null {
    switch (rule.kind) {
      case 'latency':
        return { action: { kind: 'latency', ms: rule.ms + Math.random() * (rule.jitterMs ?? 0) }, label: 'latency' };
      case 'status':
        return { action: { kind: 'respond', response: statusResponse(rule.status, rule.body) }, label: 'status' };
      case 'rate_limit':
        return {
          action: { kind: 'respond', response: rateLimitResponse(rule.retryAfterSeconds) },
          label: 'rate_limit',
        };
      case 'reset':
      case 'hang':
      case 'drop_after_apply':
        return { action: { kind: rule.kind }, label: rule.kind };
      case 'random': {
        const next = random ?? Math.random;
        if (next() >= rule.rate) return null;
        const kinds = rule.kinds ?? RANDOM_KINDS;
        const kind = kinds[Math.floor(next() * kinds.length)] ?? 'status500';
        return { action: randomAction(kind), label: `random:${kind}` };
      }
    }
  }
}
