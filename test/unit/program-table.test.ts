import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { buildProgram, commandWord } from '../../src/cli/program.js';

const quiet = { writeOut: () => undefined, writeErr: () => undefined };
const program = (argv?: string[]): Command => buildProgram(() => { throw new Error('no command runs here'); }, () => undefined, quiet, argv);

/** Every command's help text, its subcommands' too: what a user sees of the program. */
function helpTexts(command: Command, prefix = ''): Map<string, string> {
  const texts = new Map<string, string>([[`${prefix}${command.name()}`, command.helpInformation()]]);
  for (const sub of command.commands) for (const [name, text] of helpTexts(sub, `${prefix}${command.name()} `)) texts.set(name, text);
  return texts;
}

describe('the program for one command line', () => {
  it('defines only the top-level command the line names, with the same help, options and subcommands as the whole program', () => {
    const whole = program();
    const names = whole.commands.map((c) => c.name());
    expect(names.length).toBeGreaterThan(10);
    const wholeTexts = helpTexts(whole);
    for (const name of names) {
      const one = program(['--platform', 'prod', name, '--json']);
      expect(one.commands.map((c) => c.name())).toEqual([name]);
      for (const [path, text] of helpTexts(one)) if (path !== 'anchor') expect(text, path).toBe(wholeTexts.get(path));
    }
  });

  it('defines every command when the line names none, asks for help, or names a word anchor does not know', () => {
    const all = program().commands.length;
    for (const argv of [[], ['--help'], ['help', 'projects'], ['projcts', 'ls'], ['--', 'projects'], ['--platform', 'projects']]) {
      expect(program(argv).commands.length, argv.join(' ')).toBe(all);
    }
  });

  it('finds the command word past global options and --platform\'s value', () => {
    expect(commandWord(['--json', '--platform', 'deploy', 'projects', 'ls'])).toBe('projects');
    expect(commandWord(['--platform=prod', '-y', 'env', 'set'])).toBe('env');
    expect(commandWord(['--verbose'])).toBeUndefined();
  });
});
