/**
 * Writes the JSON Schema of every workflow's input and result to schemas/ (`npm run schemas`), for callers
 * in other languages. A test checks the committed files are current.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { inputSchemas, resultSchemas } from '../src/inputs';

export function renderSchemas(): Record<string, string> {
  const files: Record<string, string> = {};
  for (const [name, schema] of Object.entries(inputSchemas)) {
    files[`${name}.input.json`] = `${JSON.stringify(z.toJSONSchema(schema, { io: 'input' }), null, 2)}\n`;
  }
  for (const [name, schema] of Object.entries(resultSchemas)) {
    files[`${name}.result.json`] = `${JSON.stringify(z.toJSONSchema(schema), null, 2)}\n`;
  }
  return files;
}

if (require.main === module) {
  const dir = join(__dirname, '..', 'schemas');
  mkdirSync(dir, { recursive: true });
  for (const [file, text] of Object.entries(renderSchemas())) writeFileSync(join(dir, file), text);
  console.log(`Wrote ${Object.keys(renderSchemas()).length} schemas to ${dir}`);
}
