/**
 * The workflows this worker runs. Their exported names are the workflow types clients start.
 */
export { createEntries } from './create-entries';
export { migrateEntries } from './migrate-entries';
export { downgradeEntries } from './downgrade-entries';
export { setTeamBudget, addTeamCredits } from './team-budget';
export { doctor } from './doctor';
export { repairFindings } from './repair-findings';
export { migrateFleet } from './migrate-fleet';
export { repairFleet } from './repair-fleet';
export { planOperation } from './plan';
