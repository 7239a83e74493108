/**
 * The control's one activity: `POST /team/member_update`, the same call as the project's `updateUserInTeam`,
 * with a plain undici pool and nothing else (no heartbeat, no validation, no logging).
 */
import { Pool } from 'undici';

export function createControlActivities(baseUrl: string, masterKey: string, connections: number) {
  const pool = new Pool(new URL(baseUrl).origin, { connections });
  const activities = {
    async controlMemberUpdate(input: { teamId: string; userId: string; maxBudget: number }): Promise<void> {
      const res = await pool.request({
        method: 'POST',
        path: '/team/member_update',
        headers: { authorization: `Bearer ${masterKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ team_id: input.teamId, user_id: input.userId, max_budget_in_team: input.maxBudget }),
      });
      const text = await res.body.text();
      if (res.statusCode !== 200) throw new Error(`member_update: HTTP ${res.statusCode}: ${text.slice(0, 200)}`);
    },
  };
  return { activities, close: () => pool.close() };
}

export type ControlActivities = ReturnType<typeof createControlActivities>['activities'];
