/**
 * A workflow that imports src/inputs.ts directly instead of through src/workflows/input-check.ts: its bundle
 * must fail (test/unit/workflow-bundle.test.ts), since each run would evaluate zod and the schemas again.
 */
import { checkInput, doctorInputSchema } from '../../src/inputs';

export function checksItsOwnInput(raw: unknown): Promise<boolean> {
  return Promise.resolve(checkInput(doctorInputSchema, raw).ok);
}
