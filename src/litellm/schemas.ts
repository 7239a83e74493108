/**
 * zod schemas of the LiteLLM answers we read. Only the fields we use are checked; every object is loose
 * (unknown fields pass through), and optional fields accept both `null` and absence, because LiteLLM's
 * serialisation of empty values varies by version.
 */
import { z } from 'zod';

const nullableNumber = z.number().nullish();
const nullableString = z.string().nullish();
const metadata = z.record(z.string(), z.unknown()).nullish();

// ---- teams ----------------------------------------------------------------------------------------------

export const MemberWithRole = z.looseObject({
  user_id: nullableString,
  user_email: nullableString,
  role: nullableString,
});

export const TeamTable = z.looseObject({
  team_id: z.string(),
  team_alias: nullableString,
  max_budget: nullableNumber,
  spend: nullableNumber,
  metadata,
  members_with_roles: z.array(MemberWithRole).nullish(),
});
export type TeamTable = z.infer<typeof TeamTable>;

export const BudgetTable = z.looseObject({
  max_budget: nullableNumber,
});

export const TeamMembershipRow = z.looseObject({
  user_id: z.string(),
  team_id: z.string(),
  spend: nullableNumber,
  budget_id: nullableString,
  litellm_budget_table: BudgetTable.nullish(),
});
export type TeamMembershipRow = z.infer<typeof TeamMembershipRow>;

export const TeamInfoResponse = z.looseObject({
  team_id: z.string(),
  team_info: TeamTable,
  team_memberships: z.array(TeamMembershipRow).nullish(),
});
export type TeamInfoResponse = z.infer<typeof TeamInfoResponse>;

export const TeamNewResponse = z.looseObject({ team_id: z.string() });
export const TeamUpdateResponse = z.looseObject({ team_id: z.string() });
export const TeamDeleteResponse = z.looseObject({ deleted_teams: z.array(z.unknown()).nullish() });
export const TeamMemberAddResponse = z.looseObject({ team_id: z.string() });
export const TeamMemberUpdateResponse = z.looseObject({ team_id: z.string() });
export const TeamMemberDeleteResponse = z.looseObject({ team_id: z.string() });

// ---- users ----------------------------------------------------------------------------------------------

export const UserNewResponse = z.looseObject({ user_id: z.string() });

export const UserRow = z.looseObject({
  user_id: z.string(),
  user_email: nullableString,
  max_budget: nullableNumber,
  spend: nullableNumber,
  teams: z.array(z.string()).nullish(),
  metadata,
});
export type UserRow = z.infer<typeof UserRow>;

export const UserInfoResponse = z.looseObject({
  user_id: nullableString,
  user_info: UserRow.nullish(),
});
export type UserInfoResponse = z.infer<typeof UserInfoResponse>;

/** `/user/list`: one page of user rows. */
export const UserListResponse = z.looseObject({
  users: z.array(UserRow),
  total: z.number().int().nonnegative().nullish(),
  page: z.number().int().nullish(),
  total_pages: z.number().int().nonnegative().nullish(),
});
export type UserListResponse = z.infer<typeof UserListResponse>;

export const UserUpdateResponse = z.looseObject({});
/** `/user/delete` answers a bare integer (the number deleted); newer versions may answer an object. */
export const UserDeleteResponse = z.union([z.number(), z.looseObject({})]);

// ---- keys -----------------------------------------------------------------------------------------------

export const KeyGenerateResponse = z.looseObject({
  key: z.string().startsWith('sk-'),
  token: nullableString,
  key_alias: nullableString,
  key_name: nullableString,
});
export type KeyGenerateResponse = z.infer<typeof KeyGenerateResponse>;

export const KeyUpdateResponse = z.looseObject({});
export const KeyDeleteResponse = z.looseObject({ deleted_keys: z.array(z.unknown()).nullish() });

/** A key row as `/key/list?return_full_object=true` gives it: `token` is the sha256 hash. */
export const KeyObject = z.looseObject({
  token: z.string(),
  key_alias: nullableString,
  key_name: nullableString,
  user_id: nullableString,
  team_id: nullableString,
  metadata,
  spend: nullableNumber,
  max_budget: nullableNumber,
  created_at: nullableString,
});
export type KeyObject = z.infer<typeof KeyObject>;

export const KeyListResponse = z.looseObject({
  keys: z.array(KeyObject),
  total_count: z.number().int().nonnegative().nullish(),
  current_page: z.number().int().nullish(),
  total_pages: z.number().int().nonnegative().nullish(),
});
export type KeyListResponse = z.infer<typeof KeyListResponse>;

/** `/key/list` without `return_full_object`: the keys as hashes. */
export const KeyHashListResponse = z.looseObject({ keys: z.array(z.unknown()) });

export const KeyInfoResponse = z.looseObject({
  info: z.looseObject({
    key_alias: nullableString,
    key_name: nullableString,
    user_id: nullableString,
    team_id: nullableString,
    metadata,
    spend: nullableNumber,
    max_budget: nullableNumber,
    /** 1.108.5: `"deleted"` for a key deleted directly or with its team or user (still readable by hash). */
    status: nullableString,
  }),
});
export type KeyInfoResponse = z.infer<typeof KeyInfoResponse>;

export const ModelsResponse = z.looseObject({ data: z.array(z.unknown()) });

// ---- error bodies (parsed leniently, never rejected) ------------------------------------------------------

/** ProxyException envelope: `{"error":{"message","type","param","code"}}`. */
export const ProxyErrorBody = z.looseObject({
  error: z.looseObject({
    message: z.unknown().optional(),
    type: z.unknown().optional(),
    param: z.unknown().optional(),
    code: z.unknown().optional(),
  }),
});

/** FastAPI: `{"detail": <string | {"error": …} | [{loc, msg, type}]>}`. */
export const FastApiErrorBody = z.looseObject({ detail: z.unknown() });

// ---- budget rows and the proxy itself ---------------------------------------------------------------------

export const BudgetRow = z.looseObject({ budget_id: z.string(), max_budget: nullableNumber });
export type BudgetRow = z.infer<typeof BudgetRow>;
export const BudgetListResponse = z.array(BudgetRow);
/** `/budget/delete` answers the deleted row, or `null` when there was none. */
export const BudgetDeleteResponse = z.unknown();

export const ReadinessResponse = z.looseObject({ litellm_version: nullableString });
