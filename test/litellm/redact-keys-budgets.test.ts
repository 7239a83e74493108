import { budgetFromTeamInfo, isUnlimitedUserBudget, remainingCredits } from '../../src/domain/budgets';
import { byorKeyAlias, openHandsCloudKeyAlias } from '../../src/domain/aliases';
import { UNLIMITED_USER_BUDGET } from '../../src/domain/budgets';
import { clearWithNull, omitWhenUnlimited } from '../../src/litellm/input';
import { deriveKey, hashKey, isKeyHash, toKeyHash } from '../../src/litellm/keys';
import { maskKey, redact, redactText, registerSecret } from '../../src/redact';

describe('redact', () => {
  it('masks virtual keys to their last 4 characters', () => {
    expect(redactText('User Key=sk-abcdefghijklmnop1234')).toBe('User Key=sk-…1234');
    expect(redactText('short sk-1234')).toBe('short sk-…');
    expect(redactText('Received API Key = sk-...wxyz')).toBe('Received API Key = sk-...wxyz');
    expect(redactText('task-sk-abcdefghijklmnop1234')).toContain('sk-…1234');
    expect(redactText('ask-abcdefghijklmnopqrstu')).toBe('ask-abcdefghijklmnopqrstu');
  });

  it('masks registered secrets whatever their shape, and bearer tokens', () => {
    registerSecret('my-master-key-without-prefix');
    expect(redactText('key=my-master-key-without-prefix!')).toBe('key=[REDACTED]!');
    expect(redactText('Authorization: Bearer abc.def')).toBe('Authorization: Bearer [REDACTED]');
  });

  it('masks e-mail addresses', () => {
    expect(redactText('User with email alice@example.com already exists')).toBe(
      'User with email a***@example.com already exists'
    );
    expect(redactText('b.o+b@mail.sub.example.org')).toBe('b***@mail.sub.example.org');
  });

  it('redacts deep values and secret-named fields', () => {
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    const out = redact({
      headers: { authorization: 'Bearer x', 'x-goog-api-key': 'raw-master' },
      nested: [{ email: 'carol@example.com', key: 'sk-abcdefghijklmnopqrst9876' }],
      password: 'hunter2',
      n: 3,
      cyclic,
      err: new Error('failed for dave@example.com'),
    });
    expect(out).toEqual({
      headers: { authorization: '[REDACTED]', 'x-goog-api-key': '[REDACTED]' },
      nested: [{ email: 'c***@example.com', key: 'sk-…9876' }],
      password: '[REDACTED]',
      n: 3,
      cyclic: { a: 1, self: '[Circular]' },
      err: { name: 'Error', message: 'failed for d***@example.com' },
    });
  });

  it('maskKey', () => {
    expect(maskKey('sk-abcdefghijklmnopqrst9876')).toBe('sk-…9876');
    expect(maskKey('whatever')).toBe('[REDACTED]');
  });
});

const HASH_OF_SK_1234 = '88dc28d0f030c55ed4ab77ed8faf098196cb1c05df778539800c9f1243fe6b4b';

describe('keys', () => {
  it('derives a deterministic, secret-dependent sk- key', () => {
    const a = deriveKey('secret', 'wf-1/step-7');
    expect(a).toMatch(/^sk-[A-Za-z0-9_-]{43}$/);
    expect(deriveKey('secret', 'wf-1/step-7')).toBe(a);
    expect(deriveKey('secret', 'wf-1/step-8')).not.toBe(a);
    expect(deriveKey('other', 'wf-1/step-7')).not.toBe(a);
    expect(() => deriveKey('', 'x')).toThrow();
  });

  it('hashes like LiteLLM (sha256 hex)', () => {
    // echo -n sk-1234 | sha256sum
    expect(hashKey('sk-1234')).toBe(HASH_OF_SK_1234);
    expect(isKeyHash(hashKey('sk-x'))).toBe(true);
    expect(toKeyHash('sk-x')).toBe(hashKey('sk-x'));
    expect(toKeyHash(hashKey('sk-x'))).toBe(hashKey('sk-x'));
  });

  it('aliases keep the seed formats', () => {
    expect(openHandsCloudKeyAlias('u', 'o')).toBe('OpenHands Cloud - user u - org o');
    expect(byorKeyAlias('u', 'o')).toBe('BYOR Key - user u, org o');
  });
});

describe('budgets', () => {
  it('expresses unlimited per endpoint', () => {
    expect(omitWhenUnlimited('max_budget', null)).toEqual({});
    expect(omitWhenUnlimited('max_budget', 0)).toEqual({ max_budget: 0 });
    expect(clearWithNull('max_budget', undefined)).toEqual({});
    expect(clearWithNull('max_budget', null)).toEqual({ max_budget: null });
    expect(UNLIMITED_USER_BUDGET).toBe(1_000_000_000);
  });

  it('reads the budget that counts, as the seed', () => {
    const m = { spend: 2, maxBudgetInTeam: 50, budgetMaxBudget: 10 };
    expect(budgetFromTeamInfo(null, 'u', 'u')).toEqual({ maxBudget: 0, spend: 0 });
    expect(budgetFromTeamInfo(m, 'u', 'u')).toEqual({ maxBudget: 10, spend: 2 });
    expect(budgetFromTeamInfo(m, 'u', 'org')).toEqual({ maxBudget: 50, spend: 2 });
    expect(budgetFromTeamInfo({ spend: 1, maxBudgetInTeam: null, budgetMaxBudget: null }, 'u', 'o')).toEqual({
      maxBudget: 0,
      spend: 1,
    });
    expect(remainingCredits(5, 7)).toBe(0);
    expect(isUnlimitedUserBudget(null)).toBe(true);
    expect(isUnlimitedUserBudget(1e9)).toBe(true);
    expect(isUnlimitedUserBudget(0)).toBe(false);
  });
});
