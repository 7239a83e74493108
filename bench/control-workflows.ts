/**
 * The benchmark's control: the same fan-out shape as `setTeamBudget` (member budgets with bounded
 * concurrency) written as bare Temporal — no saga, no heartbeats, no response validation, no page reads, the
 * member list in the input. Run on the same worker, server and emulator, it shows the floor the platform
 * sets: what is left of the gap between the seed loop and the workflow once the project's own code is gone.
 */
import { proxyActivities } from '@temporalio/workflow';
import type { ControlActivities } from './control-activities';

const { controlMemberUpdate } = proxyActivities<ControlActivities>({ startToCloseTimeout: '45s' });

export interface ControlFanOutInput {
  teamId: string;
  userIds: string[];
  maxBudget: number;
  concurrency: number;
}

export async function benchControlFanOut(input: ControlFanOutInput): Promise<number> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(input.concurrency, input.userIds.length) }, async () => {
    while (next < input.userIds.length) {
      const userId = input.userIds[next++]!;
      await controlMemberUpdate({ teamId: input.teamId, userId, maxBudget: input.maxBudget });
    }
  });
  await Promise.all(lanes);
  return input.userIds.length;
}
