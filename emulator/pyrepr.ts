// LiteLLM builds its error messages with Python f-strings and repr(); clients match on that text,
// so the emulator renders values exactly the way CPython would.

/** repr() of a Python str: single quotes unless the text holds a ' and no ". */
export function pyStrRepr(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of s) {
    const code = ch.codePointAt(0) ?? 0;
    if (ch === '\\') out += '\\\\';
    else if (ch === quote) out += `\\${quote}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return out + quote;
}

/** repr() of a Python float (every spend/budget column is a float in LiteLLM). */
export function pyFloat(n: number): string {
  if (Number.isNaN(n)) return 'nan';
  if (!Number.isFinite(n)) return n > 0 ? 'inf' : '-inf';
  const [mantissa = '0', expText = '0'] = n.toExponential().split('e');
  const exp = Number(expText);
  if (exp < -4 || exp >= 16) {
    return `${mantissa}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  }
  const fixed = String(n);
  return Number.isInteger(n) ? `${fixed}.0` : fixed;
}

/** Text already rendered the Python way, for values JSON cannot type (a float that looks like an int). */
export class PyRaw {
  constructor(readonly text: string) {}
}

/** A float column for use inside pyRepr/pyModelRepr: None or e.g. 10.0. */
export function pyOptFloat(n: number | null): PyRaw {
  return new PyRaw(n === null ? 'None' : pyFloat(n));
}

/** repr() of a JSON-like value as Python would print the equivalent dict/list/str/number. */
export function pyRepr(value: unknown): string {
  if (value === null || value === undefined) return 'None';
  if (value instanceof PyRaw) return value.text;
  if (typeof value === 'string') return pyStrRepr(value);
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : pyFloat(value);
  if (Array.isArray(value)) return `[${value.map(pyRepr).join(', ')}]`;
  if (typeof value === 'object') {
    const items = Object.entries(value as Record<string, unknown>).map(([k, v]) => `${pyStrRepr(k)}: ${pyRepr(v)}`);
    return `{${items.join(', ')}}`;
  }
  return typeof value === 'bigint' ? value.toString() : '';
}

/** str() of a value inside an f-string: strings bare, everything else as repr. */
export function pyStr(value: unknown): string {
  return typeof value === 'string' ? value : pyRepr(value);
}

/** repr()/str() of a pydantic v2 model, e.g. Member(user_id='u1', user_email=None, role='admin'). */
export function pyModelRepr(className: string, fields: Record<string, unknown>): string {
  const parts = Object.entries(fields).map(([k, v]) => `${k}=${pyRepr(v)}`);
  return `${className}(${parts.join(', ')})`;
}

export function pyModelStr(fields: Record<string, unknown>): string {
  return Object.entries(fields)
    .map(([k, v]) => `${k}=${pyRepr(v)}`)
    .join(' ');
}

/** str(datetime) of an aware UTC datetime: '2025-01-02 03:04:05.678000+00:00'. */
export function pyDatetimeStr(date: Date): string {
  return date.toISOString().replace('T', ' ').replace('Z', '000+00:00');
}

/** datetime.isoformat() as FastAPI serialises it: '2025-01-02T03:04:05.678000+00:00'. */
export function pyIsoformat(date: Date): string {
  return date.toISOString().replace('Z', '000+00:00');
}
