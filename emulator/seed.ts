// Direct state set-up for tests: writes rows the way the API would (same defaults, same member
// side effects) without HTTP or journal entries.
import { addMembersToTeam } from './members';
import { generateKey, hashIfNeeded, PROXY_ADMIN_ID, sha256, type Store } from './state';
import type { Seeder } from './types';

export function createSeeder(store: Store): Seeder {
  return {
    user(input) {
      const user = store.users.get(input.user_id) ?? store.newUser(input.user_id);
      if (input.user_email !== undefined) user.user_email = input.user_email;
      if (input.max_budget !== undefined) user.max_budget = input.max_budget;
      if (input.spend !== undefined) user.spend = input.spend;
      if (input.teams !== undefined) user.teams = [...input.teams];
      if (input.metadata !== undefined) user.metadata = structuredClone(input.metadata);
      if (input.models !== undefined) user.models = [...input.models];
      if (input.user_role !== undefined) user.user_role = input.user_role;
      store.users.set(user.user_id, user);
    },

    team(input) {
      if (store.teams.has(input.team_id)) throw new Error(`seed.team: team ${input.team_id} already exists`);
      const team = store.newTeam(input.team_id);
      team.team_alias = input.team_alias ?? null;
      team.max_budget = input.max_budget ?? null;
      team.spend = input.spend ?? 0;
      team.metadata = structuredClone(input.metadata ?? {});
      team.models = [...(input.models ?? [])];
      team.blocked = input.blocked ?? false;
      store.teams.set(team.team_id, team);
      const members = (input.members ?? []).map((m) => ({ user_id: m.user_id, user_email: null, role: m.role }));
      addMembersToTeam(store, team, members, null, PROXY_ADMIN_ID);
    },

    membership(input) {
      const team = store.teams.get(input.team_id);
      if (!team) throw new Error(`seed.membership: team ${input.team_id} does not exist`);
      if (!team.members_with_roles.some((m) => m.user_id === input.user_id)) {
        addMembersToTeam(
          store,
          team,
          [{ user_id: input.user_id, user_email: null, role: 'user' }],
          null,
          PROXY_ADMIN_ID
        );
      }
      const existing = store.membership(input.user_id, input.team_id);
      let budgetId = existing?.budget_id ?? null;
      if (input.max_budget_in_team !== undefined) {
        budgetId =
          input.max_budget_in_team === null
            ? null
            : store.createBudget({ max_budget: input.max_budget_in_team }, PROXY_ADMIN_ID).budget_id;
      }
      store.putMembership({
        user_id: input.user_id,
        team_id: input.team_id,
        spend: input.spend ?? existing?.spend ?? 0,
        budget_id: budgetId,
      });
    },

    key(input) {
      const plaintext = input.key ?? generateKey();
      if (!plaintext.startsWith('sk-')) throw new Error("seed.key: a virtual key must start with 'sk-'");
      if (store.keys.has(sha256(plaintext))) throw new Error('seed.key: key already exists');
      const row = store.newKey(plaintext);
      row.user_id = input.user_id ?? null;
      row.team_id = input.team_id ?? null;
      row.key_alias = input.key_alias ?? null;
      row.spend = input.spend ?? 0;
      row.max_budget = input.max_budget ?? null;
      row.metadata = structuredClone(input.metadata ?? {});
      row.models = [...(input.models ?? [])];
      row.blocked = input.blocked ?? null;
      row.created_by = PROXY_ADMIN_ID;
      row.updated_by = PROXY_ADMIN_ID;
      store.insertKey(row);
      return { key: plaintext, token: row.token };
    },

    spend({ team_id, user_id, token, amount }) {
      if (team_id === undefined && user_id === undefined && token === undefined) {
        throw new Error('seed.spend: give team_id, user_id and/or token');
      }
      const missing = (what: string): Error => new Error(`seed.spend: ${what} does not exist`);
      if (token !== undefined) {
        const key = store.keys.get(hashIfNeeded(token));
        if (!key) throw missing('key');
        key.spend = amount;
      }
      if (user_id !== undefined) {
        const user = store.users.get(user_id);
        if (!user) throw missing(`user ${user_id}`);
        user.spend = amount;
      }
      if (team_id !== undefined) {
        const team = store.teams.get(team_id);
        if (!team) throw missing(`team ${team_id}`);
        team.spend = amount;
      }
      if (user_id !== undefined && team_id !== undefined) {
        const membership = store.membership(user_id, team_id);
        if (membership) membership.spend = amount;
      }
    },
  };
}
