import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderSchemas } from '../../scripts/export-schemas';
import { InvalidInputError, inputSchemas, MAX_BUDGET_USD, parseInput } from '../../src/inputs';

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
    [{ teamId: 't', maxBudget: 1e300 }, 'maxBudget must be at most 100000000'],
    [{ teamId: 't', maxBudget: MAX_BUDGET_USD + 0.01 }, 'maxBudget must be at most'],
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

  it('accepts budgets up to the documented bound', () => {
    expect(
      parseInput('setTeamBudget', inputSchemas.setTeamBudget, { teamId: 't', maxBudget: MAX_BUDGET_USD }).maxBudget
    ).toBe(MAX_BUDGET_USD);
  });

  it.each([0, null, 1, 2.5])(
    'takes a billing margin of %j, as the seed does (a falsy one is ignored)',
    (billingMargin) => {
      const input = { orgId: 'o', userId: 'u', userSettings: { userVersion: 3, billingMargin } };
      expect(parseInput('migrateEntries', inputSchemas.migrateEntries, input).userSettings.billingMargin).toBe(
        billingMargin
      );
    }
  );

  it('adds credits only when the amount is positive and within the bound', () => {
    const base = { purchaseId: 'p', orgId: 'o', userId: 'u' };
    expect(() => parseInput('addTeamCredits', inputSchemas.addTeamCredits, { ...base, amount: 1e300 })).toThrow(
      'amount must be at most'
    );
    expect(() => parseInput('addTeamCredits', inputSchemas.addTeamCredits, { ...base, amount: 0 })).toThrow('amount');
    expect(parseInput('addTeamCredits', inputSchemas.addTeamCredits, { ...base, amount: 5 }).amount).toBe(5);
  });
});
