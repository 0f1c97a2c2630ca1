import { RegoEngine, TemplateFile, version, type Engine, type StandardDiagnostic } from '@aws/cloudformation-validate';
import type { Template } from './cfn.js';

export interface TemplateReport {
  /** FATAL and ERROR diagnostics: a template with any of these must not be deployed. */
  errors: StandardDiagnostic[];
  warnings: StandardDiagnostic[];
  infos: StandardDiagnostic[];
  validatorVersion: string;
  ms: number;
}

/** The validator reads a TemplateFile's bytes through readBytes(); this one holds them in memory, so nothing is written to disk. */
class InMemoryTemplate extends TemplateFile {
  constructor(
    name: string,
    private readonly bytes: Uint8Array,
  ) {
    super(name);
  }

  override readBytes(): Uint8Array {
    return this.bytes;
  }
}

/**
 * AWS's offline validator (@aws/cloudformation-validate: resource schemas + cfn-lint rules,
 * compiled to WASM). Creating the engine takes seconds, so one validator is meant to check many
 * templates; `free()` releases its off-heap memory.
 */
export class TemplateValidator {
  private engine: Engine | null = null;

  validate(template: Template, options: { name?: string; region?: string } = {}): TemplateReport {
    this.engine ??= new RegoEngine();
    const started = performance.now();
    const bytes = new TextEncoder().encode(JSON.stringify(template, null, 2));
    const report = this.engine.validateStandard(new InMemoryTemplate(options.name ?? 'template.json', bytes), {
      pseudoParameterOverrides: { region: options.region ?? 'ap-southeast-1' },
    });
    const ms = performance.now() - started;
    if (report.status === 'ERROR') {
      throw new Error(`The CloudFormation validator failed on ${options.name ?? 'template.json'}: ${JSON.stringify(report.diagnostics.slice(0, 3))}`);
    }
    const bySeverity = (...severities: string[]) => report.diagnostics.filter((d) => severities.includes(d.severity));
    return { errors: bySeverity('FATAL', 'ERROR'), warnings: bySeverity('WARN'), infos: bySeverity('INFO'), validatorVersion: version(), ms };
  }

  free(): void {
    this.engine?.free();
    this.engine = null;
  }
}

/** One line per diagnostic, for test failure messages and `--print-template` checks. */
export function describeDiagnostics(diagnostics: readonly StandardDiagnostic[]): string {
  return diagnostics.map((d) => `[${d.severity}] ${d.ruleId} ${d.entity?.logicalId ?? ''}${d.propertyPath ? `.${d.propertyPath}` : ''}: ${d.message}`).join('\n');
}
