import type { FunctionStates, FunctionStatus } from '../../core/ports/function-states.js';

/** Lambda starts, scales and stops a version's instances itself: there is no process state to report. */
export class LambdaFunctionStates implements FunctionStates {
  async of(): Promise<Map<string, FunctionStatus>> {
    return new Map();
  }
}
