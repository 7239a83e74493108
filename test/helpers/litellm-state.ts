/**
 * Emulator set-up shared by workflow tests.
 */
import type { Emulator, FaultRule } from '../../emulator';

/**
 * LiteLLM adds the master key's `default_user_id` to every team it creates and gives it a user row that
 * outlives the team. Creating and deleting a scratch team first makes that row part of "before", so
 * snapshots taken around a rollback compare exactly.
 */
export async function primeDefaultUser(emulator: Emulator, masterKey: string): Promise<void> {
  const post = (path: string, body: unknown) =>
    fetch(`${emulator.url}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${masterKey}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  await post('/team/new', { team_id: 'scratch-team' });
  await post('/team/delete', { team_ids: ['scratch-team'] });
  emulator.clearJournal();
}

/** A failure for good (a 400 LiteLLM would give for a request that can never work) of one call on a route. */
export function stepFailure(route: string, after: number): FaultRule {
  return {
    route,
    after,
    times: 1,
    kind: 'status',
    status: 400,
    body: { error: { message: 'emulated failure for good', type: 'bad_request_error', param: 'None', code: '400' } },
  };
}
