#!/usr/bin/env node
// Lists the files over MAX_FILE_LINES lines (src, infra, scripts, bench, test) and the functions
// over MAX_FUNCTION_LINES lines (the same but test/, whose describe callbacks are lists of cases),
// and exits 1 if there are any (`npm run lint` runs it). A function that is data more than logic
// (a CloudFormation template, the CLI's command table) is exempt when the line above it says
// `// size-check: data (<what it is>)`.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

export const MAX_FILE_LINES = 400;
export const MAX_FUNCTION_LINES = 80;
const ROOTS = ['src', 'infra', 'scripts', 'bench', 'test'];
const SKIP = new Set(['node_modules', 'dist', 'fixtures', '.open-next', '.next']);
const EXEMPT = /\/\/ size-check: data \(.+\)\s*$/;
const FUNCTIONS_UNCHECKED = /^test\//;

function* codeFiles(dir) {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const entry of entries) {
    if (SKIP.has(entry.name)) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* codeFiles(path);
    else if (/\.(ts|mts|mjs|js)$/.test(entry.name) && !entry.name.endsWith('.d.ts')) yield path;
  }
}

function functionName(node, source) {
  if (node.name) return node.name.getText(source);
  if (ts.isConstructorDeclaration(node)) return 'constructor';
  const parent = node.parent;
  if (parent && (ts.isVariableDeclaration(parent) || ts.isPropertyAssignment(parent) || ts.isPropertyDeclaration(parent))) return parent.name.getText(source);
  return '(anonymous)';
}

/** The offenders in one file's text: `{ kind: 'file' | 'function', name, lines, line }`. */
export function offendersIn(fileName, text) {
  const lines = text.split('\n');
  const count = text.endsWith('\n') ? lines.length - 1 : lines.length;
  const found = [];
  if (count > MAX_FILE_LINES) found.push({ kind: 'file', name: fileName, lines: count, line: 1 });
  if (FUNCTIONS_UNCHECKED.test(fileName)) return found;
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true);
  const visit = (node) => {
    if (ts.isFunctionLike(node) && node.body) {
      const start = source.getLineAndCharacterOfPosition(node.getStart(source)).line;
      const end = source.getLineAndCharacterOfPosition(node.getEnd()).line;
      const length = end - start + 1;
      // The comment may sit above the statement that holds the function (export const x = () => …).
      let holder = node;
      while (holder.parent && !ts.isSourceFile(holder.parent) && !ts.isBlock(holder.parent) && !ts.isClassLike(holder.parent)) holder = holder.parent;
      const above = lines[source.getLineAndCharacterOfPosition(holder.getStart(source)).line - 1] ?? '';
      if (length > MAX_FUNCTION_LINES && !EXEMPT.test(above)) found.push({ kind: 'function', name: functionName(node, source), lines: length, line: start + 1 });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

export function offenders(root) {
  const found = [];
  for (const dir of ROOTS) {
    for (const path of codeFiles(join(root, dir))) {
      const file = relative(root, path);
      for (const o of offendersIn(file, readFileSync(path, 'utf8'))) found.push({ ...o, file });
    }
  }
  return found;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const found = offenders(fileURLToPath(new URL('..', import.meta.url)));
  for (const o of found) {
    console.error(o.kind === 'file' ? `${o.file}: ${o.lines} lines (at most ${MAX_FILE_LINES})` : `${o.file}:${o.line}: function ${o.name} is ${o.lines} lines (at most ${MAX_FUNCTION_LINES})`);
  }
  if (found.length) {
    console.error(`size-check: ${found.length} over the limits. Split the file or the function (STYLE.md).`);
    process.exit(1);
  }
}
