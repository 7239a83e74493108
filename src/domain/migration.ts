/**
 * The seed's migration arithmetic (pure: imported by workflow code).
 */
import { remainingCredits } from './budgets';

export interface UserBudget {
  maxBudget: number | null;
  spend: number;
}

export interface BillingSettings {
  userVersion: number;
  billingMargin?: number | null;
}

/** Settings before version 4 charged a billing margin on top of spend; from 4 on LiteLLM applies it. */
export const BILLING_MARGIN_VERSION = 4;

/**
 * Credits a personal account brings into its org team: `max(budget - spend, 0)`, both scaled by the legacy
 * billing margin for settings older than version 4 (seed: `migrate_entries`). A missing budget counts as 0.
 */
export function creditsFromUserBudget(user: UserBudget, settings: BillingSettings): number {
  let maxBudget = user.maxBudget ?? 0;
  let spend = user.spend;
  const margin = settings.billingMargin;
  if (settings.userVersion < BILLING_MARGIN_VERSION && margin && margin !== 1) {
    maxBudget *= margin;
    spend *= margin;
  }
  return remainingCredits(maxBudget, spend);
}
