/**
 * `litellm-workflows`: start and steer the workflows from a shell. Output is JSON on stdout, errors one line
 * on stderr naming the flag. Each command is one entry of {@link COMMANDS}: its flags, its help line and
 * what it runs. Exit codes: {@link EXIT}.
 */
import { readFileSync } from 'node:fs';
import type { z } from 'zod';
import { WorkflowNotFoundError, type WorkflowHandle } from '@temporalio/client';
import {
  clipWords,
  flagOfField,
  numberFlag,
  parseCommandLine,
  UsageError,
  type FlagSpec,
  type ParsedCommandLine,
} from './cli-args';
import { DecisionRefusedError, InvalidInputError, LiteLLMWorkflowsClient, OperationInProgressError } from './client';
import { requireEncryptionKeys } from './codec/keys';
import { ConfigError, loadTemporalConfig, type Env } from './config';
import { FLEET_COMMANDS, fleetCommand, FleetUsageError } from './cli-fleet';
import { renderDoctorTable } from './doctor/report-table';
import { withDevSession } from './dev-session';
import { runHealthCheck } from './health';
import { EXIT, print, waitFor } from './cli-outcome';
import { redact } from './redact';
import { inputSchemas, parseInput } from './inputs';
import {
  legacyWorkflowIds,
  workflowIds,
  type AddTeamCreditsInput,
  type CreateEntriesInput,
  type DowngradeEntriesInput,
  type FailurePolicy,
  type MigrateEntriesInput,
  type SetTeamBudgetInput,
} from './workflows/definitions';

export { EXIT };

/** Every flag of every command; `field` is the input field it fills, so schema errors name the flag. */
const FLAGS = {
  org: { type: 'string', field: 'orgId' },
  user: { type: 'string', field: 'userId' },
  team: { type: 'string', field: 'teamId' },
  email: { type: 'string', field: 'email' },
  'create-user': { type: 'boolean' },
  'user-version': { type: 'string', field: 'userSettings.userVersion' },
  'billing-margin': { type: 'string', field: 'userSettings.billingMargin' },
  'llm-api-key-file': { type: 'string', field: 'userSettings.llmApiKey' },
  'llm-base-url': { type: 'string', field: 'userSettings.llmBaseUrl' },
  'max-budget': { type: 'string', field: 'maxBudget' },
  concurrency: { type: 'string', field: 'concurrency' },
  purchase: { type: 'string', field: 'purchaseId' },
  amount: { type: 'string', field: 'amount' },
  'workflow-id': { type: 'string' },
  'on-failure': { type: 'string', field: 'failurePolicy.onFailure' },
  wait: { type: 'boolean' },
  file: { type: 'string' },
  'fleet-id': { type: 'string' },
  'page-size': { type: 'string' },
  'max-findings': { type: 'string' },
  progress: { type: 'boolean' },
  repair: { type: 'boolean' },
  plan: { type: 'boolean' },
} satisfies Record<string, FlagSpec>;

type Flag = keyof typeof FLAGS;
type Values = ParsedCommandLine['values'];

interface Context {
  values: Values;
  /** Connects on first use (with the dev session's settings beside `npm run dev`). */
  client: () => Promise<LiteLLMWorkflowsClient>;
}

interface Command {
  /** Flags after the command name, as the help shows them. */
  usage: string;
  flags: readonly Flag[];
  required?: readonly Flag[];
  run(context: Context): Promise<number>;
}

const START_FLAGS = ['on-failure', 'wait', 'plan'] as const satisfies readonly Flag[];
const SELECTOR_FLAGS = ['workflow-id', 'org', 'user', 'team', 'purchase'] as const satisfies readonly Flag[];

const text = (values: Values, flag: Flag) => values[flag] as string | undefined;

/** The input schema checks the value and names the flag when it is neither rollback nor pause. */
function failurePolicy(values: Values): { failurePolicy?: FailurePolicy } {
  const onFailure = text(values, 'on-failure');
  return onFailure === undefined ? {} : { failurePolicy: { onFailure: onFailure as FailurePolicy['onFailure'] } };
}

/** The stored key comes from a file, never from the command line (where `ps` would show it). */
function readKeyFile(values: Values): string | null {
  const path = text(values, 'llm-api-key-file');
  if (path === undefined) return null;
  try {
    return readFileSync(path, 'utf8').trim();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : 'cannot be read';
    throw new UsageError(`--llm-api-key-file: ${why}`);
  }
}

/** `ids`: the current scheme, or the legacy one for runs started before parts were escaped. */
function workflowIdOf(values: Values, ids: typeof workflowIds = workflowIds): string {
  const id = text(values, 'workflow-id');
  if (id) return id;
  const [org, user, team, purchase] = (['org', 'user', 'team', 'purchase'] as const).map((f) => text(values, f));
  if (org && user) return ids.tenancy(org, user);
  if (team) return ids.teamBudget(team);
  if (purchase) return ids.credits(purchase);
  throw new UsageError('name the operation: --workflow-id, --org with --user, --team, or --purchase');
}

/** A command that starts a workflow: prints its id, or with --wait its outcome. */
type Startable = 'createEntries' | 'migrateEntries' | 'downgradeEntries' | 'setTeamBudget' | 'addTeamCredits';

function start<N extends Startable>(
  operation: N,
  usage: string,
  flags: readonly Flag[],
  required: readonly Flag[],
  input: (values: Values) => z.input<(typeof inputSchemas)[N]>
): Command {
  return {
    usage: `${usage} [--on-failure rollback|pause] [--wait | --plan]`,
    flags: [...flags, ...START_FLAGS],
    required,
    async run({ values, client }) {
      // Checked before connecting: bad input is refused even when Temporal is down.
      const checked = parseInput(operation, inputSchemas[operation], input(values));
      const workflows = await client();
      if (values.plan) {
        // What it would do, step by step, computed by the workflow's own decisions; nothing is written.
        const plan = await workflows.plan(operation, checked);
        print(plan);
        return plan.changes ? EXIT.wouldChange : EXIT.ok;
      }
      const handle = await LAUNCH[operation](workflows, checked as never);
      if (values.wait) return waitFor(workflows, handle);
      const runId = 'firstExecutionRunId' in handle ? handle.firstExecutionRunId : undefined;
      print({ workflowId: handle.workflowId, runId, status: 'started' });
      return EXIT.ok;
    },
  };
}

const LAUNCH: { [N in Startable]: (client: LiteLLMWorkflowsClient, input: never) => Promise<WorkflowHandle> } = {
  createEntries: (c, input: CreateEntriesInput) => c.startCreateEntries(input),
  migrateEntries: (c, input: MigrateEntriesInput) => c.startMigrateEntries(input),
  downgradeEntries: (c, input: DowngradeEntriesInput) => c.startDowngradeEntries(input),
  setTeamBudget: (c, input: SetTeamBudgetInput) => c.startSetTeamBudget(input),
  addTeamCredits: (c, input: AddTeamCreditsInput) => c.startAddTeamCredits(input),
};

/** A command on a running operation, named by --workflow-id or the business keys that make its id. */
function steer(usage: string, act: (client: LiteLLMWorkflowsClient, id: string) => Promise<object>): Command {
  return {
    usage: `--workflow-id ID | --org ID --user ID | --team ID | --purchase ID   ${usage}`,
    flags: SELECTOR_FLAGS,
    async run({ values, client }) {
      const workflows = await client();
      const workflowId = await workflows.findWorkflowId(workflowIdOf(values), workflowIdOf(values, legacyWorkflowIds));
      print({ workflowId, ...(await act(workflows, workflowId)) });
      return EXIT.ok;
    },
  };
}

/** The fleet commands (src/cli-fleet.ts): a `migrateFleet` from a file of users, and its steering. */
function fleet(name: string): Command {
  const starts = name === 'migrate-fleet';
  return {
    usage: starts
      ? '--fleet-id ID --file PATH [--concurrency N] [--wait]   PATH: JSON array or lines of {orgId, userId, userSettings}'
      : '--fleet-id ID',
    flags: starts ? ['fleet-id', 'file', 'concurrency', 'wait'] : ['fleet-id'],
    required: starts ? ['fleet-id', 'file'] : ['fleet-id'],
    async run({ values, client }) {
      print(await fleetCommand(await client(), name, values));
      return EXIT.ok;
    },
  };
}

/** `doctor`: start it (one at a time), show its progress, or wait for its report. */
const doctor: Command = {
  usage:
    '[--page-size N] [--max-findings N] [--progress] [--wait] [--repair [--concurrency N]]   read all of LiteLLM, report residue (writes nothing; with --wait: the report as JSON, a table on stderr); --repair then heals every finding that has a repair through the fleet window (fleet id doctor-repair)',
  flags: ['page-size', 'max-findings', 'progress', 'workflow-id', 'wait', 'repair', 'concurrency'],
  async run({ values, client }) {
    const workflows = await client();
    if (values.progress) {
      print(await workflows.doctorProgress(text(values, 'workflow-id')));
      return EXIT.ok;
    }
    const pageSize = numberFlag(values, 'page-size');
    const maxFindings = numberFlag(values, 'max-findings');
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
    const concurrency = numberFlag(values, 'concurrency');
    const repairing = await workflows.startRepair(
      report,
      undefined,
      concurrency ? { liteLLMConcurrency: concurrency } : {}
    );
    const repair = await repairing.result();
    print({
      workflowId: handle.workflowId,
      status: 'completed',
      report,
      repair: { workflowId: repairing.workflowId, ...repair },
    });
    return repair.failed + repair.rolledBack + repair.cancelled > 0 ? EXIT.failed : EXIT.ok;
  },
};

const TENANCY = ['org', 'user'] as const satisfies readonly Flag[];

export const COMMANDS: Record<string, Command> = {
  'create-entries': start(
    'createEntries',
    '--org ID --user ID [--email E] [--create-user]',
    [...TENANCY, 'email', 'create-user'],
    TENANCY,
    (v) => ({
      orgId: text(v, 'org')!,
      userId: text(v, 'user')!,
      email: text(v, 'email') ?? null,
      createUser: v['create-user'] === true,
      ...failurePolicy(v),
    })
  ),
  migrate: start(
    'migrateEntries',
    '--org ID --user ID [--user-version N] [--billing-margin X] [--llm-api-key-file PATH] [--llm-base-url URL]',
    [...TENANCY, 'user-version', 'billing-margin', 'llm-api-key-file', 'llm-base-url'],
    TENANCY,
    (v) => ({
      orgId: text(v, 'org')!,
      userId: text(v, 'user')!,
      userSettings: {
        userVersion: numberFlag(v, 'user-version') ?? 4,
        billingMargin: numberFlag(v, 'billing-margin') ?? null,
        llmApiKey: readKeyFile(v),
        llmBaseUrl: text(v, 'llm-base-url') ?? null,
      },
      ...failurePolicy(v),
    })
  ),
  downgrade: start('downgradeEntries', '--org ID --user ID', TENANCY, TENANCY, (v) => ({
    orgId: text(v, 'org')!,
    userId: text(v, 'user')!,
    ...failurePolicy(v),
  })),
  'set-team-budget': start(
    'setTeamBudget',
    '--team ID --max-budget N|unlimited [--concurrency N]',
    ['team', 'max-budget', 'concurrency'],
    ['team', 'max-budget'],
    (v) => ({
      teamId: text(v, 'team')!,
      maxBudget: v['max-budget'] === 'unlimited' ? null : numberFlag(v, 'max-budget')!,
      ...(v.concurrency === undefined ? {} : { concurrency: numberFlag(v, 'concurrency') }),
      ...failurePolicy(v),
    })
  ),
  'add-credits': start(
    'addTeamCredits',
    '--purchase ID --org ID --user ID --amount N',
    ['purchase', ...TENANCY, 'amount'],
    ['purchase', ...TENANCY, 'amount'],
    (v) => ({
      purchaseId: text(v, 'purchase')!,
      orgId: text(v, 'org')!,
      userId: text(v, 'user')!,
      amount: numberFlag(v, 'amount')!,
      ...failurePolicy(v),
    })
  ),
  // A finished run is read from the server, so `status` needs no worker (a query would wait for one).
  status: steer('the steps, the last error, the decision awaited', (w, id) => w.getStatus(id)),
  resume: steer('run the failed step again', (w, id) => w.resume(id)),
  rollback: steer('undo what the operation did', (w, id) => w.rollback(id)),
  skip: steer('leave a failed undo step as it is, go on undoing', (w, id) => w.skip(id)),
  doctor,
  ...Object.fromEntries(FLEET_COMMANDS.map((name) => [name, fleet(name)])),
  health: {
    usage: "  can the worker reach Temporal and LiteLLM? (reads the worker's configuration; exit 0 or 1)",
    flags: [],
    // The worker's check: its configuration, not the client's, and no encryption keys needed.
    run: () => runHealthCheck(),
  },
};

function usage(command?: string): string {
  const lines = command
    ? [`Usage: litellm-workflows ${command} ${COMMANDS[command]!.usage}`]
    : [
        'Usage: litellm-workflows <command> [flags]      (litellm-workflows help <command> for one command)',
        '',
        'Commands:',
        ...Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(16)}${c.usage}`),
        '',
        '--wait waits for the outcome; with --on-failure pause it returns when a step awaits an operator (exit 4).',
        'Temporal is reached through TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE and LITELLM_TASK_QUEUE, payloads',
        'decrypted with LITELLM_WORKFLOWS_ENCRYPTION_KEYS(_FILE); beside `npm run dev` both come from .dev/.',
      ];
  return [
    ...lines,
    '',
    'Exit codes: 0 completed, 1 failed or rolled back, 2 bad input or refused decision,',
    '            3 another operation on the entity is running, 4 awaiting an operator decision.',
  ].join('\n');
}

/** Schema errors with each field named by the flag that fills it. */
function flagNamed(err: InvalidInputError): string {
  const issues = err.issues.map(({ field, message }) => `${flagOfField(field, FLAGS) ?? field} ${message}`);
  return `Invalid input: ${issues.join('; ')}`;
}

/** One line on stderr, secrets masked and long ids cut. */
function complain(message: string): void {
  process.stderr.write(`${clipWords(String(redact(message)))}\n`);
}

export async function main(argv: string[], env: Env = process.env): Promise<number> {
  let parsed: ParsedCommandLine;
  try {
    parsed = parseCommandLine(argv, COMMANDS, FLAGS);
  } catch (err) {
    const topic = argv[0] !== undefined && argv[0] in COMMANDS ? ` ${argv[0]}` : '';
    complain(`${(err as Error).message}. See: litellm-workflows help${topic}`);
    return EXIT.badInput;
  }
  if (parsed.help || !parsed.command) {
    process.stdout.write(`${usage(parsed.command)}\n`);
    return EXIT.ok;
  }
  const command = COMMANDS[parsed.command]!;
  let workflows: LiteLLMWorkflowsClient | undefined;
  try {
    const missing = (command.required ?? []).filter((flag) => parsed.values[flag] === undefined);
    if (missing.length > 0)
      throw new UsageError(`${missing.map((f) => `--${f}`).join(', ')} ${missing.length > 1 ? 'are' : 'is'} required`);
    return await command.run({
      values: parsed.values,
      client: async () => {
        const settings = withDevSession(env);
        workflows ??= await LiteLLMWorkflowsClient.connect(
          loadTemporalConfig(settings),
          requireEncryptionKeys(settings)
        );
        return workflows;
      },
    });
  } catch (err) {
    if (
      err instanceof UsageError ||
      err instanceof FleetUsageError ||
      err instanceof ConfigError ||
      err instanceof DecisionRefusedError
    ) {
      complain(err.message);
      return EXIT.badInput;
    }
    if (err instanceof InvalidInputError) {
      complain(flagNamed(err));
      return EXIT.badInput;
    }
    if (err instanceof WorkflowNotFoundError) {
      complain(`No operation ${err.workflowId}: nothing was started under that id (or its history has expired)`);
      return EXIT.badInput;
    }
    if (err instanceof OperationInProgressError) {
      print({ status: 'in_progress', workflowId: err.workflowId, error: clipWords(err.message) });
      return EXIT.inProgress;
    }
    complain(err instanceof Error ? err.message : String(err));
    return EXIT.failed;
  } finally {
    await workflows?.close();
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      complain(err instanceof Error ? err.message : String(err));
      process.exit(EXIT.failed);
    }
  );
}
