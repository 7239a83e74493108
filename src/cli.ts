#!/usr/bin/env node
/**
 * `litellm-workflows`: start and steer the workflows from a shell. Output is JSON on stdout.
 * Exit codes: 0 completed (or nothing to do), 1 failed or rolled back, 2 bad input, 3 another operation on
 * the same entity is running, 4 `--plan`: something would change.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { DecisionRefusedError, InvalidInputError, LiteLLMWorkflowsClient, OperationInProgressError } from './client';
import { requireEncryptionKeys } from './codec/keys';
import { ConfigError, loadTemporalConfig } from './config';
import { renderDoctorTable } from './doctor/report-table';
import { FLEET_COMMANDS, FLEET_USAGE, fleetCommand, FleetUsageError } from './cli-fleet';
import { runHealthCheck } from './health';
import { redact } from './redact';
import { legacyWorkflowIds, workflowIds, type FailurePolicy } from './workflows/definitions';
import type { PlannedOperation } from './workflows/plan-contract';
import type * as workflows from './workflows';

type Workflows = typeof workflows;

export const EXIT = { ok: 0, failed: 1, badInput: 2, inProgress: 3, wouldChange: 4 } as const;

const USAGE = `Usage: litellm-workflows <command> [options]

Commands (add --wait to wait for the result; --on-failure rollback|pause sets the failure policy;
--plan shows what the command would do, step by step, writing nothing: exit 0 nothing would change,
4 something would):
  create-entries  --org ID --user ID [--email E] [--create-user]
  migrate         --org ID --user ID [--user-version N] [--billing-margin X]
                  [--llm-api-key-file PATH] [--llm-base-url URL]
  downgrade       --org ID --user ID
  set-team-budget --team ID --max-budget N|unlimited [--concurrency N]
  add-credits     --purchase ID --org ID --user ID --amount N
  status          --workflow-id ID | --org ID --user ID | --team ID
  resume          (same selectors as status)   run the failed step again
  rollback        (same selectors as status)   undo what the operation did
  doctor          [--page-size N] [--max-findings N] [--progress] [--repair [--concurrency N]]
                  read all of LiteLLM and report residue (writes nothing; with --wait: the report as JSON,
                  a table on stderr); --repair waits for the report, then heals every finding that has a
                  repair through the fleet window (fleet id doctor-repair: fleet-status/-pause/-resume/-cancel)
${FLEET_USAGE}
  health          can the worker reach Temporal and LiteLLM? (its configuration; exit 0 or 1)

Temporal is reached through TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE and LITELLM_TASK_QUEUE;
health also reads the worker's LITELLM_* variables.`;

const OPTIONS = {
  org: { type: 'string' },
  user: { type: 'string' },
  team: { type: 'string' },
  email: { type: 'string' },
  'create-user': { type: 'boolean' },
  'user-version': { type: 'string' },
  'billing-margin': { type: 'string' },
  'llm-api-key-file': { type: 'string' },
  'llm-base-url': { type: 'string' },
  'max-budget': { type: 'string' },
  concurrency: { type: 'string' },
  purchase: { type: 'string' },
  amount: { type: 'string' },
  'workflow-id': { type: 'string' },
  'page-size': { type: 'string' },
  'max-findings': { type: 'string' },
  progress: { type: 'boolean' },
  repair: { type: 'boolean' },
  plan: { type: 'boolean' },
  'on-failure': { type: 'string' },
  wait: { type: 'boolean' },
  file: { type: 'string' },
  'fleet-id': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>['values'];

class UsageError extends Error {}

/** A number option; the input schemas check its range. NaN makes them name the field. */
function numberOption(values: Values, name: keyof Values): number | undefined {
  const raw = values[name];
  if (raw === undefined) return undefined;
  if (typeof raw !== 'string' || raw.trim() === '') throw new UsageError(`--${name} must be a number`);
  const n = Number(raw);
  if (!Number.isFinite(n)) throw new UsageError(`--${name} must be a number`);
  return n;
}

/** The input schema checks the value and names the field when it is neither rollback nor pause. */
function failurePolicy(values: Values): { failurePolicy?: FailurePolicy } {
  const onFailure = values['on-failure'];
  return onFailure === undefined ? {} : { failurePolicy: { onFailure: onFailure as FailurePolicy['onFailure'] } };
}

/** `ids`: the current scheme, or the legacy one for runs started before parts were escaped. */
function workflowIdOf(values: Values, ids: typeof workflowIds = workflowIds): string {
  if (values['workflow-id']) return values['workflow-id'];
  if (values.org && values.user) return ids.tenancy(values.org, values.user);
  if (values.team) return ids.teamBudget(values.team);
  if (values.purchase) return ids.credits(values.purchase);
  throw new UsageError('name the operation: --workflow-id, --org with --user, --team, or --purchase');
}

function print(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

type Operation = { [N in PlannedOperation]: { operation: N; input: Parameters<Workflows[N]>[0] } }[PlannedOperation];

/** The operation a command names and its input, from the flags; undefined for other commands. */
function operationInput(command: string, values: Values): Operation | undefined {
  const policy = failurePolicy(values);
  switch (command) {
    case 'create-entries':
      return {
        operation: 'createEntries',
        input: {
          orgId: values.org as string,
          userId: values.user as string,
          email: values.email ?? null,
          createUser: values['create-user'] ?? false,
          ...policy,
        },
      };
    case 'migrate': {
      const keyFile = values['llm-api-key-file'];
      return {
        operation: 'migrateEntries',
        input: {
          orgId: values.org as string,
          userId: values.user as string,
          userSettings: {
            userVersion: numberOption(values, 'user-version') ?? 4,
            billingMargin: numberOption(values, 'billing-margin') ?? null,
            // The stored key comes from a file, never from the command line (where `ps` would show it).
            llmApiKey: keyFile ? readFileSync(keyFile, 'utf8').trim() : null,
            llmBaseUrl: values['llm-base-url'] ?? null,
          },
          ...policy,
        },
      };
    }
    case 'downgrade':
      return {
        operation: 'downgradeEntries',
        input: { orgId: values.org as string, userId: values.user as string, ...policy },
      };
    case 'set-team-budget': {
      const raw = values['max-budget'];
      if (raw === undefined) throw new UsageError('--max-budget is required (a number, or "unlimited")');
      return {
        operation: 'setTeamBudget',
        input: {
          teamId: values.team as string,
          maxBudget: raw === 'unlimited' ? null : (numberOption(values, 'max-budget') as number),
          ...(values.concurrency ? { concurrency: numberOption(values, 'concurrency') } : {}),
          ...policy,
        },
      };
    }
    case 'add-credits':
      return {
        operation: 'addTeamCredits',
        input: {
          purchaseId: values.purchase as string,
          orgId: values.org as string,
          userId: values.user as string,
          amount: numberOption(values, 'amount') as number,
          ...policy,
        },
      };
    default:
      return undefined;
  }
}

async function startCommand(
  workflows: LiteLLMWorkflowsClient,
  command: string,
  values: Values
): Promise<WorkflowHandle | undefined> {
  const op = operationInput(command, values);
  switch (op?.operation) {
    case 'createEntries':
      return workflows.startCreateEntries(op.input);
    case 'migrateEntries':
      return workflows.startMigrateEntries(op.input);
    case 'downgradeEntries':
      return workflows.startDowngradeEntries(op.input);
    case 'setTeamBudget':
      return workflows.startSetTeamBudget(op.input);
    case 'addTeamCredits':
      return workflows.startAddTeamCredits(op.input);
    default:
      return undefined;
  }
}

/** `--plan`: what the command would do; exit 0 when nothing would change, 4 when something would. */
async function planCommand(workflows: LiteLLMWorkflowsClient, command: string, values: Values): Promise<number> {
  const op = operationInput(command, values);
  if (!op) throw new UsageError(`--plan works with create-entries, migrate, downgrade, set-team-budget, add-credits`);
  const plan = await workflows.plan(op.operation, op.input);
  print(plan);
  return plan.changes ? EXIT.wouldChange : EXIT.ok;
}

async function steerCommand(workflows: LiteLLMWorkflowsClient, command: string, values: Values): Promise<number> {
  const workflowId = await workflows.findWorkflowId(workflowIdOf(values), workflowIdOf(values, legacyWorkflowIds));
  const state =
    command === 'status'
      ? await workflows.getState(workflowId)
      : command === 'resume'
        ? await workflows.resume(workflowId)
        : await workflows.rollback(workflowId);
  print({ workflowId, ...state });
  return EXIT.ok;
}

/** `doctor`: start it (one at a time), show its progress, or wait for its report. */
async function doctorCommand(workflows: LiteLLMWorkflowsClient, values: Values): Promise<number> {
  if (values.progress) {
    print(await workflows.doctorProgress(values['workflow-id']));
    return EXIT.ok;
  }
  const pageSize = numberOption(values, 'page-size');
  const maxFindings = numberOption(values, 'max-findings');
  const handle = await workflows.startDoctor({
    ...(pageSize !== undefined ? { pageSize } : {}),
    ...(maxFindings !== undefined ? { maxFindings } : {}),
  });
  if (!values.wait && !values.repair) {
    print({ workflowId: handle.workflowId, runId: handle.firstExecutionRunId, status: 'started' });
    return EXIT.ok;
  }
  const report = await handle.result();
  process.stderr.write(`${renderDoctorTable(report)}\n`);
  if (!values.repair) {
    print({ workflowId: handle.workflowId, status: 'completed', report });
    return EXIT.ok;
  }
  const concurrency = numberOption(values, 'concurrency');
  const repair = await workflows.startRepair(report, undefined, concurrency ? { liteLLMConcurrency: concurrency } : {});
  const result = await repair.result();
  print({
    workflowId: handle.workflowId,
    status: 'completed',
    report,
    repair: { workflowId: repair.workflowId, ...result },
  });
  return result.failed + result.rolledBack + result.cancelled > 0 ? EXIT.failed : EXIT.ok;
}

/** Waits for the result; a failed or rolled-back operation prints its state and exits 1. */
async function waitFor(workflows: LiteLLMWorkflowsClient, handle: WorkflowHandle): Promise<number> {
  try {
    const result: unknown = await handle.result();
    print({ workflowId: handle.workflowId, status: 'completed', result });
    return EXIT.ok;
  } catch (err) {
    if (!(err instanceof WorkflowFailedError)) throw err;
    const cause = err.cause;
    print({
      workflowId: handle.workflowId,
      status: 'failed',
      error: redact(cause?.message ?? err.message),
      failureType: cause && 'type' in cause ? cause.type : cause?.name,
    });
    return EXIT.failed;
  }
}

export async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (err) {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n\n${USAGE}\n`);
    return EXIT.badInput;
  }
  const [command] = parsed.positionals;
  if (!command || parsed.values.help) {
    process.stdout.write(`${USAGE}\n`);
    return command ? EXIT.ok : EXIT.badInput;
  }
  // The worker's check: its configuration, not the client's, and no encryption keys needed.
  if (command === 'health') return runHealthCheck();
  let workflows: LiteLLMWorkflowsClient | undefined;
  try {
    workflows = await LiteLLMWorkflowsClient.connect(loadTemporalConfig(), requireEncryptionKeys());
    if (command === 'doctor') return await doctorCommand(workflows, parsed.values);
    if (parsed.values.plan) return await planCommand(workflows, command, parsed.values);
    if (FLEET_COMMANDS.includes(command)) {
      print(await fleetCommand(workflows, command, parsed.values));
      return EXIT.ok;
    }
    if (['status', 'resume', 'rollback'].includes(command))
      return await steerCommand(workflows, command, parsed.values);
    const handle = await startCommand(workflows, command, parsed.values);
    if (!handle) throw new UsageError(`unknown command "${command}"`);
    if (parsed.values.wait) return await waitFor(workflows, handle);
    const runId = 'firstExecutionRunId' in handle ? handle.firstExecutionRunId : undefined;
    print({ workflowId: handle.workflowId, runId, status: 'started' });
    return EXIT.ok;
  } catch (err) {
    if (
      err instanceof UsageError ||
      err instanceof FleetUsageError ||
      err instanceof InvalidInputError ||
      err instanceof ConfigError
    ) {
      process.stderr.write(`${err.message}\n`);
      return EXIT.badInput;
    }
    if (err instanceof OperationInProgressError) {
      print({ status: 'in_progress', workflowId: err.workflowId, error: err.message });
      return EXIT.inProgress;
    }
    if (err instanceof DecisionRefusedError) {
      process.stderr.write(`${err.message}\n`);
      return EXIT.failed;
    }
    process.stderr.write(`${String(redact(err instanceof Error ? err.message : String(err)))}\n`);
    return EXIT.failed;
  } finally {
    await workflows?.close();
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`${String(redact(err instanceof Error ? err.message : String(err)))}\n`);
      process.exit(EXIT.failed);
    }
  );
}
