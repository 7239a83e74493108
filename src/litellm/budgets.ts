/**
 * How each LiteLLM endpoint expresses "unlimited" (reference §5). `null` means unlimited everywhere in this
 * project; what goes on the wire depends on the endpoint:
 *
 * | endpoint                                          | unlimited is sent as                          |
 * |---------------------------------------------------|-----------------------------------------------|
 * | `/team/new`, `/team/member_add`, `/team/member_update` | field OMITTED (fix of F10: OpenHands saw an explicit null stored as 0) |
 * | `/team/update`, `/key/update`                     | explicit `null` clears; field omitted = unchanged |
 * | `/user/update`                                    | cannot clear (null is dropped): the sentinel `UNLIMITED_USER_BUDGET` |
 */
import { UNLIMITED_USER_BUDGET } from '../domain/budgets';

export { UNLIMITED_USER_BUDGET } from '../domain/budgets';

/** `/team/new`, `/team/member_add`, `/team/member_update`: the field only when a limit is set. */
export function omitWhenUnlimited<K extends string>(
  field: K,
  budget: number | null | undefined
): Partial<Record<K, number>> {
  return budget == null ? {} : ({ [field]: budget } as Partial<Record<K, number>>);
}

/** `/team/update`, `/key/update`: `undefined` → not sent (unchanged); `null` → explicit null (clear = unlimited). */
export function clearWithNull<K extends string>(
  field: K,
  budget: number | null | undefined
): Partial<Record<K, number | null>> {
  return budget === undefined ? {} : ({ [field]: budget } as Partial<Record<K, number | null>>);
}

/** `/user/update`: a user budget can't be cleared, so "unlimited" is the sentinel. `undefined` → not sent. */
export function userBudgetForUpdate(budget: number | null | undefined): Partial<Record<'max_budget', number>> {
  if (budget === undefined) return {};
  return { max_budget: budget === null ? UNLIMITED_USER_BUDGET : budget };
}

/** A budget value as we accept it: null, or a finite non-negative number. */
export function isValidBudget(budget: unknown): budget is number | null {
  return budget === null || (typeof budget === 'number' && Number.isFinite(budget) && budget >= 0);
}
