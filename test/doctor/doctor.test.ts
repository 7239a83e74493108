/**
 * The fleet doctor on a real Temporal server against the emulator seeded with a known mix of residue: it
 * finds exactly that mix, writes nothing (checked on the emulator's journal), also under faults, and keeps
 * its history bounded by continuing as new.
 */
import { OperationInProgressError } from '../../src/client';
import { eventually, useBench } from '../helpers/harness';
import { DEFAULT_TEAM, findingIds, seedResidue, type SeededResidue } from './residue';

const bench = useBench({ resetBeforeEach: false });
let residue: SeededResidue;

beforeEach(() => {
  bench.emulator.reset();
  residue = seedResidue(bench.emulator);
});

const provisioning = { provisioning: { defaultTeamId: DEFAULT_TEAM } };
const unique = (name: string) => `doctor-${name}-${Math.random().toString(36).slice(2)}`;

function expectNoWrite(): void {
  const journal = bench.emulator.journal();
  expect(journal.length).toBeGreaterThan(0);
  expect(journal.filter((e) => e.method !== 'GET')).toEqual([]);
}

describe('doctor', () => {
  it('finds exactly the seeded mix of residue, with evidence and never a key value, writing nothing', async () => {
    const snapshotBefore = bench.emulator.snapshot();
    const report = await bench.withWorker(
      (client) => client.executeDoctor({ pageSize: 50 }, unique('exact')),
      provisioning
    );
    expect(report.counts).toEqual(residue.counts);
    expect(findingIds(report.findings)).toEqual(residue.findings);
    expect(report.usersScanned).toBe(bench.emulator.snapshot().users.length);
    expect(report.keysScanned).toBe(bench.emulator.snapshot().keys.length);
    expect(report.clean).toBe(false);
    expect(report.findingsOmitted).toBe(0);
    const text = JSON.stringify(report);
    for (const key of residue.plaintextKeys) expect(text).not.toContain(key);
    expect(report.findings.find((f) => f.class === 'half_migrated_no_membership')).toMatchObject({
      evidence: { userMaxBudget: 1_000_000_000, personalTeamExists: true, memberOfPersonalTeam: false },
      repair: { kind: 'finishPersonalMigration', createTeam: false, addMember: true },
    });
    expectNoWrite();
    expect(bench.emulator.snapshot()).toEqual(snapshotBefore);
  });

  it('reports the same under random faults on every route, and still writes nothing', async () => {
    bench.emulator.faults.add({
      route: '*',
      kind: 'random',
      rate: 0.15,
      seed: 13,
      kinds: ['status500', 'status503', 'rate_limit', 'reset'],
    });
    bench.emulator.faults.add({ route: '/team/info', kind: 'drop_after_apply', times: 5 });
    const report = await bench.withWorker(
      (client) => client.executeDoctor({ pageSize: 100 }, unique('faults')),
      provisioning
    );
    expect(report.counts).toEqual(residue.counts);
    expect(findingIds(report.findings)).toEqual(residue.findings);
    expect(bench.emulator.journal().some((e) => e.fault !== undefined)).toBe(true);
    expectNoWrite();
  });

  it('continues as new to bound history, carries counts, and bounds the findings it lists', async () => {
    const { report, progress } = await bench.withWorker(async (client) => {
      const id = unique('can');
      const handle = await client.startDoctor({ pageSize: 20, pagesPerRun: 4, maxFindings: 30 }, id);
      const seen = await eventually(async () => {
        const p = await client.doctorProgress(id);
        return p.runs > 1 && p.pagesRead > 0 ? p : undefined;
      }, 120_000);
      return { report: await handle.result(), progress: seen };
    }, provisioning);
    expect(progress.runs).toBeGreaterThan(1);
    expect(report.runs).toBeGreaterThan(3);
    expect(report.counts).toEqual(residue.counts);
    expect(report.findings).toHaveLength(30);
    expect(report.findings.length + report.findingsOmitted).toBe(report.totalFindings);
    expectNoWrite();
  });

  it('runs one at a time: a second start is refused while the first runs', async () => {
    bench.emulator.faults.add({ route: '/user/list', kind: 'latency', ms: 500 });
    await bench.withWorker(async (client) => {
      const id = unique('single');
      const first = await client.startDoctor({}, id);
      await expect(client.startDoctor({}, id)).rejects.toBeInstanceOf(OperationInProgressError);
      await first.result();
    }, provisioning);
  });

  it('refuses bad input naming the field, before anything starts', async () => {
    await bench.withWorker(async (client) => {
      await expect(client.startDoctor({ pageSize: 500 })).rejects.toThrow(/pageSize/);
    }, provisioning);
    expect(bench.emulator.journal()).toEqual([]);
  });
});
