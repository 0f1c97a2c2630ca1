import { describe, expect, it } from 'vitest';
import { LineSplitter } from '../../src/lib/line-splitter.js';

function split(chunks: Array<string | Buffer>): string[] {
  const lines: string[] = [];
  const splitter = new LineSplitter((line) => lines.push(line));
  for (const chunk of chunks) splitter.push(chunk);
  splitter.end();
  return lines;
}

describe('LineSplitter', () => {
  it('joins lines split across chunks and keeps a last line without newline', () => {
    expect(split(['one\ntw', 'o\r\nthree'])).toEqual(['one', 'two', 'three']);
  });

  it('keeps a redrawn progress line as it last looked', () => {
    expect(split(['downloading 10%\r', 'downloading 60%\rdownloading 100%\n', 'next\n'])).toEqual(['downloading 100%', 'next']);
  });

  it('decodes a character split between two chunks', () => {
    const bytes = Buffer.from('▸ Building\n');
    expect(split([bytes.subarray(0, 1), bytes.subarray(1)])).toEqual(['▸ Building']);
  });

  it('drops colour codes and keeps empty lines', () => {
    expect(split(['\u001b[31merror\u001b[39m: boom\n\nafter\n'])).toEqual(['error: boom', '', 'after']);
  });
});
