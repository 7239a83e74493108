import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderSchemas } from '../../scripts/export-schemas';
import { InvalidInputError, inputSchemas, parseInput } from '../../src/inputs';

describe('the workflow contract', () => {
  it('committed JSON Schemas match the code (run `npm run schemas` after changing an input or result)', () => {
    for (const [file, text] of Object.entries(renderSchemas())) {
      expect(readFileSync(join(__dirname, '..', '..', 'schemas', file), 'utf8')).toBe(text);
    }
  });

  it.each([
    [{ orgId: 'o', userId: 'u', createUser: true }, undefined],
    [{ orgId: '', userId: 'u', createUser: true }, 'orgId must not be empty'],
    [{ orgId: 'o\u0000', userId: 'u', createUser: true }, 'orgId must not contain control characters'],
    [{ orgId: 'o', userId: 'u', createUser: 'yes' }, 'createUser'],
    [{ orgId: 'o', userId: 'u', createUser: true, surprise: 1 }, 'surprise is not a known field'],
    [{ orgId: 'o', userId: 'u', createUser: true, email: 'not-an-email' }, 'email'],
    [{ orgId: 'o', userId: 'u', createUser: true, failurePolicy: { onFailure: 'later' } }, 'failurePolicy.onFailure'],
  ])('createEntries input %j', (input, error) => {
    const parse = () => parseInput('createEntries', inputSchemas.createEntries, input);
    if (error === undefined) expect(parse).not.toThrow();
    else expect(parse).toThrow(error);
  });

  it.each([
    [{ teamId: 't', maxBudget: -1 }, 'maxBudget must not be negative'],
    [{ teamId: 't', maxBudget: Number.POSITIVE_INFINITY }, 'maxBudget'],
    [{ teamId: 't', maxBudget: Number.NaN }, 'maxBudget'],
    [{ teamId: 't', maxBudget: 5, concurrency: 0 }, 'concurrency'],
  ])('setTeamBudget input %j is refused', (input, error) => {
    expect(() => parseInput('setTeamBudget', inputSchemas.setTeamBudget, input)).toThrow(error);
  });

  it('never echoes a refused value, which may be a secret', () => {
    const secret = 'sk-live-secret-value-1234';
    let error: unknown;
    try {
      parseInput('migrateEntries', inputSchemas.migrateEntries, {
        orgId: 'o',
        userId: 'u',
        userSettings: { userVersion: 4, llmApiKey: secret, llmBaseUrl: secret },
      });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(InvalidInputError);
    expect((error as Error).message).toContain('userSettings.llmBaseUrl');
    expect((error as Error).message).not.toContain(secret);
  });

  it('adds credits only when the amount is positive', () => {
    const base = { purchaseId: 'p', orgId: 'o', userId: 'u' };
    expect(() => parseInput('addTeamCredits', inputSchemas.addTeamCredits, { ...base, amount: 0 })).toThrow('amount');
    expect(parseInput('addTeamCredits', inputSchemas.addTeamCredits, { ...base, amount: 5 }).amount).toBe(5);
  });
});
