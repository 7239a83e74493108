import type { WorkflowFailedError } from '@temporalio/client';
import { type ApplicationFailure } from '@temporalio/client';
import { MASTER_KEY, useBench } from '../helpers/harness';
import { primeDefaultUser, stepFailure } from '../helpers/litellm-state';

// Each test seeds a team of its own; the emulator is not reset between them.
const bench = useBench({ resetBeforeEach: false });

const OLD = 10;
const NEW = 50;
let run = 0;

function seedTeam(members: number): string {
  run += 1;
  const team = `pages-${run}`;
  bench.emulator.seed.team({ team_id: team, max_budget: OLD });
  for (let i = 0; i < members; i++) {
    bench.emulator.seed.membership({
      user_id: `u${String(i).padStart(3, '0')}`,
      team_id: team,
      max_budget_in_team: OLD,
    });
  }
  return team;
}

/** The member budgets the calls to /team/member_update wrote, in the order LiteLLM applied them. */
function memberWrites(): Array<{ budget: unknown; status: number }> {
  return bench.emulator
    .journal()
    .filter((e) => e.path === '/team/member_update')
    .map((e) => ({ budget: (e.body as { max_budget_in_team?: unknown }).max_budget_in_team, status: e.status }));
}

beforeEach(async () => {
  bench.emulator.reset();
  await primeDefaultUser(bench.emulator, MASTER_KEY);
});

describe('setTeamBudget pages', () => {
  it('on a failure at the default concurrency, no forward write lands after the rollback began', async () => {
    const team = seedTeam(60);
    const before = bench.emulator.snapshot();
    // The 6th member update fails for good while up to 15 others are in flight (slowed down).
    bench.emulator.faults.add(stepFailure('/team/member_update', 5));
    bench.emulator.faults.add({ route: '/team/member_update', kind: 'latency', ms: 150 });
    bench.emulator.clearJournal();
    const failure = await bench
      .withWorker((c) => c.executeSetTeamBudget({ teamId: team, maxBudget: NEW }))
      .catch((err: unknown) => err);
    expect(((failure as WorkflowFailedError).cause as ApplicationFailure).type).toBe('OperationRolledBack');
    expect(bench.emulator.snapshot()).toEqual(before);

    const writes = memberWrites();
    const firstUndo = writes.findIndex((w) => w.budget === OLD);
    expect(firstUndo).toBeGreaterThan(0);
    expect(writes.slice(firstUndo).filter((w) => w.budget === NEW)).toEqual([]);
    // It stopped taking new members: the forward writes are the ones in flight, not the whole page.
    const forward = writes.slice(0, firstUndo).filter((w) => w.status === 200).length;
    expect(forward).toBeLessThan(60);
  });

  it('a retried page resumes from the offset it heartbeated, and every member ends at the new budget', async () => {
    const team = seedTeam(100);
    // A transient error (retried by the activity's policy) late in the page.
    bench.emulator.faults.add({ route: '/team/member_update', after: 70, times: 1, kind: 'status', status: 503 });
    bench.emulator.faults.add({ route: '/team/member_update', kind: 'latency', ms: 40 });
    bench.emulator.clearJournal();
    const result = await bench.withWorker((c) =>
      c.executeSetTeamBudget({ teamId: team, maxBudget: NEW, concurrency: 2, pageSize: 100 })
    );
    expect(result).toEqual({ teamId: team, maxBudget: NEW, membersUpdated: 100 });
    const memberships = bench.emulator.snapshot().memberships.filter((m) => m.team_id === team);
    expect(memberships.map((m) => m.max_budget)).toEqual(memberships.map(() => NEW));
    // Restarting from 0 would make 100 + 71 calls; resuming makes fewer.
    expect(memberWrites().length).toBeLessThan(171);
  });
});
