/**
 * The user LiteLLM's master key acts as (`LITELLM_PROXY_ADMIN_NAME`). Both versions add it as an admin member
 * of every team created with the master key (1.108.5 also lists it in `team_memberships`); it is not an
 * OpenHands member, so member counts, budget fan-outs, "last member" decisions and the doctor leave it out.
 */
export const PROXY_ADMIN_USER_ID = 'default_user_id';
