// /budget/list and /budget/delete (management_endpoints/budget_management_endpoints.py): the budget rows
// member budgets leave behind, which exact rollbacks must find and delete.
import { HttpException } from '../errors';
import type { BudgetRow, Json } from '../state';
import { model, required, str } from '../validate';
import type { RouteContext, RouteDef } from './shared';

const BudgetDeleteRequest = model('BudgetDeleteRequest', { id: required(str) });

function rowJson(row: BudgetRow): Json {
  return structuredClone(row) as unknown as Json;
}

function list({ store }: RouteContext): Json[] {
  return [...store.budgets.values()].map(rowJson);
}

/** Deletes the row and answers it; a missing id answers `null` (Prisma `delete` on a missing row is not reached). */
function remove({ store, body }: RouteContext): Json | null {
  const { value: d } = BudgetDeleteRequest.parseBody(body);
  const row = store.budgets.get(d.id);
  if (!row) return null;
  const referenced =
    store.memberships().some((m) => m.budget_id === d.id) || [...store.keys.values()].some((k) => k.budget_id === d.id);
  if (referenced) throw new HttpException(500, { error: 'Foreign key constraint failed on the field: `budget_id`' });
  store.budgets.delete(d.id);
  return rowJson(row);
}

export const budgetRoutes: RouteDef[] = [
  { method: 'GET', path: '/budget/list', access: 'admin', errors: 'proxy', handle: list },
  { method: 'POST', path: '/budget/delete', access: 'admin', errors: 'proxy', handle: remove },
];
