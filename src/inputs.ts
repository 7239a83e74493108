/**
 * The one definition of every workflow's input: these zod schemas are checked by the client before anything
 * starts AND by each workflow as its first step (so a run started from Python or the CLI is checked too), the
 * TypeScript input types derive from them (src/workflows/definitions.ts), and `npm run schemas` exports them,
 * with their field descriptions, as the JSON Schemas in schemas/ that other languages read.
 *
 * Imported by workflow code: pure zod, no Node built-ins.
 */
import { z } from 'zod';

// eslint-disable-next-line no-control-regex
const CONTROL_CHARS = /[\u0000-\u001f\u007f]/;

export const entityId = z
  .string()
  .min(1, 'must not be empty')
  .max(256, 'must be at most 256 characters')
  .refine((v) => !CONTROL_CHARS.test(v), 'must not contain control characters')
  .refine((v) => v.trim() === v, 'must not start or end with white space');

/**
 * Upper bound of every budget and amount, in USD: far below the 1e9 user budget that means "unlimited" (so
 * no written budget can be mistaken for it), far above any real budget. Unlimited is `null`, not a big number.
 */
export const MAX_BUDGET_USD = 100_000_000;

const budget = z
  .number({ error: 'must be a finite number' })
  .nonnegative('must not be negative')
  .max(MAX_BUDGET_USD, `must be at most ${MAX_BUDGET_USD} (USD; null means unlimited)`);
const duration = z.union([
  z.number().int().positive(),
  z.string().regex(/^\d+(\.\d+)?\s*(ms|s|m|h|d|days?|hours?|minutes?)$/),
]);

export const failurePolicySchema = z
  .strictObject({
    onFailure: z
      .enum(['rollback', 'pause'])
      .optional()
      .describe(
        '`rollback` (default): compensate at once and fail (for callers such as sign-in that need an answer now). ' +
          "`pause`: wait for an operator's `retry` or `rollback` decision."
      ),
    operatorTimeout: duration
      .optional()
      .describe(
        'How long a paused operation waits for a decision, as milliseconds or a string such as "7 days" (default).'
      ),
    defaultDecision: z
      .enum(['retry', 'rollback'])
      .optional()
      .describe('What a paused operation does when nobody decided in time (default `rollback`).'),
  })
  .describe('What happens when a step fails for good (non-retryable, or its retry budget spent)');

const orgId = entityId.describe('The org: its LiteLLM team has this id.');
const userId = entityId.describe('The LiteLLM user id.');

export const createEntriesInputSchema = z.strictObject({
  orgId,
  userId,
  email: z
    .email('must be an e-mail address')
    .nullable()
    .optional()
    .describe('Used on user/new; dropped and retried without when LiteLLM already has it on another user.'),
  createUser: z.boolean().describe('Create the LiteLLM user (first sign-in) or not (new org, accepted invitation).'),
  failurePolicy: failurePolicySchema.optional(),
});

export const legacyUserSettingsSchema = z
  .strictObject({
    userVersion: z.number().int().nonnegative().describe('`user_version`; the billing-margin upgrade applies below 4.'),
    billingMargin: z
      .number()
      .nonnegative('must not be negative')
      .max(1000, 'must be at most 1000')
      .nullable()
      .optional()
      .describe('`billing_margin`; null, 0 or 1 means none (the seed ignores a falsy margin).'),
    llmApiKey: z
      .string()
      .min(1)
      .nullable()
      .optional()
      .describe("The user's stored LiteLLM key (decrypted by the caller). A secret: encrypted in history."),
    llmBaseUrl: z
      .url()
      .nullable()
      .optional()
      .describe('The base URL the stored key is for; only keys of this LiteLLM are verified.'),
  })
  .describe('Settings the OpenHands app keeps per user (legacy `user_settings`), as migration needs them.');

export const migrateEntriesInputSchema = z.strictObject({
  orgId,
  userId,
  userSettings: legacyUserSettingsSchema,
  failurePolicy: failurePolicySchema.optional(),
});

export const downgradeEntriesInputSchema = z.strictObject({
  orgId,
  userId,
  failurePolicy: failurePolicySchema.optional(),
});

export const setTeamBudgetInputSchema = z.strictObject({
  teamId: entityId.describe('The LiteLLM team.'),
  maxBudget: budget
    .nullable()
    .describe('New budget for the team and each member with a membership row, in USD; null = unlimited.'),
  concurrency: z.number().int().min(1).max(64).optional().describe('Members updated at once (default 8).'),
  pageSize: z.number().int().min(1).max(1000).optional().describe('Members read per page (default 200).'),
  pagesPerRun: z
    .number()
    .int()
    .min(1)
    .max(500)
    .optional()
    .describe('Pages per run before continuing as new, which keeps history bounded (default 25).'),
  failurePolicy: failurePolicySchema.optional(),
  progress: z
    .strictObject({
      offset: z.number().int().nonnegative(),
      membersUpdated: z.number().int().nonnegative(),
      teamUpdated: z.boolean(),
    })
    .optional()
    .describe('Carried across continue-as-new; callers leave it out.'),
});

export const addTeamCreditsInputSchema = z.strictObject({
  purchaseId: entityId.describe(
    'Idempotency key, e.g. the Stripe checkout session id: one purchase adds its credits once.'
  ),
  orgId,
  userId: entityId.describe('The buyer: the budget that counts for this user in the org is raised.'),
  amount: budget.refine((v) => v > 0, 'must be greater than 0').describe('Credits to add, in USD.'),
  failurePolicy: failurePolicySchema.optional(),
});

export const migrateFleetInputSchema = z.strictObject({
  users: z
    .array(migrateEntriesInputSchema.omit({ failurePolicy: true }))
    .min(1, 'must name at least one user')
    .max(100_000, 'must be at most 100000 users (split the fleet)'),
  liteLLMConcurrency: z.number().int().min(1).max(1024).optional(),
  failurePolicy: failurePolicySchema.optional(),
  childrenPerRun: z.number().int().min(1).max(1000).optional(),
});

/** `doctor`: read-only, so only its paging knobs. */
export const doctorInputSchema = z.strictObject({
  pageSize: z.number().int().min(1).max(100).optional(),
  maxFindings: z.number().int().min(0).max(10_000).optional(),
  pagesPerRun: z.number().int().min(1).max(500).optional(),
  progress: z.unknown().optional().describe('Carried across continue-as-new; callers leave it out.'),
});

const keyHash = z.string().regex(/^[0-9a-f]{64}$/, 'must be a key hash (64 hex characters)');

/** One repair the doctor planned (src/domain/doctor-findings.ts `RepairPlan`, the downgrade excepted). */
export const findingRepairSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('finishPersonalMigration'),
    userId: entityId,
    teamId: entityId,
    createTeam: z.boolean(),
    addMember: z.boolean(),
    moveKeys: z.array(z.strictObject({ tokenHash: keyHash, fromTeamId: entityId.nullable() })),
  }),
  z.strictObject({
    kind: z.literal('deleteOrphanKey'),
    tokenHash: keyHash,
    keyAlias: z.string().nullable(),
    userId: entityId.nullable(),
    reason: z.enum(['team_gone', 'user_gone']),
  }),
  z.strictObject({
    kind: z.literal('dedupeAliasKeys'),
    userId: entityId,
    keyAlias: z.string().min(1),
    keepTokenHash: keyHash,
    deleteTokenHashes: z.array(keyHash).min(1),
  }),
]);

export const repairFindingsInputSchema = z.strictObject({
  subject: z.string().min(1).max(300),
  repairs: z.array(findingRepairSchema).min(1, 'must hold at least one repair').max(100),
  failurePolicy: failurePolicySchema.optional(),
});

/** `repairFleet`: the repairs of a doctor report, through the fleet window. */
export const repairFleetInputSchema = z.strictObject({
  repairs: z
    .array(
      z.union([
        findingRepairSchema,
        z.strictObject({ kind: z.literal('finishDowngrade'), orgId: entityId, userId: entityId }),
      ])
    )
    .max(100_000, 'must be at most 100000 repairs (split them)'),
  liteLLMConcurrency: z.number().int().min(1).max(1024).optional(),
  failurePolicy: failurePolicySchema.optional(),
  childrenPerRun: z.number().int().min(1).max(1000).optional(),
  carry: z.unknown().optional(),
  pending: z.unknown().optional(),
  deferred: z.unknown().optional(),
});

export const inputSchemas = {
  createEntries: createEntriesInputSchema,
  migrateEntries: migrateEntriesInputSchema,
  downgradeEntries: downgradeEntriesInputSchema,
  setTeamBudget: setTeamBudgetInputSchema,
  addTeamCredits: addTeamCreditsInputSchema,
  repairFindings: repairFindingsInputSchema,
};

export type InputIssue = { field: string; message: string };

/**
 * The checked input, or the issues of a refused one: the field (a dotted path) and why; never the value,
 * which may be a secret.
 */
export function checkInput<S extends z.ZodType>(
  schema: S,
  input: unknown
): { ok: true; value: z.output<S> } | { ok: false; issues: InputIssue[] } {
  const result = schema.safeParse(input);
  if (result.success) return { ok: true, value: result.data };
  const issues = result.error.issues.map((issue) => {
    const path = issue.path.map(String).join('.');
    if (issue.code === 'unrecognized_keys') {
      return {
        field: issue.keys.map((k) => (path ? `${path}.${k}` : k)).join(', '),
        message: 'is not a known field',
      };
    }
    return { field: path || '(input)', message: issue.message };
  });
  return { ok: false, issues };
}

export function describeInputIssues(operation: string, issues: readonly InputIssue[]): string {
  return `Invalid input for ${operation}: ${issues.map((i) => `${i.field} ${i.message}`).join('; ')}`;
}

/** Bad input: names the field (a dotted path) and why; never echoes the value, which may be a secret. */
export class InvalidInputError extends Error {
  constructor(
    readonly operation: string,
    readonly issues: InputIssue[]
  ) {
    super(describeInputIssues(operation, issues));
    this.name = 'InvalidInputError';
  }
}

export function parseInput<S extends z.ZodType>(operation: string, schema: S, input: unknown): z.output<S> {
  const checked = checkInput(schema, input);
  if (!checked.ok) throw new InvalidInputError(operation, checked.issues);
  return checked.value;
}

// Results, for JSON Schema export; src/contract-check.ts keeps them in step with the workflow result types.
const keySecret = z.string().describe('A virtual key (secret): encrypted in workflow history');

export const resultSchemas = {
  createEntries: z.object({
    status: z.literal('created'),
    teamId: z.string(),
    key: keySecret,
    keyAlias: z.string(),
    agent: z.literal('CodeActAgent'),
    llmModel: z.string(),
    llmBaseUrl: z.string(),
    teamBudget: z.number().nullable(),
  }),
  migrateEntries: z.object({
    status: z.enum(['migrated', 'completed_partial_migration', 'already_migrated']),
    teamId: z.string(),
    credits: z.number().optional(),
    movedKeys: z.number().int(),
    unknownKeys: z.number().int(),
    storedKey: z.enum(['valid', 'invalid', 'unknown', 'not_checked']),
    newKey: keySecret.optional(),
  }),
  downgradeEntries: z.object({
    status: z.enum(['downgraded', 'team_not_found']),
    restoredBudget: z.number().optional(),
    restoredSpend: z.number().optional(),
    movedKeys: z.number().int(),
  }),
  setTeamBudget: z.object({ teamId: z.string(), maxBudget: z.number().nullable(), membersUpdated: z.number().int() }),
  addTeamCredits: z.object({
    purchaseId: z.string(),
    teamId: z.string(),
    previousMaxBudget: z.number(),
    newMaxBudget: z.number(),
    membersUpdated: z.number().int(),
    alreadyApplied: z
      .boolean()
      .describe(
        'True when LiteLLM already recorded this purchase (an earlier run added it): nothing was added, and the ' +
          'budgets are what that run set.'
      ),
  }),
};
