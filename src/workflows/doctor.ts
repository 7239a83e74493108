/**
 * `doctor`: reads all of LiteLLM page by page (users with their teams, memberships and keys; then every key)
 * and reports each class of residue with its evidence. It only reads: its activities make GET calls alone.
 * Pages of users and of keys are read side by side; every `pagesPerRun` pages it continues as new, carrying
 * the counts and at most `maxFindings` findings (the rest are counted), so history stays bounded at any
 * fleet size. The `doctorProgress` query shows where it is.
 */
import { ApplicationFailure, continueAsNew, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import { INVALID_INPUT } from './begin-operation';
import { checkWorkflowInput, describeInputIssues } from './input-check';
import { doctorProgressQuery, type DoctorInput, type DoctorProgress, type DoctorReport } from './doctor-contract';
import { addCounts, emptyCounts, totalFindings, type Finding } from '../domain/doctor-findings';
import type { LiteLLMActivities } from './activity-options';

/** Defaults of {@link DoctorInput}, resolved in one place. */
export const DOCTOR_DEFAULTS = { pageSize: 100, maxFindings: 1_000, pagesPerRun: 40 };

/** Page reads: patient (a read is always safe to repeat), and long enough for a page of lookups. */
const reads = proxyActivities<LiteLLMActivities>({
  startToCloseTimeout: '5m',
  heartbeatTimeout: '30s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 12 },
});

export async function doctor(raw: DoctorInput = {}): Promise<DoctorReport> {
  // Checked here too: a run started from Python or `temporal workflow start` gets the same named errors.
  const checked = checkWorkflowInput('doctor', raw);
  if (!checked.ok) {
    throw ApplicationFailure.create({
      type: INVALID_INPUT,
      message: describeInputIssues('doctor', checked.issues),
      nonRetryable: true,
    });
  }
  const input = raw;
  const pageSize = input.pageSize ?? DOCTOR_DEFAULTS.pageSize;
  const maxFindings = input.maxFindings ?? DOCTOR_DEFAULTS.maxFindings;
  const pagesPerRun = input.pagesPerRun ?? DOCTOR_DEFAULTS.pagesPerRun;
  const progress: DoctorProgress = input.progress ?? {
    startedAt: new Date().toISOString(),
    nextUserPage: 1,
    nextKeyPage: 1,
    usersScanned: 0,
    keysScanned: 0,
    pagesRead: 0,
    runs: 1,
    counts: emptyCounts(),
    findings: [],
    findingsOmitted: 0,
  };
  setHandler(doctorProgressQuery, () => progress);

  const keep = (findings: Finding[]) => {
    const room = Math.max(maxFindings - progress.findings.length, 0);
    progress.findings.push(...findings.slice(0, room));
    progress.findingsOmitted += Math.max(findings.length - room, 0);
  };

  let readThisRun = 0;
  while (progress.nextUserPage !== null || progress.nextKeyPage !== null) {
    if (readThisRun >= pagesPerRun || (readThisRun > 0 && workflowInfo().continueAsNewSuggested)) {
      return continueAsNew<typeof doctor>({ ...input, progress: { ...progress, runs: progress.runs + 1 } });
    }
    const userPage = progress.nextUserPage;
    const keyPage = progress.nextKeyPage;
    const [users, keys] = await Promise.all([
      userPage !== null ? reads.doctorUsersPage({ page: userPage, pageSize }) : null,
      keyPage !== null ? reads.doctorKeysPage({ page: keyPage, pageSize }) : null,
    ]);
    if (users && userPage !== null) {
      progress.usersScanned += users.scanned;
      addCounts(progress.counts, users.counts);
      keep(users.findings);
      progress.nextUserPage = users.lastPage ? null : userPage + 1;
      readThisRun += 1;
    }
    if (keys && keyPage !== null) {
      progress.keysScanned += keys.scanned;
      addCounts(progress.counts, keys.counts);
      keep(keys.findings);
      progress.nextKeyPage = keys.lastPage ? null : keyPage + 1;
      readThisRun += 1;
    }
    progress.pagesRead += (users ? 1 : 0) + (keys ? 1 : 0);
  }

  const total = totalFindings(progress.counts);
  return {
    startedAt: progress.startedAt,
    finishedAt: new Date().toISOString(),
    usersScanned: progress.usersScanned,
    keysScanned: progress.keysScanned,
    pagesRead: progress.pagesRead,
    runs: progress.runs,
    counts: progress.counts,
    totalFindings: total,
    clean: total === 0,
    findings: progress.findings,
    findingsOmitted: progress.findingsOmitted,
  };
}
