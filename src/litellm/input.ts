/**
 * What the client checks before any call, and how each endpoint spells a budget on the wire.
 *
 * `null` means unlimited everywhere in this project; on the wire (reference §5, and both real versions,
 * test/contract):
 *
 * | endpoint                                   | unlimited is sent as                                         |
 * |--------------------------------------------|--------------------------------------------------------------|
 * | `/team/new`, `/team/member_add`            | field OMITTED (fix of F10: OpenHands saw an explicit null stored as 0) |
 * | `/team/update`, `/key/update`, `/team/member_update` | explicit `null` clears; field omitted = unchanged (1.108.5 no longer clears a member budget on omission) |
 * | `/user/update`                             | explicit `null` (1.108.5 clears); 1.80.9 ignores it, so the client writes the sentinel `UNLIMITED_USER_BUDGET` there (see `userUpdate`) |
 */
import { LiteLLMInputError } from './errors';
import { isKeyHash, isPlaintextKey, toKeyHash } from './keys';

// eslint-disable-next-line no-control-regex
export const CONTROL_CHARS = /[\u0000-\u001f\u007f]/;
const MAX_ID_LENGTH = 256;
/** LiteLLM's `/key/list` page size ceiling. */
export const KEY_LIST_MAX_PAGE_SIZE = 100;

/** Check an id (team, user, alias, …) before it goes anywhere: non-empty, ≤ 256 chars, no control characters. */
export function validateId(field: string, value: unknown, maxLength = MAX_ID_LENGTH): string {
  if (typeof value !== 'string') throw new LiteLLMInputError(field, 'must be a string');
  if (value.length === 0) throw new LiteLLMInputError(field, 'must not be empty');
  if (value.length > maxLength) throw new LiteLLMInputError(field, `must be at most ${maxLength} characters`);
  if (CONTROL_CHARS.test(value)) throw new LiteLLMInputError(field, 'must not contain control characters');
  return value;
}

/** A budget value as we accept it: null, or a finite non-negative number. */
export function isValidBudget(budget: unknown): budget is number | null {
  return budget === null || (typeof budget === 'number' && Number.isFinite(budget) && budget >= 0);
}

export function validateBudget(field: string, value: unknown): number | null | undefined {
  if (value === undefined) return undefined;
  if (!isValidBudget(value)) throw new LiteLLMInputError(field, 'must be null or a finite number ≥ 0');
  return value;
}

/** A key or its hash as an input: plaintext `sk-…` or a 64-hex token. Returns the hash. */
export function validateKeyOrHash(field: string, value: unknown): string {
  const v = validateId(field, value, 512);
  if (!isPlaintextKey(v) && !isKeyHash(v)) {
    throw new LiteLLMInputError(field, 'must be a virtual key (sk-…) or its sha256 hash');
  }
  return toKeyHash(v);
}

/** `/team/new`, `/team/member_add`: the field only when a limit is set. */
export function omitWhenUnlimited<K extends string>(
  field: K,
  budget: number | null | undefined
): Partial<Record<K, number>> {
  return budget == null ? {} : ({ [field]: budget } as Partial<Record<K, number>>);
}

/** `/team/update`, `/key/update`, `/team/member_update`, `/user/update`: `undefined` → not sent; `null` → explicit null. */
export function clearWithNull<K extends string>(
  field: K,
  budget: number | null | undefined
): Partial<Record<K, number | null>> {
  return budget === undefined ? {} : ({ [field]: budget } as Partial<Record<K, number | null>>);
}
