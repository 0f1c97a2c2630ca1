import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs script, typed by what it returns here
import { offenders, offendersIn } from '../../scripts/size-check.mjs';

interface Offender {
  kind: 'file' | 'function';
  name: string;
  lines: number;
  line: number;
  file?: string;
}
const check = offendersIn as (fileName: string, text: string) => Offender[];

const fn = (name: string, bodyLines: number) => `export function ${name}() {\n${'  x();\n'.repeat(bodyLines)}}\n`;

describe('size-check (npm run lint)', () => {
  it('names a function over 80 lines and a file over 400, and lets the rest be', () => {
    expect(check('src/a.ts', fn('short', 78))).toEqual([]);
    expect(check('src/a.ts', fn('long', 79))).toEqual([{ kind: 'function', name: 'long', lines: 81, line: 1 }]);
    const big = Array.from({ length: 5 }, (_, i) => fn(`f${i}`, 78)).join('');
    expect(check('src/big.ts', big)).toEqual([]);
    expect(check('src/big.ts', `${big}// one more\n`)).toEqual([{ kind: 'file', name: 'src/big.ts', lines: 401, line: 1 }]);
  });

  it('finds arrow functions and methods by the name they are given', () => {
    const body = '    x();\n'.repeat(85);
    expect(check('src/b.ts', `export const handler = async () => {\n${body}};\n`).map((o) => o.name)).toEqual(['handler']);
    expect(check('src/c.ts', `class A {\n  run() {\n${body}  }\n}\n`).map((o) => o.name)).toEqual(['run']);
  });

  it('exempts a function marked as data, and test files from the function limit only', () => {
    expect(check('infra/t.ts', `// size-check: data (a template)\n${fn('template', 100)}`)).toEqual([]);
    expect(check('test/unit/x.test.ts', fn('suite', 100))).toEqual([]);
    expect(check('test/unit/x.test.ts', `${fn('suite', 399)}`)).toEqual([{ kind: 'file', name: 'test/unit/x.test.ts', lines: 401, line: 1 }]);
  });

  it('finds nothing over the limits in this repository', () => {
    const found = (offenders as (root: string) => Offender[])(fileURLToPath(new URL('../..', import.meta.url)));
    expect(found.map((o) => `${o.file}:${o.line} ${o.name} (${o.lines})`)).toEqual([]);
  });
});
