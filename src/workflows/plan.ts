/**
 * `planOperation`: what create, migrate, downgrade, team budget or credits would do, without doing it. It
 * makes the same reads as the workflow and runs the same decision functions (src/domain/decisions.ts), then
 * lists each step with before → after and its undo. It only reads (the stored key is checked with
 * `/v1/models`, a read): LiteLLM sees no write.
 */
import { ApplicationFailure, proxyActivities } from '@temporalio/workflow';
import { openHandsCloudKeyAlias } from '../domain/aliases';
import { UNLIMITED_USER_BUDGET } from '../domain/budgets';
import { createTeamBudget, creditsPurchase, decideMigration, downgradeRestore } from '../domain/decisions';
import { ACTIVITY_OPTIONS, type LiteLLMActivities } from './activity-options';
import { INVALID_INPUT } from './begin-operation';
import { checkWorkflowInput, describeInputIssues, isOperation } from './input-check';
import type { OperationPlan, PlannedOperation, PlanStep } from './plan-contract';

const reads = proxyActivities<LiteLLMActivities>(ACTIVITY_OPTIONS.forward);
const verification = proxyActivities<LiteLLMActivities>(ACTIVITY_OPTIONS.verification);
const settingsRead = proxyActivities<LiteLLMActivities>({ startToCloseTimeout: '5s' });

type Team = NonNullable<Awaited<ReturnType<LiteLLMActivities['getTeam']>>>;
type Key = Awaited<ReturnType<LiteLLMActivities['listUserKeys']>>[number];

const short = (hash: string) => hash.slice(0, 8);
const budgetOf = (b: number | null) => (b === null ? 'unlimited' : b);

function step(s: PlanStep): PlanStep {
  const noop = JSON.stringify(s.before) === JSON.stringify(s.after);
  return noop ? { ...s, noop } : s;
}

function plan(operation: PlannedOperation, outcome: string, steps: PlanStep[]): OperationPlan {
  return { operation, outcome, changes: steps.some((s) => !s.noop), steps };
}

function teamStep(teamId: string, team: Team | null, after: { teamAlias: string; maxBudget: number | null }): PlanStep {
  return step({
    step: 'create or update team',
    target: `team ${teamId}`,
    before: team ? { teamAlias: team.teamAlias, maxBudget: budgetOf(team.maxBudget) } : null,
    after: { teamAlias: after.teamAlias, maxBudget: budgetOf(after.maxBudget) },
    undo: team ? 'restore its alias and budget' : 'delete the team',
  });
}

function moveSteps(keys: Key[], teamId: string | null): PlanStep[] {
  return keys.map((k) =>
    step({
      step: `move key ${short(k.tokenHash)}`,
      target: `key ${k.tokenHash}`,
      before: { teamId: k.teamId },
      after: { teamId },
      undo: `move it back to ${k.teamId ?? 'no team'}`,
    })
  );
}

function memberBudgetSteps(team: Team, maxBudget: number | null): PlanStep[] {
  const changing = team.memberships.filter((m) => m.maxBudgetInTeam !== maxBudget);
  return [
    step({
      step: `set budget of ${team.memberships.length} members`,
      target: `memberships of team ${team.teamId}`,
      before: { changing: changing.length, budgets: [...new Set(changing.map((m) => budgetOf(m.maxBudgetInTeam)))] },
      after:
        changing.length === 0
          ? { changing: 0, budgets: [] }
          : { changing: changing.length, budgets: [budgetOf(maxBudget)] },
      undo: 'restore each member’s old budget',
    }),
  ];
}

async function planMigrate(input: {
  orgId: string;
  userId: string;
  userSettings: Record<string, unknown> & {
    userVersion: number;
    llmApiKey?: string | null;
    llmBaseUrl?: string | null;
  };
}): Promise<OperationPlan> {
  const { orgId, userId } = input;
  const settings = await settingsRead.getProvisioningSettings();
  const [user, team, keys] = await Promise.all([
    reads.getUser({ userId }),
    reads.getTeam({ teamId: orgId }),
    reads.listUserKeys({ userId }),
  ]);
  if (!user) return plan('migrateEntries', 'fails: LiteLLM has no such user', []);
  const d = decideMigration(
    { user, team, keys },
    input as Parameters<typeof decideMigration>[1],
    settings.defaultInitialBudget
  );
  if (d.status === 'already_migrated') return plan('migrateEntries', d.status, []);
  const steps: PlanStep[] = [];
  if (d.teamBudget !== undefined) steps.push(teamStep(orgId, team, { teamAlias: userId, maxBudget: d.teamBudget }));
  if (d.setUserUnlimited) {
    steps.push(
      step({
        step: 'set user budget unlimited',
        target: `user ${userId}`,
        before: { maxBudget: budgetOf(user.maxBudget) },
        after: { maxBudget: UNLIMITED_USER_BUDGET },
        undo: `restore budget ${String(budgetOf(user.maxBudget))}`,
      })
    );
  }
  if (d.addMember) {
    steps.push(
      step({
        step: 'add user to team',
        target: `membership ${userId} in ${orgId}`,
        before: null,
        after: { maxBudgetInTeam: budgetOf(d.addMember.maxBudgetInTeam) },
        undo: 'remove the user from the team',
      })
    );
  }
  steps.push(...moveSteps(d.keysToMove, orgId));
  const { llmApiKey, llmBaseUrl } = input.userSettings;
  if (llmApiKey && llmBaseUrl && llmBaseUrl.replace(/\/+$/, '') === settings.liteLLMBaseUrl) {
    const verdict = await verification.verifyKey({ key: llmApiKey }).catch(() => 'unknown' as const);
    if (verdict === 'invalid') {
      steps.push(
        step({
          step: 'generate key',
          target: `key under ${openHandsCloudKeyAlias(userId, orgId)}`,
          before: null,
          after: { teamId: orgId, reason: 'LiteLLM does not know the stored key' },
          undo: 'delete exactly that key',
        })
      );
    }
  }
  return plan('migrateEntries', d.status, steps);
}

async function planCreate(input: { orgId: string; userId: string; createUser: boolean }): Promise<OperationPlan> {
  const { orgId, userId } = input;
  const settings = await settingsRead.getProvisioningSettings();
  const keyAlias = openHandsCloudKeyAlias(userId, orgId);
  const [team, exists, keys] = await Promise.all([
    reads.getTeam({ teamId: orgId }),
    reads.userExists({ userId }),
    reads.listUserKeys({ userId }),
  ]);
  // A user LiteLLM does not have and is not asked to create stops the workflow, which rolls back: no change.
  if (!input.createUser && !exists) return plan('createEntries', 'fails: LiteLLM has no such user', []);
  const teamBudget = createTeamBudget(team, settings.defaultInitialBudget);
  const steps = [teamStep(orgId, team, { teamAlias: userId, maxBudget: teamBudget })];
  if (!exists) {
    steps.push(
      step({ step: 'create user', target: `user ${userId}`, before: null, after: { userId }, undo: 'delete the user' })
    );
  }
  if (!team?.memberUserIds.includes(userId)) {
    steps.push(
      step({
        step: 'add user to team',
        target: `membership ${userId} in ${orgId}`,
        before: null,
        after: { maxBudgetInTeam: budgetOf(teamBudget) },
        undo: 'remove the user from the team',
      })
    );
  }
  for (const k of keys.filter((key) => key.keyAlias === keyAlias)) {
    steps.push(
      step({ step: 'delete previous key', target: `key ${k.tokenHash}`, before: { keyAlias }, after: null, undo: null })
    );
  }
  steps.push(
    step({
      step: 'generate key',
      target: `key under ${keyAlias}`,
      before: null,
      after: { teamId: orgId, keyAlias },
      undo: 'delete exactly that key',
    })
  );
  return plan('createEntries', 'created', steps);
}

async function planDowngrade(input: { orgId: string; userId: string }): Promise<OperationPlan> {
  const { orgId, userId } = input;
  const settings = await settingsRead.getProvisioningSettings();
  const [team, membership, user, keys] = await Promise.all([
    reads.getTeam({ teamId: orgId }),
    reads.getUserTeamInfo({ userId, teamId: orgId }),
    reads.getUser({ userId }),
    reads.listUserKeys({ userId }),
  ]);
  if (!team) return plan('downgradeEntries', 'team_not_found', []);
  const { restoredBudget, restoredSpend } = downgradeRestore(team, membership);
  const steps: PlanStep[] = [
    step({
      step: 'restore user budget',
      target: `user ${userId}`,
      before: user ? { maxBudget: budgetOf(user.maxBudget), spend: user.spend } : null,
      after: { maxBudget: restoredBudget, spend: restoredSpend },
      undo: 'put the previous budget and spend back',
    }),
  ];
  const defaultTeamId = settings.defaultTeamId;
  if (defaultTeamId) {
    const defaultTeam = await reads.getTeam({ teamId: defaultTeamId });
    if (!defaultTeam?.memberUserIds.includes(userId)) {
      steps.push(
        step({
          step: 'add user to default team',
          target: `membership ${userId} in ${defaultTeamId}`,
          before: null,
          after: { maxBudgetInTeam: restoredBudget },
          undo: 'remove the user from the default team',
        })
      );
    }
  }
  const target = defaultTeamId ?? null;
  steps.push(
    ...moveSteps(
      keys.filter((k) => k.teamId !== target),
      target
    )
  );
  steps.push(
    step({
      step: 'remove user from org team',
      target: `membership ${userId} in ${orgId}`,
      before: { member: team.memberUserIds.includes(userId) },
      after: { member: false },
      undo: null,
    })
  );
  steps.push(
    step({
      step: 'delete org team',
      target: `team ${orgId}`,
      before: { exists: true },
      after: { exists: false },
      undo: null,
    })
  );
  return plan('downgradeEntries', 'downgraded', steps);
}

async function planTeamBudget(input: { teamId: string; maxBudget: number | null }): Promise<OperationPlan> {
  const team = await reads.getTeam({ teamId: input.teamId });
  if (!team) return plan('setTeamBudget', 'team_not_found', []);
  const steps = [
    step({
      step: 'set team budget',
      target: `team ${team.teamId}`,
      before: { maxBudget: budgetOf(team.maxBudget) },
      after: { maxBudget: budgetOf(input.maxBudget) },
      undo: 'restore the old budget',
    }),
    ...memberBudgetSteps(team, input.maxBudget),
  ];
  return plan('setTeamBudget', 'updated', steps);
}

async function planCredits(input: {
  orgId: string;
  userId: string;
  amount: number;
  purchaseId: string;
}): Promise<OperationPlan> {
  const [membership, team] = await Promise.all([
    reads.getUserTeamInfo({ userId: input.userId, teamId: input.orgId }),
    reads.getTeam({ teamId: input.orgId }),
  ]);
  if (!team) return plan('addTeamCredits', 'team_not_found', []);
  const { previousMaxBudget, newMaxBudget } = creditsPurchase(membership, input);
  const steps = [
    step({
      step: 'credit team once',
      target: `team ${input.orgId}`,
      before: { maxBudget: previousMaxBudget },
      after: { maxBudget: newMaxBudget, purchaseRecorded: input.purchaseId },
      undo: 'take the credits back and forget the purchase',
    }),
    ...memberBudgetSteps(team, newMaxBudget),
  ];
  return plan('addTeamCredits', 'credited', steps);
}

export async function planOperation(request: { operation: PlannedOperation; input: unknown }): Promise<OperationPlan> {
  const checked = isOperation(request.operation) ? checkWorkflowInput(request.operation, request.input) : undefined;
  if (!checked?.ok) {
    throw ApplicationFailure.create({
      type: INVALID_INPUT,
      message: checked
        ? describeInputIssues(request.operation, checked.issues)
        : `Unknown operation ${String(request.operation)}`,
      nonRetryable: true,
    });
  }
  const input = checked.value as never;
  switch (request.operation) {
    case 'migrateEntries':
      return planMigrate(input);
    case 'createEntries':
      return planCreate(input);
    case 'downgradeEntries':
      return planDowngrade(input);
    case 'setTeamBudget':
      return planTeamBudget(input);
    case 'addTeamCredits':
      return planCredits(input);
  }
}
