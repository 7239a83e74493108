/** The doctor's input, checked by the client before anything starts (a bad value is named, nothing runs). */
import { z } from 'zod';

export const doctorInputSchema = z.strictObject({
  pageSize: z.number().int().min(1).max(100).optional(),
  maxFindings: z.number().int().min(0).max(10_000).optional(),
  pagesPerRun: z.number().int().min(1).max(500).optional(),
});
