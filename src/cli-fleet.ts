/**
 * The fleet commands of the CLI: `migrate-fleet` starts a `migrateFleet` from a file of users,
 * `fleet-status` shows its progress, `fleet-pause` / `fleet-resume` / `fleet-cancel` steer it.
 */
import { readFileSync } from 'node:fs';
import type { LiteLLMWorkflowsClient } from './client';
import type { FleetUser } from './workflows/definitions';

export const FLEET_COMMANDS = ['migrate-fleet', 'fleet-status', 'fleet-pause', 'fleet-resume', 'fleet-cancel'];

export class FleetUsageError extends Error {}

/** Users from a JSON array or JSON lines; the input schema checks each entry and names the field. */
export function readFleetFile(path: string): FleetUser[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new FleetUsageError(`--file: cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  const trimmed = text.trim();
  try {
    if (trimmed.startsWith('[')) return JSON.parse(trimmed) as FleetUser[];
    return trimmed
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => JSON.parse(line) as FleetUser);
  } catch {
    // Never echo the content: it holds users' stored keys.
    throw new FleetUsageError('--file: not a JSON array nor JSON lines');
  }
}

export async function fleetCommand(
  workflows: LiteLLMWorkflowsClient,
  command: string,
  values: { 'fleet-id'?: string; file?: string; concurrency?: string; wait?: boolean }
): Promise<unknown> {
  const fleetId = values['fleet-id'];
  if (!fleetId) throw new FleetUsageError('--fleet-id is required');
  switch (command) {
    case 'migrate-fleet': {
      if (!values.file) throw new FleetUsageError('--file is required');
      const concurrency = values.concurrency === undefined ? undefined : Number(values.concurrency);
      if (concurrency !== undefined && !/^\d+$/.test(values.concurrency ?? '')) {
        throw new FleetUsageError('--concurrency must be a positive integer');
      }
      const handle = await workflows.startMigrateFleet(fleetId, {
        users: readFleetFile(values.file),
        ...(concurrency !== undefined ? { liteLLMConcurrency: concurrency } : {}),
      });
      if (values.wait) return { workflowId: handle.workflowId, status: 'completed', result: await handle.result() };
      return { workflowId: handle.workflowId, status: 'started' };
    }
    case 'fleet-status':
      return workflows.fleetProgress(fleetId);
    default:
      return workflows.controlFleet(fleetId, command.replace('fleet-', '') as 'pause' | 'resume' | 'cancel');
  }
}
