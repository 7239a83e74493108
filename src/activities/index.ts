/**
 * The activities of the worker: `createActivities(deps)` returns plain async functions, each taking one
 * object argument and returning plain JSON. Workflows type their proxy with
 * `ReturnType<typeof createActivities>`. Every activity is idempotent under retry (docs/activities.md) and
 * converts LiteLLM errors to Temporal failures in one place (failures.ts).
 */
import { randomBytes } from 'node:crypto';
import { doctorActivities } from './doctor';
import { creditActivities } from './credits';
import { keyActivities } from './keys';
import { memberBudgetPageActivities } from './member-budget-pages';
import { provisioningSettings, readActivities } from './reads';
import { teamActivities } from './teams';
import type { ActivityDeps, ProvisioningSettings } from './types';
import { userActivities } from './users';

export type { ActivityDeps, ProvisioningSettings } from './types';

export function createActivities(deps: ActivityDeps) {
  return {
    /** The provisioning settings workflows decide with (no HTTP). */
    // eslint-disable-next-line @typescript-eslint/require-await
    async getProvisioningSettings(): Promise<ProvisioningSettings> {
      return provisioningSettings(deps);
    },
    /**
     * A fresh issuance id for `generateKey` (256 random bits, no HTTP). Taken as a local activity, it is
     * recorded in history only inside an encrypted payload before LiteLLM is called: every retry of that
     * issuance derives the same key, and nothing visible (workflow or run id) lets anyone derive it.
     */
    // eslint-disable-next-line @typescript-eslint/require-await
    async newIssuanceId(): Promise<string> {
      return randomBytes(32).toString('base64url');
    },
    ...teamActivities(deps),
    ...userActivities(deps),
    ...keyActivities(deps),
    ...doctorActivities(deps),
    ...creditActivities(deps),
    ...memberBudgetPageActivities(deps),
    ...readActivities(deps),
  };
}
