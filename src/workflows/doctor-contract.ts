/**
 * The doctor's contract with its callers (client, CLI, a Python app): input, progress, report, the progress
 * query and its workflow id. Pure: imported by workflow code and by the client.
 */
import { defineQuery } from '@temporalio/workflow';
import type { ClassCounts, Finding } from '../domain/doctor-findings';

/** One doctor at a time (a second start is refused as "already running"). */
export const DOCTOR_WORKFLOW_ID = 'litellm-doctor';

export interface DoctorInput {
  /** Users, and keys, read per page (LiteLLM allows at most 100). @default 100 */
  pageSize?: number;
  /** Findings the report lists; beyond that they are counted only. @default 1000 */
  maxFindings?: number;
  /** Page reads per run before continuing as new. @default 40 */
  pagesPerRun?: number;
  /** Carried across continue-as-new; callers leave it out. */
  progress?: DoctorProgress;
}

export interface DoctorProgress {
  startedAt: string;
  /** Next page of users to read, or null once all are read. */
  nextUserPage: number | null;
  /** Next page of keys to read, or null once all are read. */
  nextKeyPage: number | null;
  usersScanned: number;
  keysScanned: number;
  pagesRead: number;
  /** Runs so far (1 + continues-as-new). */
  runs: number;
  counts: ClassCounts;
  findings: Finding[];
  /** Findings beyond `maxFindings`: counted, not listed. */
  findingsOmitted: number;
}

export interface DoctorReport {
  startedAt: string;
  finishedAt: string;
  usersScanned: number;
  keysScanned: number;
  pagesRead: number;
  runs: number;
  /** Per class: users in each account class, and findings of every residue class. */
  counts: ClassCounts;
  totalFindings: number;
  /** No residue of any class. */
  clean: boolean;
  findings: Finding[];
  findingsOmitted: number;
}

export const doctorProgressQuery = defineQuery<DoctorProgress>('doctorProgress');
