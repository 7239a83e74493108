/**
 * Reads the YAML subset our compose file is written in, with no dependency: block mappings and sequences,
 * flow sequences (also over several lines), plain and quoted scalars, comments, anchors, aliases and `<<`
 * merges. Scalars stay strings (compose's own reading of `5432` or `true` does not matter to the checks).
 * Anything outside the subset (block scalars, flow mappings, mappings inside sequences, tabs) throws naming
 * the line, so a new construct in the file fails the test loudly instead of being misread.
 */
export type YamlValue = string | null | YamlValue[] | { [key: string]: YamlValue };

interface Line {
  indent: number;
  text: string;
  number: number;
}

/** The line without its comment: a `#` at the start or after a space, outside quotes. */
function stripComment(text: string): string {
  let quote: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote) {
      if (c === '\\' && quote === '"') i++;
      else if (c === quote) quote = undefined;
    } else if (c === "'" || c === '"') {
      quote = c;
    } else if (c === '#' && (i === 0 || /\s/.test(text[i - 1]!))) {
      return text.slice(0, i).trimEnd();
    }
  }
  return text.trimEnd();
}

class Parser {
  private pos = 0;
  private readonly anchors = new Map<string, YamlValue>();

  constructor(private readonly lines: Line[]) {}

  document(): YamlValue {
    const value = this.block(0);
    if (this.pos < this.lines.length) this.fail(this.lines[this.pos]!, 'unexpected indentation');
    return value;
  }

  private fail(line: Line, problem: string): never {
    throw new Error(`YAML line ${line.number}: ${problem} (outside the subset this reader supports)`);
  }

  private block(indent: number): YamlValue {
    const first = this.lines[this.pos];
    if (!first || first.indent < indent) return null;
    if (first.text.startsWith('[')) {
      this.pos++;
      return this.flowSequence(first.text, first);
    }
    return first.text === '-' || first.text.startsWith('- ') ? this.sequence(first.indent) : this.mapping(first.indent);
  }

  private mapping(indent: number): { [key: string]: YamlValue } {
    const own: { [key: string]: YamlValue } = {};
    const merged: { [key: string]: YamlValue } = {};
    for (let line = this.lines[this.pos]; line && line.indent === indent; line = this.lines[this.pos]) {
      const match = /^('[^']*'|"[^"]*"|[^'"\s][^:]*?):(?:\s+(.*))?$/.exec(line.text);
      if (!match) this.fail(line, 'expected "key: value"');
      const key = unquote(match[1]!);
      this.pos++;
      const value = this.value(match[2] ?? '', line, indent);
      if (key === '<<') {
        if (typeof value !== 'object' || value === null || Array.isArray(value)) this.fail(line, '<< needs a mapping');
        Object.assign(merged, value);
      } else {
        if (key in own) this.fail(line, `duplicate key "${key}"`);
        own[key] = value;
      }
    }
    // Keys of the mapping itself win over merged ones, wherever the `<<` stands.
    return { ...merged, ...own };
  }

  private sequence(indent: number): YamlValue[] {
    const items: YamlValue[] = [];
    for (let line = this.lines[this.pos]; line && line.indent === indent; line = this.lines[this.pos]) {
      if (line.text !== '-' && !line.text.startsWith('- ')) this.fail(line, 'expected "- item"');
      const item = line.text.slice(1).trim();
      if (/^[\w.-]+:(\s|$)/.test(item)) this.fail(line, 'a mapping inside a sequence');
      this.pos++;
      items.push(this.value(item, line, indent));
    }
    return items;
  }

  /** The value after `key:` or `- `; a nested block when it is empty. */
  private value(text: string, line: Line, indent: number): YamlValue {
    const anchor = /^&([\w-]+)\s*(.*)$/.exec(text);
    if (anchor) {
      const value = this.value(anchor[2]!, line, indent);
      this.anchors.set(anchor[1]!, value);
      return value;
    }
    const alias = /^\*([\w-]+)$/.exec(text);
    if (alias) {
      if (!this.anchors.has(alias[1]!)) this.fail(line, `unknown alias *${alias[1]}`);
      return this.anchors.get(alias[1]!)!;
    }
    if (text === '') {
      const next = this.lines[this.pos];
      return next && next.indent > indent ? this.block(next.indent) : null;
    }
    if (text.startsWith('[')) return this.flowSequence(text, line);
    if (/^[{|>!%@`]/.test(text)) this.fail(line, `unsupported value "${text}"`);
    return scalar(text, (problem) => this.fail(line, problem));
  }

  /** `[a, 'b c', "d"]`, joined with the following lines until the bracket closes. */
  private flowSequence(start: string, line: Line): YamlValue[] {
    let text = start;
    while (!closesFlow(text)) {
      const next = this.lines[this.pos++];
      if (!next) this.fail(line, 'unclosed "["');
      text += ` ${next.text}`;
    }
    const inner = text.trim();
    if (!inner.endsWith(']')) this.fail(line, 'text after "]"');
    const items: YamlValue[] = [];
    const token = /\s*('(?:[^']|'')*'|"(?:[^"\\]|\\.)*"|[^,'"[\]{}]+?)\s*(,|$)/y;
    const body = inner.slice(1, -1).trim();
    token.lastIndex = 0;
    while (token.lastIndex < body.length) {
      const match = token.exec(body);
      if (!match) this.fail(line, 'unsupported flow sequence item');
      items.push(scalar(match[1]!, (problem) => this.fail(line, problem)));
    }
    return items;
  }
}

function closesFlow(text: string): boolean {
  let depth = 0;
  let quote: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote) {
      if (c === '\\' && quote === '"') i++;
      else if (c === quote) quote = undefined;
    } else if (c === "'" || c === '"') quote = c;
    else if (c === '[') depth++;
    else if (c === ']') depth--;
  }
  return depth === 0;
}

function unquote(text: string): string {
  return /^(['"]).*\1$/.test(text) ? text.slice(1, -1) : text.trim();
}

function scalar(text: string, fail: (problem: string) => never): string {
  if (text.startsWith("'")) {
    if (!/^'(?:[^']|'')*'$/.test(text)) fail('unterminated single-quoted string');
    return text.slice(1, -1).replace(/''/g, "'");
  }
  if (text.startsWith('"')) {
    if (!/^"(?:[^"\\]|\\.)*"$/.test(text)) fail('unterminated double-quoted string');
    return JSON.parse(text) as string;
  }
  if (text.startsWith('*') || text.startsWith('&')) fail(`an anchor or alias inside "${text}"`);
  return text;
}

export function parseYaml(source: string): YamlValue {
  const lines: Line[] = [];
  for (const [index, raw] of source.split(/\r?\n/).entries()) {
    if (/^\s*\t/.test(raw)) throw new Error(`YAML line ${index + 1}: tab indentation`);
    const text = stripComment(raw);
    if (text.trim() === '' || text.trim() === '---') continue;
    lines.push({ indent: text.length - text.trimStart().length, text: text.trim(), number: index + 1 });
  }
  return new Parser(lines).document();
}
