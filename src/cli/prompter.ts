import { AnchorError } from '../core/errors.js';

/**
 * Questions to a person. When nobody can answer (not a TTY, CI, --json), asking is an error that
 * names the flag to pass instead.
 */
export class Prompter {
  constructor(private readonly interactive: boolean) {}

  get canAsk(): boolean {
    return this.interactive;
  }

  async confirm(message: string, flag: string): Promise<boolean> {
    this.requireInteractive(message, flag);
    const clack = await import('@clack/prompts');
    const answer = await clack.confirm({ message });
    return !clack.isCancel(answer) && answer === true;
  }

  async select<T extends string>(message: string, options: Array<{ value: T; label: string; hint?: string }>, flag: string): Promise<T> {
    this.requireInteractive(message, flag);
    const clack = await import('@clack/prompts');
    const answer = await clack.select({ message, options: options as never });
    if (clack.isCancel(answer)) throw cancelled();
    return answer as T;
  }

  async password(message: string, flag: string): Promise<string> {
    this.requireInteractive(message, flag);
    const clack = await import('@clack/prompts');
    const answer = await clack.password({ message });
    if (clack.isCancel(answer)) throw cancelled();
    return answer;
  }

  private requireInteractive(question: string, flag: string): void {
    if (!this.interactive) {
      throw new AnchorError({
        code: 'INPUT_REQUIRED',
        kind: 'usage',
        message: `anchor needs an answer to "${question}" but cannot ask: this is not an interactive terminal.`,
        hint: `Pass ${flag}.`,
      });
    }
  }
}

function cancelled(): AnchorError {
  return new AnchorError({ code: 'CANCELLED', kind: 'usage', message: 'Cancelled; nothing was changed.' });
}
