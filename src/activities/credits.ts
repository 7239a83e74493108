/**
 * Purchased credits, exactly once whoever starts the run: the purchase id is recorded in the team's metadata
 * in the SAME `/team/update` that raises the budget, so LiteLLM itself knows which purchases it holds. A run
 * (a duplicate callback under any id reuse policy, a restart after a terminated run, a retry after a lost
 * answer) that finds its purchase recorded writes nothing.
 */
import { z } from 'zod';
import { runActivity } from './failures';
import type { ActivityDeps } from './types';

/** The team metadata key holding the recent purchases (other keys of the metadata are kept as they are). */
export const PURCHASES_METADATA_KEY = 'litellm_workflows_purchases';
/** Purchases kept per team: callbacks are retried within hours, far fewer purchases than this per team. */
export const MAX_RECORDED_PURCHASES = 100;

const purchaseRecord = z.object({
  purchaseId: z.string(),
  /** The run that applied it: a retry of that run after a lost answer knows the write was its own. */
  runId: z.string(),
  previousMaxBudget: z.number(),
  newMaxBudget: z.number(),
});
export type PurchaseRecord = z.infer<typeof purchaseRecord>;

/** Records we can read; anything else under the key (edited by hand) is dropped on the next write. */
function recordedPurchases(metadata: Record<string, unknown>): PurchaseRecord[] {
  const raw = metadata[PURCHASES_METADATA_KEY];
  if (!Array.isArray(raw)) return [];
  return raw.flatMap((entry) => {
    const parsed = purchaseRecord.safeParse(entry);
    return parsed.success ? [parsed.data] : [];
  });
}

export function creditActivities(deps: ActivityDeps) {
  const { client } = deps;

  return {
    /**
     * Raises the team's budget to `newMaxBudget` and records the purchase, in one write. Already recorded →
     * nothing written; `appliedByThisRun` tells a retry of the applying run (lost answer) from another run.
     */
    async creditTeamOnce(input: {
      teamId: string;
      purchaseId: string;
      runId: string;
      previousMaxBudget: number;
      newMaxBudget: number;
    }): Promise<{ record: PurchaseRecord; appliedByThisRun: boolean; teamMaxBudget: number | null }> {
      return runActivity('creditTeamOnce', { teamId: input.teamId }, async (signal) => {
        const info = await client.teamInfo(input.teamId, { signal });
        const metadata = info.team_info.metadata ?? {};
        const purchases = recordedPurchases(metadata);
        const existing = purchases.find((p) => p.purchaseId === input.purchaseId);
        if (existing) {
          return {
            record: existing,
            appliedByThisRun: existing.runId === input.runId,
            teamMaxBudget: info.team_info.max_budget ?? null,
          };
        }
        const record: PurchaseRecord = {
          purchaseId: input.purchaseId,
          runId: input.runId,
          previousMaxBudget: input.previousMaxBudget,
          newMaxBudget: input.newMaxBudget,
        };
        await client.teamUpdate(
          {
            teamId: input.teamId,
            maxBudget: input.newMaxBudget,
            metadata: { ...metadata, [PURCHASES_METADATA_KEY]: [...purchases, record].slice(-MAX_RECORDED_PURCHASES) },
          },
          { signal }
        );
        return { record, appliedByThisRun: true, teamMaxBudget: input.newMaxBudget };
      });
    },

    /**
     * Undo of {@link creditTeamOnce}: when this run's record is there, the budget goes back and the record
     * goes, in one write. Not recorded (never applied, or undone already) → nothing written.
     */
    async uncreditTeam(input: { teamId: string; purchaseId: string; runId: string }): Promise<{ undone: boolean }> {
      return runActivity('uncreditTeam', { teamId: input.teamId }, async (signal) => {
        const info = await client.teamInfo(input.teamId, { signal });
        const metadata = info.team_info.metadata ?? {};
        const purchases = recordedPurchases(metadata);
        const ours = purchases.find((p) => p.purchaseId === input.purchaseId && p.runId === input.runId);
        if (!ours) return { undone: false };
        const { [PURCHASES_METADATA_KEY]: _dropped, ...others } = metadata;
        const remaining = purchases.filter((p) => p !== ours);
        // The last record gone, the key goes too: the metadata is exactly what it was before the purchase.
        const restored = remaining.length > 0 ? { ...others, [PURCHASES_METADATA_KEY]: remaining } : others;
        await client.teamUpdate(
          { teamId: input.teamId, maxBudget: ours.previousMaxBudget, metadata: restored },
          { signal }
        );
        return { undone: true };
      });
    },
  };
}
