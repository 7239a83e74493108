/**
 * docs/activities.md's failure table agrees with the code that decides (src/activities/failures.ts): the table
 * is read from the document, and every status and case it names goes through `toFailure`.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import {
  FailureType,
  keyAliasTakenFailure,
  notFoundFailure,
  toFailure,
  userMissingFailure,
} from '../../src/activities/failures';
import {
  LiteLLMHttpError,
  LiteLLMInputError,
  LiteLLMResponseError,
  LiteLLMTransportError,
} from '../../src/litellm/errors';

interface Row {
  type: string;
  when: string;
  retried: string;
}

/** The rows of the table under the `| failure type | when | retried |` header. */
function documentedRows(): Row[] {
  const lines = readFileSync(join(__dirname, '..', '..', 'docs', 'activities.md'), 'utf8').split('\n');
  const header = lines.findIndex((l) => /^\| failure type \| when \| retried \|$/.test(l.trim()));
  expect(header).toBeGreaterThanOrEqual(0);
  const rows: Row[] = [];
  for (const line of lines.slice(header + 2)) {
    if (!line.startsWith('|')) break;
    const [type, when, retried] = line
      .split('|')
      .slice(1, -1)
      .map((cell) => cell.trim());
    rows.push({ type: type!.replace(/`/g, ''), when: when!, retried: retried! });
  }
  return rows;
}

const http = (status: number, errorType?: string) =>
  new LiteLLMHttpError({ status, route: '/team/new', message: 'refused', ...(errorType ? { errorType } : {}) });

/** Cases a row describes in words rather than by status. */
const cases: Record<string, Array<() => Error>> = {
  LiteLLMNotFound: [() => notFoundFailure('updateUser', 'user', { userId: 'u1' })],
  LiteLLMResponseInvalid: [() => new LiteLLMResponseError('/team/info', 200, 'team_info.spend', 'expected number')],
  LiteLLMInputError: [() => new LiteLLMInputError('teamId', 'must not be empty')],
  LiteLLMUserMissing: [() => userMissingFailure('createUser', 'u1')],
  LiteLLMKeyAliasTaken: [() => keyAliasTakenFailure('generateKey', 'alias')],
  LiteLLMUnavailable: [() => http(400, 'no_db_connection')],
  LiteLLMTimeout: [() => new LiteLLMTransportError('/key/generate', 'timeout', 'UND_ERR_HEADERS_TIMEOUT')],
  LiteLLMConnectionError: [() => new LiteLLMTransportError('/key/generate', 'connection', 'ECONNRESET')],
  LiteLLMActivityError: [() => new TypeError('a bug')],
};

/** The statuses a row's "when" names: `400`, `5xx` (as 500 and 503). */
function statuses(when: string): number[] {
  return [...when.matchAll(/\b([1-5]\d\d|5xx)\b/g)].flatMap(([, s]) => (s === '5xx' ? [500, 503] : [Number(s)]));
}

function converted(err: Error, signal?: AbortSignal): { type: string; retried: string } {
  const failure = toFailure(err, 'anActivity', signal);
  if (failure instanceof CancelledFailure) return { type: 'CancelledFailure', retried: '—' };
  if (!(failure instanceof ApplicationFailure)) throw new Error(`not a failure: ${failure.name}`);
  return { type: failure.type ?? '', retried: failure.nonRetryable ? 'no' : 'yes' };
}

describe('docs/activities.md failure table', () => {
  const rows = documentedRows();

  it('has one row for every failure type the code defines, and no other', () => {
    expect(rows.map((r) => r.type).sort()).toEqual([...Object.values(FailureType), 'CancelledFailure'].sort());
  });

  it.each(rows.map((r) => [r.type, r] as const))('%s: each documented case converts as the row says', (_t, row) => {
    const samples = [...statuses(row.when).map((s) => () => http(s)), ...(cases[row.type] ?? [])];
    if (row.type !== 'CancelledFailure') expect(samples.length).toBeGreaterThan(0);
    for (const sample of samples) {
      expect({ when: row.when, ...converted(sample()) }).toEqual({
        when: row.when,
        type: row.type,
        retried: row.retried,
      });
    }
  });

  it('a cancelled activity is a cancellation, whatever its call threw', () => {
    const controller = new AbortController();
    controller.abort(new CancelledFailure('cancelled'));
    const row = rows.find((r) => r.type === 'CancelledFailure')!;
    expect(converted(new LiteLLMTransportError('/key/generate', 'aborted'), controller.signal)).toEqual({
      type: row.type,
      retried: row.retried,
    });
  });

  it('a 4xx the table does not list is a validation error, as its row says', () => {
    expect(converted(http(418))).toEqual({ type: FailureType.Validation, retried: 'no' });
  });
});
