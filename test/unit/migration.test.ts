import { creditsFromUserBudget } from '../../src/domain/migration';

describe('creditsFromUserBudget (seed: migrate_entries)', () => {
  it.each([
    [{ maxBudget: 20, spend: 4.5 }, { userVersion: 4 }, 15.5],
    [{ maxBudget: 20, spend: 4.5 }, { userVersion: 3, billingMargin: 2 }, 31],
    [{ maxBudget: 20, spend: 4.5 }, { userVersion: 3, billingMargin: 1 }, 15.5],
    [{ maxBudget: 20, spend: 4.5 }, { userVersion: 3, billingMargin: null }, 15.5],
    [{ maxBudget: 20, spend: 4.5 }, { userVersion: 4, billingMargin: 2 }, 15.5],
    [{ maxBudget: 5, spend: 9 }, { userVersion: 4 }, 0],
    [{ maxBudget: null, spend: 3 }, { userVersion: 4 }, 0],
  ])('%j with %j gives %d', (user, settings, credits) => {
    expect(creditsFromUserBudget(user, settings)).toBe(credits);
  });
});
