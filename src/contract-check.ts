/**
 * Compile-time proof that the exported schemas (src/inputs.ts) and the workflow types
 * (src/workflows/definitions.ts) describe the same shapes. Nothing here runs.
 */
import type { z } from 'zod';
import type { inputSchemas, resultSchemas } from './inputs';
import type * as workflows from './workflows';

type Workflows = typeof workflows;
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Check<T extends true> = T;

export type ContractHolds = [
  Check<Same<z.output<(typeof resultSchemas)['createEntries']>, Awaited<ReturnType<Workflows['createEntries']>>>>,
  Check<Same<z.output<(typeof resultSchemas)['migrateEntries']>, Awaited<ReturnType<Workflows['migrateEntries']>>>>,
  Check<Same<z.output<(typeof resultSchemas)['downgradeEntries']>, Awaited<ReturnType<Workflows['downgradeEntries']>>>>,
  Check<Same<z.output<(typeof resultSchemas)['setTeamBudget']>, Awaited<ReturnType<Workflows['setTeamBudget']>>>>,
  Check<Same<z.output<(typeof resultSchemas)['addTeamCredits']>, Awaited<ReturnType<Workflows['addTeamCredits']>>>>,
  // Every validated input is a valid workflow argument.
  Check<
    z.output<(typeof inputSchemas)['createEntries']> extends Parameters<Workflows['createEntries']>[0] ? true : false
  >,
  Check<
    z.output<(typeof inputSchemas)['migrateEntries']> extends Parameters<Workflows['migrateEntries']>[0] ? true : false
  >,
  Check<
    z.output<(typeof inputSchemas)['downgradeEntries']> extends Parameters<Workflows['downgradeEntries']>[0]
      ? true
      : false
  >,
  Check<
    z.output<(typeof inputSchemas)['setTeamBudget']> extends Parameters<Workflows['setTeamBudget']>[0] ? true : false
  >,
  Check<
    z.output<(typeof inputSchemas)['addTeamCredits']> extends Parameters<Workflows['addTeamCredits']>[0] ? true : false
  >,
];
