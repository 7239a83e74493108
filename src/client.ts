/**
 * The typed way for an app to start and steer the workflows: inputs validated before anything starts, one
 * operation per entity at a time, and the operator's view (state, resume, rollback).
 *
 * ```ts
 * const workflows = await LiteLLMWorkflowsClient.connect(loadTemporalConfig(), requireEncryptionKeys());
 * const result = await workflows.executeMigrateEntries({ orgId, userId, userSettings });
 * ```
 */
import { randomUUID } from 'node:crypto';
import {
  ApplicationFailure,
  Client,
  Connection,
  WorkflowFailedError,
  WorkflowNotFoundError,
  type WorkflowHandle,
  type WorkflowHandleWithFirstExecutionRunId,
  type WorkflowHandleWithStartDetails,
  type WorkflowIdReusePolicy,
} from '@temporalio/client';
import { decideOrRefuse, DecisionRefusedError, OperationInProgressError, startExclusive } from './client-errors';
import { createDataConverter } from './codec/data-converter';
import type { EncryptionKey } from './codec/crypto-codec';
import { temporalConnectionOptions, type TemporalConfig } from './config';
import {
  doctorInputSchema,
  repairFleetInputSchema,
  InvalidInputError,
  inputSchemas,
  migrateFleetInputSchema,
  parseInput,
} from './inputs';
import { redactText } from './redact';
import { ORG_ID, STATE, TEAM_ID, USER_ID } from './search-attributes';
import {
  decideUpdate,
  resolveFailurePolicy,
  stateQuery,
  workflowIds,
  type AddTeamCreditsInput,
  type Decision,
  type CreateEntriesInput,
  type DowngradeEntriesInput,
  type FailurePolicy,
  type MigrateEntriesInput,
  type OperationName,
  type OperationState,
  type SetTeamBudgetInput,
  fleetWorkflowId,
  type MigrateFleetInput,
} from './workflows/definitions';
import {
  fleetControlUpdate,
  fleetProgressQuery,
  type FleetCommand,
  type WindowProgress,
} from './workflows/child-window';
import type * as workflows from './workflows';
import { staticDetails, staticSummary } from './workflows/operator-details';
import {
  DOCTOR_WORKFLOW_ID,
  doctorProgressQuery,
  type DoctorInput,
  type DoctorProgress,
  type DoctorReport,
} from './workflows/doctor-contract';
import type { RepairFleetInput } from './workflows/repair-fleet';
import type { OperationPlan, PlannedOperation } from './workflows/plan-contract';

export { InvalidInputError };
export { DecisionRefusedError, OperationInProgressError };

/** `getStatus`: a running operation's state, or how a finished one ended (read without a worker). */
export type OperationStatus =
  | ({ status: 'running' } & OperationState)
  | { status: 'completed'; result: unknown }
  | ({
      status: 'failed' | 'cancelled' | 'terminated' | 'timed_out';
      /** Redacted. */
      error: string;
      failureType?: string;
    } & Partial<OperationState>);

const FINISHED_STATUS: Partial<Record<string, 'failed' | 'cancelled' | 'terminated' | 'timed_out'>> = {
  FAILED: 'failed',
  CANCELLED: 'cancelled',
  TERMINATED: 'terminated',
  TIMED_OUT: 'timed_out',
};

type Workflows = typeof workflows;
type ResultOf<N extends OperationName> = Awaited<ReturnType<Workflows[N]>>;

/** Operations a user waits for (sign-in, migration): started eagerly when {@link ClientOptions.eagerStart}. */
const LATENCY_SENSITIVE: readonly OperationName[] = ['createEntries', 'migrateEntries'];

export interface ClientOptions {
  /**
   * Eager workflow start for create-entries and migrate: the server hands the first workflow task straight
   * back to a worker in this process, saving a dispatch round trip. Only when this client's connection is the
   * `NativeConnection` of a worker in the same process (an SDK requirement) and the server enables it
   * (`system.enableEagerWorkflowStart`); the server falls back to a normal start otherwise. @default false
   */
  eagerStart?: boolean;
}

export class LiteLLMWorkflowsClient {
  constructor(
    readonly client: Client,
    readonly taskQueue: string,
    private readonly options: ClientOptions = {}
  ) {}

  /** Connects with the encrypting data converter, so inputs go out encrypted and results come back readable. */
  static async connect(config: TemporalConfig, encryptionKeys: EncryptionKey[]): Promise<LiteLLMWorkflowsClient> {
    const connection = await Connection.connect(temporalConnectionOptions(config));
    return new LiteLLMWorkflowsClient(
      new Client({ connection, namespace: config.namespace, dataConverter: createDataConverter(encryptionKeys) }),
      config.taskQueue
    );
  }

  async close(): Promise<void> {
    await this.client.connection.close();
  }

  async startCreateEntries(input: CreateEntriesInput) {
    const parsed = parseInput('createEntries', inputSchemas.createEntries, input);
    return this.start('createEntries', parsed, workflowIds.tenancy(parsed.orgId, parsed.userId), {
      orgId: parsed.orgId,
      userId: parsed.userId,
    });
  }

  async startMigrateEntries(input: MigrateEntriesInput) {
    const parsed = parseInput('migrateEntries', inputSchemas.migrateEntries, input);
    return this.start('migrateEntries', parsed, workflowIds.tenancy(parsed.orgId, parsed.userId), {
      orgId: parsed.orgId,
      userId: parsed.userId,
    });
  }

  async startDowngradeEntries(input: DowngradeEntriesInput) {
    const parsed = parseInput('downgradeEntries', inputSchemas.downgradeEntries, input);
    return this.start('downgradeEntries', parsed, workflowIds.tenancy(parsed.orgId, parsed.userId), {
      orgId: parsed.orgId,
      userId: parsed.userId,
    });
  }

  async startSetTeamBudget(input: SetTeamBudgetInput) {
    const parsed = parseInput('setTeamBudget', inputSchemas.setTeamBudget, input);
    return this.start('setTeamBudget', parsed, workflowIds.teamBudget(parsed.teamId), { teamId: parsed.teamId });
  }

  /**
   * Adds a purchase's credits exactly once: a second call with the same purchase id returns the handle of
   * the run that is running or completed instead of adding again. Only after a failed run (which rolled
   * back, adding nothing) may the purchase start again.
   */
  async startAddTeamCredits(input: AddTeamCreditsInput): Promise<WorkflowHandle<Workflows['addTeamCredits']>> {
    const parsed = parseInput('addTeamCredits', inputSchemas.addTeamCredits, input);
    const workflowId = workflowIds.credits(parsed.purchaseId);
    try {
      return await this.start(
        'addTeamCredits',
        parsed,
        workflowId,
        { orgId: parsed.orgId, userId: parsed.userId, teamId: parsed.orgId },
        'ALLOW_DUPLICATE_FAILED_ONLY'
      );
    } catch (err) {
      if (err instanceof OperationInProgressError) return this.client.workflow.getHandle(workflowId);
      throw err;
    }
  }

  async executeCreateEntries(input: CreateEntriesInput): Promise<ResultOf<'createEntries'>> {
    return (await this.startCreateEntries(input)).result();
  }

  async executeMigrateEntries(input: MigrateEntriesInput): Promise<ResultOf<'migrateEntries'>> {
    return (await this.startMigrateEntries(input)).result();
  }

  async executeDowngradeEntries(input: DowngradeEntriesInput): Promise<ResultOf<'downgradeEntries'>> {
    return (await this.startDowngradeEntries(input)).result();
  }

  async executeSetTeamBudget(input: SetTeamBudgetInput): Promise<ResultOf<'setTeamBudget'>> {
    return (await this.startSetTeamBudget(input)).result();
  }

  async executeAddTeamCredits(input: AddTeamCreditsInput): Promise<ResultOf<'addTeamCredits'>> {
    return (await this.startAddTeamCredits(input)).result();
  }

  /**
   * `workflowId`, or `legacyWorkflowId` when only a run under that id exists: runs started before workflow id
   * parts were escaped keep their old id (it differs only for ids containing `:` or `%`).
   */
  async findWorkflowId(workflowId: string, legacyWorkflowId: string): Promise<string> {
    if (workflowId === legacyWorkflowId) return workflowId;
    const exists = (id: string) =>
      this.client.workflow
        .getHandle(id)
        .describe()
        .then(
          () => true,
          (err: unknown) => {
            if (err instanceof WorkflowNotFoundError) return false;
            throw err;
          }
        );
    return !(await exists(workflowId)) && (await exists(legacyWorkflowId)) ? legacyWorkflowId : workflowId;
  }

  /** Migrates many users through a window of `migrateEntries` children (workflow id `litellm-fleet:<fleetId>`). */
  async startMigrateFleet(fleetId: string, input: MigrateFleetInput) {
    const parsed = parseInput('migrateFleet', migrateFleetInputSchema, input);
    const id = parseInput('migrateFleet', inputSchemas.downgradeEntries.shape.orgId, fleetId);
    return startExclusive<Workflows['migrateFleet']>(this.client, 'migrateFleet', {
      taskQueue: this.taskQueue,
      workflowId: fleetWorkflowId(id),
      args: [parsed],
      typedSearchAttributes: [{ key: STATE, value: 'Running' }],
    });
  }

  /** A fleet's progress: done, failed, rolled back, running, rate and ETA. */
  fleetProgress(fleetId: string): Promise<WindowProgress> {
    return this.client.workflow.getHandle(fleetWorkflowId(fleetId)).query(fleetProgressQuery);
  }

  /** Pauses, resumes or cancels a whole fleet (running migrations of a cancelled fleet roll back). */
  controlFleet(fleetId: string, command: FleetCommand): Promise<WindowProgress> {
    const workflowId = fleetWorkflowId(fleetId);
    return decideOrRefuse(workflowId, () =>
      this.client.workflow.getHandle(workflowId).executeUpdate(fleetControlUpdate, { args: [command] })
    );
  }

  /**
   * Starts the fleet doctor: it reads all of LiteLLM and reports residue, writing nothing. One runs at a
   * time: a second start raises `OperationInProgressError` with the running id.
   */
  async startDoctor(
    input: DoctorInput = {},
    workflowId = DOCTOR_WORKFLOW_ID
  ): Promise<WorkflowHandleWithFirstExecutionRunId<Workflows['doctor']>> {
    parseInput('doctor', doctorInputSchema, input);
    return startExclusive<Workflows['doctor']>(this.client, 'doctor', {
      taskQueue: this.taskQueue,
      workflowId,
      args: [input],
      workflowIdReusePolicy: 'ALLOW_DUPLICATE',
    });
  }

  async executeDoctor(input: DoctorInput = {}, workflowId = DOCTOR_WORKFLOW_ID) {
    return (await this.startDoctor(input, workflowId)).result();
  }

  /** Where a running doctor is: pages read, counts so far, findings kept. */
  doctorProgress(workflowId = DOCTOR_WORKFLOW_ID): Promise<DoctorProgress> {
    return this.client.workflow.getHandle(workflowId).query(doctorProgressQuery);
  }

  /**
   * Repairs a doctor report's findings through the fleet window (workflow id `litellm-fleet:<repairId>`, so
   * `fleetProgress` and `controlFleet` steer it like a migration fleet). Findings without a repair are skipped.
   */
  async startRepair(
    report: Pick<DoctorReport, 'findings'>,
    repairId = 'doctor-repair',
    options: Omit<RepairFleetInput, 'repairs'> = {}
  ) {
    const input: RepairFleetInput = {
      ...options,
      repairs: report.findings.flatMap((f) => (f.repair ? [f.repair] : [])),
    };
    parseInput('repairFleet', repairFleetInputSchema, input);
    return startExclusive<Workflows['repairFleet']>(this.client, 'repairFleet', {
      taskQueue: this.taskQueue,
      workflowId: fleetWorkflowId(repairId),
      args: [input],
    });
  }

  /**
   * What `operation` would do with `input`, step by step (before → after, and each step's undo), computed by
   * the workflow's own decision code from LiteLLM as it is now. Nothing is written.
   */
  async plan(operation: PlannedOperation, input: unknown): Promise<OperationPlan> {
    parseInput(operation, inputSchemas[operation], input);
    return this.client.workflow.execute<Workflows['planOperation']>('planOperation', {
      taskQueue: this.taskQueue,
      workflowId: `litellm-plan:${randomUUID()}`,
      args: [{ operation, input }],
    });
  }

  /** The operation's progress: each step, the last error, the decision awaited. Needs a worker (a query). */
  getState(workflowId: string): Promise<OperationState> {
    return this.client.workflow.getHandle(workflowId).query(stateQuery);
  }

  /**
   * Where an operation stands. A running one answers the `state` query; a finished one is read from the
   * server alone (its result, or its failure with the state a rollback attached), so no worker is needed.
   */
  async getStatus(workflowId: string): Promise<OperationStatus> {
    const handle = this.client.workflow.getHandle(workflowId);
    const { status } = await handle.describe();
    if (status.name === 'RUNNING') return { status: 'running', ...(await handle.query(stateQuery)) };
    try {
      return { status: 'completed', result: await handle.result() };
    } catch (err) {
      if (!(err instanceof WorkflowFailedError)) throw err;
      const cause = err.cause;
      const state =
        cause instanceof ApplicationFailure ? (cause.details?.[0] as OperationState | undefined) : undefined;
      return {
        status: FINISHED_STATUS[status.name] ?? 'failed',
        error: redactText(cause?.message ?? err.message),
        failureType: (cause instanceof ApplicationFailure ? cause.type : cause?.name) ?? undefined,
        ...(state?.phase ? state : {}),
      };
    }
  }

  /** Operator: run the failed step again (for example after LiteLLM was fixed). */
  resume(workflowId: string): Promise<OperationState> {
    return this.decide(workflowId, 'retry');
  }

  /**
   * Operator: undo what the operation did. A paused operation is told to roll back; a running one is
   * cancelled, which rolls back too and ends as cancelled.
   */
  async rollback(workflowId: string): Promise<OperationState> {
    const state = await this.getState(workflowId);
    if (state.awaiting?.allowed.includes('rollback')) return this.decide(workflowId, 'rollback');
    if (state.phase !== 'running') {
      throw new DecisionRefusedError(workflowId, `the operation is ${state.phase} and cannot be rolled back now`);
    }
    await this.client.workflow.getHandle(workflowId).cancel();
    return this.getState(workflowId);
  }

  /**
   * Operator: leave a failed undo step as it is and go on undoing the rest (offered only while an undo step
   * awaits a decision, e.g. a key LiteLLM no longer knows). The step shows as skipped in the state.
   */
  skip(workflowId: string): Promise<OperationState> {
    return this.decide(workflowId, 'skip');
  }

  private decide(workflowId: string, decision: Decision): Promise<OperationState> {
    return decideOrRefuse(workflowId, () =>
      this.client.workflow.getHandle(workflowId).executeUpdate(decideUpdate, { args: [decision] })
    );
  }

  private start<N extends OperationName>(
    operation: N,
    input: Parameters<Workflows[N]>[0],
    workflowId: string,
    ids: { orgId?: string; userId?: string; teamId?: string },
    reusePolicy: WorkflowIdReusePolicy = 'ALLOW_DUPLICATE'
  ): Promise<WorkflowHandleWithStartDetails<Workflows[N]>> {
    const searchAttributes = [
      ...(ids.orgId ? [{ key: ORG_ID, value: ids.orgId }] : []),
      ...(ids.userId ? [{ key: USER_ID, value: ids.userId }] : []),
      ...(ids.teamId ? [{ key: TEAM_ID, value: ids.teamId }] : []),
      { key: STATE, value: 'Running' },
    ];
    const policy = resolveFailurePolicy((input as { failurePolicy?: FailurePolicy }).failurePolicy);
    return startExclusive<Workflows[N]>(this.client, operation, {
      taskQueue: this.taskQueue,
      workflowId,
      args: [input] as Parameters<Workflows[N]>,
      workflowIdReusePolicy: reusePolicy,
      typedSearchAttributes: searchAttributes,
      ...(this.options.eagerStart && LATENCY_SENSITIVE.includes(operation) ? { requestEagerStart: true } : {}),
      // What the Web UI shows above the history; the saga keeps the current details up to date.
      staticSummary: staticSummary(operation, ids, policy),
      staticDetails: staticDetails(operation, ids, policy),
    });
  }
}
