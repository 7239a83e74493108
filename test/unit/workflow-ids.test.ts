import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { legacyWorkflowIds, workflowIdPart, workflowIds } from '../../src/workflows/definitions';

interface IdCase {
  kind: keyof typeof workflowIds;
  parts: string[];
  id: string;
  legacyId: string;
}

const vectors = JSON.parse(readFileSync(join(__dirname, '..', '..', 'schemas', 'workflow-ids.json'), 'utf8')) as {
  cases: IdCase[];
};

function idOf(ids: typeof workflowIds, { kind, parts }: IdCase): string {
  if (kind === 'tenancy') return ids.tenancy(parts[0]!, parts[1]!);
  return ids[kind](parts[0]!);
}

/** Splits an id back into its parts: only possible because no escaped part contains ':'. */
function partsOf(id: string): string[] {
  return id
    .split(':')
    .slice(1)
    .map((p) => p.replace(/%3A/g, ':').replace(/%25/g, '%'));
}

describe('workflow ids', () => {
  it.each(vectors.cases.map((c) => [c.id, c] as const))('%s (shared test case)', (_id, c) => {
    expect(idOf(workflowIds, c)).toBe(c.id);
    expect(idOf(legacyWorkflowIds, c)).toBe(c.legacyId);
    expect(partsOf(c.id)).toEqual(c.parts);
  });

  it('maps (org, user) pairs that the old scheme joined into one id to distinct ids', () => {
    expect(workflowIds.tenancy('a', 'b:c')).not.toBe(workflowIds.tenancy('a:b', 'c'));
    expect(legacyWorkflowIds.tenancy('a', 'b:c')).toBe(legacyWorkflowIds.tenancy('a:b', 'c'));
  });

  it('is injective over parts made of separators and escape characters', () => {
    const alphabet = ['a', ':', '%', '3', 'A', '2', '5'];
    const parts = [''];
    for (let length = 1; length <= 3; length++) {
      for (let n = 0; n < alphabet.length ** length; n++) {
        let part = '';
        for (let i = 0, rest = n; i < length; i++, rest = Math.floor(rest / alphabet.length)) {
          part += alphabet[rest % alphabet.length];
        }
        parts.push(part);
      }
    }
    const seen = new Map<string, string>();
    for (const org of parts) {
      for (const user of parts) {
        const id = workflowIds.tenancy(org, user);
        expect(seen.get(id)).toBeUndefined();
        seen.set(id, `${org}|${user}`);
        expect(partsOf(id)).toEqual([org, user]);
      }
    }
    expect(seen.size).toBe(parts.length ** 2);
    expect(workflowIdPart('plain-id_1.x')).toBe('plain-id_1.x');
  });
});
