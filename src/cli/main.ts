import { CommanderError } from 'commander';
import { AnchorError } from '../core/errors.js';
import { Context } from './context.js';
import { readCliEnv, silenceAwsSdkNodeWarning, type CliEnv } from './env.js';
import { EXIT_CODES } from './exit-codes.js';
import { processIo, type Io } from './io.js';
import { storageFailure } from './storage-failure.js';
import { buildProgram } from './program.js';

/**
 * Runs one anchor command and returns its exit code. The only place errors become exit codes;
 * nothing below calls process.exit.
 */
export async function main(argv: string[], io: Io = processIo(), env: CliEnv = readCliEnv()): Promise<number> {
  silenceAwsSdkNodeWarning();
  let ctx: Context | null = null;
  const program = buildProgram(
    (globals) => new Context(io, env, { json: globals.json === true, yes: globals.yes === true || false, platform: globals.platform as string | undefined, verbose: globals.verbose === true }),
    (made) => {
      ctx = made;
    },
    {
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
      // Asked of the process's streams only when they are terminals: Node builds a stream on first
      // use (with node:net or node:tty behind it), a few ms of every `--help`.
      getOutHelpWidth: () => (io.stdoutIsTTY ? process.stdout.columns : 80),
      getErrHelpWidth: () => (io.stderrIsTTY ? process.stderr.columns : 80),
      getOutHasColors: () => io.stdoutIsTTY && !env.noColor && process.stdout.hasColors(),
      getErrHasColors: () => io.stderrIsTTY && !env.noColor && process.stderr.hasColors(),
    },
    argv,
  );
  const wantsJson = argv.includes('--json');
  try {
    await program.parseAsync(argv, { from: 'user' });
    return EXIT_CODES.ok;
  } catch (error) {
    return report(error, io, ctx, wantsJson, env);
  } finally {
    await (ctx as Context | null)?.close();
  }
}

function report(error: unknown, io: Io, ctx: Context | null, wantsJson: boolean, env: CliEnv): number {
  if (error instanceof CommanderError) {
    // Help and version are not errors; commander already printed them.
    if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help') return EXIT_CODES.ok;
    if (wantsJson) io.stdout.write(`${JSON.stringify({ error: { code: 'USAGE', kind: 'usage', message: error.message.replace(/^error: /, '') } }, null, 2)}\n`);
    return EXIT_CODES.usage;
  }
  const anchorError =
    error instanceof AnchorError
      ? error
      : (storageFailure(error, (ctx as Context | null)?.store.home ?? env.anchorHome ?? '~/.anchor') ??
        new AnchorError({
          code: 'INTERNAL',
          kind: 'internal',
          message: `Something went wrong inside anchor: ${error instanceof Error ? error.message : String(error)}`,
          hint: 'Run again with --verbose for the stack trace, and report it if it keeps happening.',
          cause: error,
        }));
  if (wantsJson) {
    io.stdout.write(`${JSON.stringify({ error: { code: anchorError.code, kind: anchorError.kind, message: anchorError.message, hint: anchorError.hint ?? null, ...(anchorError.details ? { details: anchorError.details } : {}) } }, null, 2)}\n`);
  }
  if (ctx) (ctx as Context).ui.error(anchorError.message, anchorError.hint);
  else io.stderr.write(`✖ ${anchorError.message}\n${anchorError.hint ? `  → ${anchorError.hint}\n` : ''}`);
  if ((ctx as Context | null)?.flags.verbose && error instanceof Error && error.stack) io.stderr.write(`${error.stack}\n`);
  return EXIT_CODES[anchorError.kind];
}
