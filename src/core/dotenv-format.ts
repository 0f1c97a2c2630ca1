import { parse } from 'dotenv';
import { AnchorError } from './errors.js';

export interface DotenvEntry {
  key: string;
  value: string;
  /** First and last line (1-based) the entry spans in the file. */
  line: number;
  endLine: number;
}

export interface DotenvProblem {
  line: number;
  message: string;
}

const ASSIGNMENT = /^\s*(?:export\s+)?([^=\s#]+)\s*=\s*(.*)$/;

/**
 * Reads a dotenv file: values through dotenv's own parser (quotes, multi-line values, `export`),
 * and a line scan of our own so every malformed line can be reported by number.
 */
export function parseDotenv(text: string): { entries: DotenvEntry[]; problems: DotenvProblem[] } {
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  const entries: DotenvEntry[] = [];
  const problems: DotenvProblem[] = [];
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i] ?? '';
    if (raw.trim() === '' || raw.trim().startsWith('#')) continue;
    const m = ASSIGNMENT.exec(raw);
    if (!m?.[1]) {
      problems.push({ line: i + 1, message: `expected KEY=VALUE, found "${truncate(raw.trim())}"` });
      continue;
    }
    const key = m[1];
    const rest = m[2] ?? '';
    const quote = rest[0];
    let end = i;
    if (quote === '"' || quote === "'" || quote === '`') {
      // A quoted value may run over several lines until its closing quote.
      const closesOnSameLine = findClosingQuote(rest.slice(1), quote) !== -1;
      if (!closesOnSameLine) {
        let j = i + 1;
        while (j < lines.length && findClosingQuote(lines[j] ?? '', quote) === -1) j++;
        if (j >= lines.length) {
          problems.push({ line: i + 1, message: `the value of ${key} opens a ${quote} quote that is never closed` });
          break;
        }
        end = j;
      }
    }
    const chunk = lines.slice(i, end + 1).join('\n');
    const parsed = parse(chunk);
    const value = parsed[key];
    if (value === undefined) {
      problems.push({ line: i + 1, message: `could not read the value of ${key}` });
    } else {
      entries.push({ key, value, line: i + 1, endLine: end + 1 });
    }
    i = end;
  }
  return { entries, problems };
}

function findClosingQuote(text: string, quote: string): number {
  for (let k = 0; k < text.length; k++) {
    if (text[k] === '\\' && quote === '"') {
      k++;
      continue;
    }
    if (text[k] === quote) return k;
  }
  return -1;
}

function truncate(text: string): string {
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}

/** Serializes a value so that dotenv reads back exactly the same string. */
export function formatDotenvValue(value: string): string {
  if (/^[A-Za-z0-9_./:@+,-]*$/.test(value)) return value;
  if (!value.includes('"') && !/\\n|\\r/.test(value)) return `"${value}"`;
  if (!value.includes("'")) return `'${value}'`;
  if (!value.includes('`')) return `\`${value}\``;
  throw new AnchorError({
    code: 'ENV_VALUE_UNQUOTABLE',
    kind: 'usage',
    message: 'This value contains all three quote characters (" \' `), which a dotenv file cannot hold.',
    hint: 'Change the value so that at least one kind of quote is unused.',
  });
}

export interface PullVar {
  key: string;
  value: string | null;
  secret: boolean;
}

export const SECRET_MARKER = 'anchor: secret, not pulled';

/**
 * Merges anchor's variables into an existing dotenv text: keys anchor knows get anchor's plain
 * value; keys only in the file are kept as they are; a secret is never written as an empty string:
 * an existing local value is kept, otherwise a commented marker says it must be set by hand.
 */
export function mergeDotenv(existing: string | null, vars: readonly PullVar[], header: string): { text: string; updated: string[]; added: string[]; keptLocal: string[]; secrets: string[] } {
  const lines = existing === null ? [] : existing.replace(/\r\n?/g, '\n').replace(/\n$/, '').split('\n');
  const { entries } = parseDotenv(existing ?? '');
  const byKey = new Map(vars.map((v) => [v.key, v]));
  const updated: string[] = [];
  const keptLocal: string[] = [];
  const secrets: string[] = [];
  const present = new Set<string>();
  // Replace from the end so earlier line numbers stay valid.
  for (const entry of [...entries].reverse()) {
    present.add(entry.key);
    const v = byKey.get(entry.key);
    if (!v) {
      keptLocal.unshift(entry.key);
      continue;
    }
    if (v.secret || v.value === null) {
      secrets.unshift(entry.key);
      continue;
    }
    if (v.value !== entry.value) {
      lines.splice(entry.line - 1, entry.endLine - entry.line + 1, `${v.key}=${formatDotenvValue(v.value)}`);
      updated.unshift(v.key);
    }
  }
  const added: string[] = [];
  const tail: string[] = [];
  for (const v of vars) {
    if (present.has(v.key)) continue;
    if (v.secret || v.value === null) {
      secrets.push(v.key);
      tail.push(`# ${v.key}: ${SECRET_MARKER}; its value is write-only. Set it here by hand:`, `# ${v.key}=`);
    } else {
      tail.push(`${v.key}=${formatDotenvValue(v.value)}`);
      added.push(v.key);
    }
  }
  if (tail.length > 0) {
    if (lines.length === 0) lines.push(header);
    else if (lines[lines.length - 1] !== '') lines.push('');
    lines.push(...tail);
  }
  return { text: lines.length === 0 ? '' : `${lines.join('\n')}\n`, updated, added, keptLocal, secrets: secrets.sort() };
}
