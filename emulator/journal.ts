// Record of every admin API call (control endpoints excluded), with secrets masked so the journal can be
// printed or snapshotted without leaking the master key or any virtual key.
import type { JournalEntry } from './types';

/** Long-running `npm run dev` sessions should not grow without bound. */
const MAX_ENTRIES = 100_000;
const SECRET_IN_TEXT = /sk-[A-Za-z0-9_-]{4,}/g;

/** 'sk-…' + last 4 characters (short values lose everything but the prefix). */
function maskSecret(value: string): string {
  const prefix = value.startsWith('sk-') ? 'sk-' : '';
  return value.length >= 12 ? `${prefix}…${value.slice(-4)}` : `${prefix}…`;
}

export class Journal {
  private entries: JournalEntry[] = [];

  constructor(private readonly masterKey: string) {}

  add(entry: JournalEntry): void {
    if (this.entries.length >= MAX_ENTRIES) this.entries.shift();
    this.entries.push(entry);
  }

  list(): JournalEntry[] {
    return structuredClone(this.entries);
  }

  clear(): void {
    this.entries = [];
  }

  /** Deep copy of a JSON value with every secret masked; values under `key`/`keys` are always treated as secrets. */
  mask(value: unknown, secret = false): unknown {
    if (typeof value === 'string') return secret || value.startsWith('sk-') ? maskSecret(value) : this.maskText(value);
    if (Array.isArray(value)) return value.map((v) => this.mask(v, secret));
    if (typeof value === 'object' && value !== null) {
      return Object.fromEntries(
        Object.entries(value).map(([k, v]) => [k, this.mask(v, secret || k === 'key' || k === 'keys')])
      );
    }
    return value;
  }

  /** Secrets embedded in free text (a body that is not JSON, a note in metadata). */
  maskText(text: string): string {
    const withoutMaster = this.masterKey ? text.split(this.masterKey).join(maskSecret(this.masterKey)) : text;
    return withoutMaster.replace(SECRET_IN_TEXT, (s) => maskSecret(s));
  }
}
