/**
 * The workflows' only way to zod and the input schemas of src/inputs.ts: workflow code imports this module,
 * never `../inputs` or `zod` at run time (type-only imports are fine).
 *
 * Why one module: the worker reuses one V8 context per workflow thread (`reuseV8Context`, the SDK's default),
 * and every module a run loads is evaluated again for that run and kept while the run is cached, except
 * the modules the bundle preloads, which are evaluated once per thread and shared by every run. zod and the
 * schemas are most of the workflow code's memory, so src/workflow-bundle.ts preloads this module and has
 * webpack concatenate zod and src/inputs.ts into it (its build fails if they end up anywhere else).
 *
 * Sharing is deterministic: the schemas are built once, never changed, and parsing reads them only (a
 * parse result is a new object of the calling run). The SDK freezes what a preloaded module exports, so
 * only functions leave it; the schemas stay in its scope.
 */
import type { z } from 'zod';
import {
  checkInput,
  doctorInputSchema,
  inputSchemas,
  migrateFleetInputSchema,
  repairFleetInputSchema,
  type InputIssue,
} from '../inputs';

export { describeInputIssues, type InputIssue } from '../inputs';

const schemas = {
  ...inputSchemas,
  doctor: doctorInputSchema,
  migrateFleet: migrateFleetInputSchema,
  repairFleet: repairFleetInputSchema,
};

/** The workflows whose input is checked here. */
export type CheckedWorkflow = keyof typeof schemas;

/** The input of `workflow` as its schema outputs it. */
export type CheckedInput<W extends CheckedWorkflow> = z.output<(typeof schemas)[W]>;

/** Whether `name` is one of the operations of `inputSchemas` (what a `plan` request may name). */
export function isOperation(name: string): name is keyof typeof inputSchemas {
  return Object.hasOwn(inputSchemas, name);
}

/**
 * The checked input of `workflow`, or the issues of a refused one: the field (a dotted path) and why;
 * never the value, which may be a secret.
 */
export function checkWorkflowInput<W extends CheckedWorkflow>(
  workflow: W,
  raw: unknown
): { ok: true; value: CheckedInput<W> } | { ok: false; issues: InputIssue[] } {
  return checkInput(schemas[workflow], raw) as
    { ok: true; value: CheckedInput<W> } | { ok: false; issues: InputIssue[] };
}
