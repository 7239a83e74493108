/**
 * Input schemas of every workflow, checked by the client before anything starts: bad input gets an error
 * naming the field and starts nothing. The same schemas are exported as JSON Schema (`npm run schemas`).
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

const budget = z.number().finite('must be a finite number').nonnegative('must not be negative');
const duration = z.union([
  z.number().int().positive(),
  z.string().regex(/^\d+(\.\d+)?\s*(ms|s|m|h|d|days?|hours?|minutes?)$/),
]);

export const failurePolicySchema = z
  .strictObject({
    onFailure: z.enum(['rollback', 'pause']).optional(),
    operatorTimeout: duration.optional(),
    defaultDecision: z.enum(['retry', 'rollback']).optional(),
  })
  .describe('What happens when a step fails for good');

export const createEntriesInputSchema = z.strictObject({
  orgId: entityId,
  userId: entityId,
  email: z.email('must be an e-mail address').nullable().optional(),
  createUser: z.boolean(),
  failurePolicy: failurePolicySchema.optional(),
});

export const migrateEntriesInputSchema = z.strictObject({
  orgId: entityId,
  userId: entityId,
  userSettings: z.strictObject({
    userVersion: z.number().int().nonnegative(),
    billingMargin: z.number().finite().positive().nullable().optional(),
    llmApiKey: z.string().min(1).nullable().optional(),
    llmBaseUrl: z.url().nullable().optional(),
  }),
  failurePolicy: failurePolicySchema.optional(),
});

export const downgradeEntriesInputSchema = z.strictObject({
  orgId: entityId,
  userId: entityId,
  failurePolicy: failurePolicySchema.optional(),
});

export const setTeamBudgetInputSchema = z.strictObject({
  teamId: entityId,
  maxBudget: budget.nullable(),
  concurrency: z.number().int().min(1).max(64).optional(),
  pageSize: z.number().int().min(1).max(1000).optional(),
  pagesPerRun: z.number().int().min(1).max(500).optional(),
  failurePolicy: failurePolicySchema.optional(),
});

export const addTeamCreditsInputSchema = z.strictObject({
  purchaseId: entityId,
  orgId: entityId,
  userId: entityId,
  amount: budget.refine((v) => v > 0, 'must be greater than 0'),
  failurePolicy: failurePolicySchema.optional(),
});

export const inputSchemas = {
  createEntries: createEntriesInputSchema,
  migrateEntries: migrateEntriesInputSchema,
  downgradeEntries: downgradeEntriesInputSchema,
  setTeamBudget: setTeamBudgetInputSchema,
  addTeamCredits: addTeamCreditsInputSchema,
};

/** Bad input: names the field (a dotted path) and why; never echoes the value, which may be a secret. */
export class InvalidInputError extends Error {
  constructor(
    readonly operation: string,
    readonly issues: Array<{ field: string; message: string }>
  ) {
    super(`Invalid input for ${operation}: ${issues.map((i) => `${i.field} ${i.message}`).join('; ')}`);
    this.name = 'InvalidInputError';
  }
}

export function parseInput<S extends z.ZodType>(operation: string, schema: S, input: unknown): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw new InvalidInputError(
    operation,
    result.error.issues.map((issue) => {
      const path = issue.path.map(String).join('.');
      if (issue.code === 'unrecognized_keys') {
        return {
          field: issue.keys.map((k) => (path ? `${path}.${k}` : k)).join(', '),
          message: 'is not a known field',
        };
      }
      return { field: path || '(input)', message: issue.message };
    })
  );
}

// Results, for JSON Schema export; the type checks below keep them in step with src/workflows/definitions.ts.
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
  }),
};
