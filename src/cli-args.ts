/**
 * The CLI's command line, read strictly: one command, then `--flag value` / `--flag=value` pairs. A flag's
 * value is the next word as typed, so `--amount -5` reaches the input schema (which refuses it, naming
 * `--amount`) instead of being read as a flag. Unknown flags get the nearest known one as a suggestion;
 * a repeated flag, a missing value or an extra word is refused. Every error names the flag.
 */

/** Refused command line (exit 2). */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export interface FlagSpec {
  type: 'string' | 'boolean';
  /** The input field this flag fills (a dotted path), so schema errors can name the flag instead. */
  field?: string;
}

export interface ParsedCommandLine {
  /** Undefined for `help` / `--help` without a command. */
  command?: string;
  values: Record<string, string | boolean>;
  help: boolean;
}

/** Longer words in error messages are cut: an id may be thousands of characters long. */
const MAX_SHOWN = 80;

/** A word as error messages show it: cut to {@link MAX_SHOWN} characters. */
export function shown(word: string): string {
  return word.length > MAX_SHOWN ? `${word.slice(0, MAX_SHOWN - 20)}…(${word.length} characters)` : word;
}

/** Every over-long word of a message cut, whatever produced the message. */
export function clipWords(message: string): string {
  return message.replace(new RegExp(`\\S{${MAX_SHOWN + 1},}`, 'g'), shown);
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}

/** The candidate nearest to `word`, when it is near enough to be a typo. */
export function nearest(word: string, candidates: readonly string[]): string | undefined {
  let best: { candidate: string; distance: number } | undefined;
  for (const candidate of candidates) {
    const distance = editDistance(word, candidate);
    if (!best || distance < best.distance) best = { candidate, distance };
  }
  return best && best.distance <= Math.max(2, Math.floor(word.length / 3)) ? best.candidate : undefined;
}

const didYouMean = (suggestion: string | undefined) => (suggestion ? ` (did you mean ${suggestion}?)` : '');

const isHelp = (word: string) => word === '--help' || word === '-h' || word === 'help';

/**
 * Reads `argv` against the commands and the flags each accepts. `help`, `--help`, `-h` anywhere ask for
 * help (on the command, when one is named).
 */
export function parseCommandLine(
  argv: readonly string[],
  commands: Readonly<Record<string, { flags: readonly string[] }>>,
  flags: Readonly<Record<string, FlagSpec>>
): ParsedCommandLine {
  const [first, ...rest] = argv;
  if (first === undefined) throw new UsageError('name a command');
  if (isHelp(first)) {
    const topic = rest.find((w) => !w.startsWith('-'));
    if (topic !== undefined && !(topic in commands)) throw unknownCommand(topic, Object.keys(commands));
    return { command: topic, values: {}, help: true };
  }
  if (first.startsWith('-')) throw new UsageError(`name a command before the flags (got ${shown(first)})`);
  if (!(first in commands)) throw unknownCommand(first, Object.keys(commands));
  const command = first;
  const accepted = commands[command]!.flags;
  if (rest.some(isHelp)) return { command, values: {}, help: true };

  const values: Record<string, string | boolean> = {};
  for (let i = 0; i < rest.length; i++) {
    const word = rest[i]!;
    if (!word.startsWith('--')) {
      throw new UsageError(`unexpected argument "${shown(word)}": ${command} takes only --flags`);
    }
    const equals = word.indexOf('=');
    const name = word.slice(2, equals === -1 ? undefined : equals);
    const flag = `--${name}`;
    if (!accepted.includes(name)) {
      const known = name in flags ? ` is not a flag of ${command}` : ' is not a known flag';
      const suggestion = nearest(name, accepted);
      throw new UsageError(`${shown(flag)}${known}${didYouMean(suggestion && `--${suggestion}`)}`);
    }
    if (name in values) throw new UsageError(`${flag} is given twice: give it once`);
    const spec = flags[name]!;
    if (spec.type === 'boolean') {
      if (equals !== -1) throw new UsageError(`${flag} takes no value`);
      values[name] = true;
      continue;
    }
    let value: string | undefined;
    if (equals !== -1) value = word.slice(equals + 1);
    else if (i + 1 < rest.length && !rest[i + 1]!.startsWith('--')) value = rest[++i];
    if (value === undefined) throw new UsageError(`${flag} needs a value`);
    values[name] = value;
  }
  return { command, values, help: false };
}

function unknownCommand(word: string, commands: string[]): UsageError {
  return new UsageError(`unknown command "${shown(word)}"${didYouMean(nearest(word, commands))}`);
}

/** Plain decimals only: `25`, `-5`, `12.50`. Hex, exponents, `Infinity` and blanks are refused at the flag. */
const PLAIN_DECIMAL = /^-?\d+(\.\d+)?$/;

/** A number flag's value; its range is the input schema's to check (and it names the flag). */
export function numberFlag(values: ParsedCommandLine['values'], name: string): number | undefined {
  const raw = values[name];
  if (raw === undefined) return undefined;
  if (typeof raw !== 'string' || !PLAIN_DECIMAL.test(raw)) {
    throw new UsageError(`--${name} must be a plain decimal number, like 25 or 12.5`);
  }
  return Number(raw);
}

/** An input field path (`userSettings.billingMargin`) as the flag that fills it, when one does. */
export function flagOfField(field: string, flags: Readonly<Record<string, FlagSpec>>): string | undefined {
  const match = Object.entries(flags).find(([, spec]) => spec.field === field);
  return match ? `--${match[0]}` : undefined;
}
