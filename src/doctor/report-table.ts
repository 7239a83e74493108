/** The doctor report as a short human table (the CLI prints it on stderr; stdout stays JSON). */
import type { DoctorReport } from '../workflows/doctor-contract';
import { ACCOUNT_STATES, FINDING_CLASSES, type FindingClass } from '../domain/doctor-findings';

const REPAIR_OF: Record<FindingClass, string> = {
  half_migrated_no_team: 'recreate personal team, add member, move keys',
  half_migrated_no_membership: 'add member, move keys',
  half_migrated_keys_not_moved: 'move keys into personal team',
  sentinel_without_org: 'recreate personal team, add member, move keys',
  downgraded_leftover: 'finish the downgrade (downgradeEntries)',
  membership_in_deleted_team: 'none through the admin API',
  duplicate_cloud_alias_keys: 'keep the newest key, delete the others',
  orphan_key_team_gone: 'delete the key',
  orphan_key_user_gone: 'delete the key',
};

export function renderDoctorTable(report: DoctorReport): string {
  const rows: Array<[string, string, string]> = [
    ...ACCOUNT_STATES.map((c): [string, string, string] => [c, String(report.counts[c]), 'state (no repair)']),
    ...FINDING_CLASSES.map((c): [string, string, string] => [c, String(report.counts[c]), REPAIR_OF[c]]),
  ];
  const width = Math.max(...rows.map(([c]) => c.length), 'class'.length);
  const line = ([c, n, r]: [string, string, string]) => `${c.padEnd(width)}  ${n.padStart(7)}  ${r}`;
  return [
    line(['class', 'count', 'repair']),
    ...rows.map(line),
    '',
    `users ${report.usersScanned}, keys ${report.keysScanned}, findings ${report.totalFindings}` +
      (report.findingsOmitted > 0 ? ` (${report.findingsOmitted} counted, not listed)` : '') +
      (report.clean ? ': clean' : ''),
  ].join('\n');
}
