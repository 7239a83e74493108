// GET /user/list (internal_user_endpoints.py::get_users), as the real 1.80.9 and 1.108.5 proxies answer it:
// pages of full user rows with `key_count`, `page_size` 1–100 (default 25), newest first unless `sort_by` says
// otherwise. `user_ids` is split on commas and each part is an ILIKE substring pattern, unescaped, as both
// proxies treat it: case-insensitive, `%` and `_` wildcards, a backslash escaping the next character
// (`?user_ids=probe-u` lists probe-u1 and probe-u2; `a\b` lists `ab`, not `a\b`).
import { HttpException, type PydanticError, ValidationFailure } from '../errors';
import type { Json, UserRow } from '../state';
import { int, queryParam } from '../validate';
import { userJson, type RouteContext, type RouteDef } from './shared';

const SORT_COLUMNS = ['user_id', 'user_email', 'created_at', 'spend', 'user_alias', 'user_role'] as const;
type SortColumn = (typeof SORT_COLUMNS)[number];

function bound(query: URLSearchParams, name: string, value: number, limits: { ge: number; le?: number }) {
  const errors: PydanticError[] = [];
  const input = query.getAll(name).pop();
  if (query.has(name) && value < limits.ge) {
    errors.push({
      type: 'greater_than_equal',
      loc: ['query', name],
      msg: `Input should be greater than or equal to ${limits.ge}`,
      input,
      ctx: { ge: limits.ge },
    });
  }
  if (limits.le !== undefined && value > limits.le) {
    errors.push({
      type: 'less_than_equal',
      loc: ['query', name],
      msg: `Input should be less than or equal to ${limits.le}`,
      input,
      ctx: { le: limits.le },
    });
  }
  return errors;
}

/** Postgres ordering: ASC puts NULLs last, DESC first; ties keep creation order. */
function compareUsers(column: SortColumn, order: 'asc' | 'desc', rank: Map<string, number>) {
  return (a: UserRow, b: UserRow): number => {
    const x = column === 'created_at' ? (rank.get(a.user_id) ?? 0) : a[column];
    const y = column === 'created_at' ? (rank.get(b.user_id) ?? 0) : b[column];
    let result = 0;
    if (x === null || y === null) result = x === y ? 0 : x === null ? 1 : -1;
    else result = x < y ? -1 : x > y ? 1 : 0;
    return order === 'desc' ? -result : result;
  };
}

const literal = (c: string): string => c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** One `user_ids` part as PostgreSQL's `ILIKE '%part%'` reads it; null for a trailing lone backslash (no match). */
function likeContains(part: string): RegExp | null {
  let source = '';
  for (let i = 0; i < part.length; i++) {
    const c = part[i] as string;
    if (c === '\\') {
      const next = part[++i];
      if (next === undefined) return null;
      source += literal(next);
    } else source += c === '%' ? '.*' : c === '_' ? '.' : literal(c);
  }
  return new RegExp(source, 'is');
}

/** `user_ids`: null when absent or empty; else one pattern per comma-separated, trimmed part. */
function idFilter(query: URLSearchParams): Array<RegExp | null> | null {
  const raw = query.getAll('user_ids').pop();
  const parts = (raw ?? '')
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);
  return parts.length > 0 ? parts.map(likeContains) : null;
}

function list({ store, query }: RouteContext): Json {
  const errors: PydanticError[] = [];
  const page = queryParam(query, 'page', int, 1, errors);
  const pageSize = queryParam(query, 'page_size', int, 25, errors);
  errors.push(...bound(query, 'page', page, { ge: 1 }), ...bound(query, 'page_size', pageSize, { ge: 1, le: 100 }));
  if (errors.length > 0) throw new ValidationFailure(errors);
  const sortBy = query.getAll('sort_by').pop() ?? 'created_at';
  const sortOrder = (query.getAll('sort_order').pop() ?? 'desc').toLowerCase();
  if (!(SORT_COLUMNS as readonly string[]).includes(sortBy)) {
    throw new HttpException(400, { error: `Invalid sort column. Must be one of: ${SORT_COLUMNS.join(', ')}` });
  }
  if (sortOrder !== 'asc' && sortOrder !== 'desc') {
    throw new HttpException(400, { error: "Invalid sort order. Must be 'asc' or 'desc'" });
  }
  const rank = new Map([...store.users.keys()].map((id, i) => [id, i]));
  const wanted = idFilter(query);
  const users = [...store.users.values()]
    .filter((u) => wanted === null || wanted.some((pattern) => pattern?.test(u.user_id)))
    .sort(compareUsers(sortBy as SortColumn, sortOrder, rank));
  const pageUsers = users.slice((page - 1) * pageSize, page * pageSize);
  const keyCount = new Map<string, number>(pageUsers.map((u) => [u.user_id, 0]));
  for (const k of store.keys.values()) {
    const count = k.user_id === null ? undefined : keyCount.get(k.user_id);
    if (count !== undefined) keyCount.set(k.user_id as string, count + 1);
  }
  const rows = pageUsers.map((u) => ({ ...userJson(u), key_count: keyCount.get(u.user_id) ?? 0 }));
  return {
    users: rows,
    total: users.length,
    page,
    page_size: pageSize,
    total_pages: Math.ceil(users.length / pageSize),
  };
}

export const userListRoutes: RouteDef[] = [
  { method: 'GET', path: '/user/list', access: 'admin', errors: 'raw', handle: list },
];
