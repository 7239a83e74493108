/**
 * The activities of the worker: `createActivities(deps)` returns plain async functions, each taking one
 * object argument and returning plain JSON. Workflows type their proxy with
 * `ReturnType<typeof createActivities>`. Every activity is idempotent under retry (docs/activities.md) and
 * converts LiteLLM errors to Temporal failures in one place (failures.ts).
 */
import { doctorActivities } from './doctor';
import { creditActivities } from './credits';
import { keyActivities } from './keys';
import { memberBudgetPageActivities } from './member-budget-pages';
import { teamActivities } from './teams';
import type { ActivityDeps, ProvisioningSettings } from './types';
import { userActivities } from './users';

export type { ActivityDeps, ProvisioningSettings } from './types';

export function createActivities(deps: ActivityDeps) {
  const { provisioning } = deps;
  return {
    /** The provisioning settings workflows decide with (no HTTP). */
    // eslint-disable-next-line @typescript-eslint/require-await
    async getProvisioningSettings(): Promise<ProvisioningSettings> {
      return {
        defaultTeamId: provisioning.defaultTeamId ?? null,
        defaultInitialBudget: provisioning.defaultInitialBudget,
        liteLLMBaseUrl: deps.liteLLMBaseUrl,
        defaultModel: provisioning.defaultModel,
        orgSettingsVersion: provisioning.orgSettingsVersion,
      };
    },
    ...teamActivities(deps),
    ...userActivities(deps),
    ...keyActivities(deps),
    ...doctorActivities(deps),
    ...creditActivities(deps),
    ...memberBudgetPageActivities(deps),
  };
}
