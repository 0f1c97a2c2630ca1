import type { DeploymentRef, FunctionStates, FunctionStatus, RuntimeLogLine, RuntimeLogs } from '../../../src/core/ports/index.js';

/** Function states a test sets: Lambda's view (nothing to report) until it says otherwise. */
export class MemoryFunctionStates implements FunctionStates {
  private readonly states = new Map<string, FunctionStatus>();

  set(deploymentId: string, status: FunctionStatus): void {
    this.states.set(deploymentId, { ...status });
  }

  async of(deploymentIds: readonly string[]): Promise<Map<string, FunctionStatus>> {
    return new Map(deploymentIds.flatMap((id) => {
      const status = this.states.get(id);
      return status ? [[id, { ...status }] as const] : [];
    }));
  }
}

/** Runtime log lines per deployment; the cursor is how many lines were read. */
export class MemoryRuntimeLogs implements RuntimeLogs {
  private readonly lines = new Map<string, RuntimeLogLine[]>();

  write(deploymentId: string, line: RuntimeLogLine): void {
    this.lines.set(deploymentId, [...(this.lines.get(deploymentId) ?? []), { ...line }]);
  }

  has(deploymentId: string): boolean {
    return this.lines.has(deploymentId);
  }

  async read({ deploymentId }: DeploymentRef, cursor?: string): Promise<{ lines: RuntimeLogLine[]; cursor: string }> {
    const all = this.lines.get(deploymentId) ?? [];
    const from = cursor === undefined ? 0 : Number(cursor);
    return { lines: all.slice(from).map((line) => ({ ...line })), cursor: String(all.length) };
  }

  async remove({ deploymentId }: DeploymentRef): Promise<void> {
    this.lines.delete(deploymentId);
  }
}
