import { AnchorError } from '../core/errors.js';
import type { DoctorCheck } from '../core/doctor-check.js';
import type { Context } from '../cli/context.js';

export default async function doctor(ctx: Context): Promise<void> {
  const config = ctx.store.resolveHosted(ctx.platformName, 'doctor');
  if (config.backend === 'aws') {
    // Read-only: the account's stacks, roles, functions and distribution against anchor's invariants.
    const provisioning = await ctx.provisioning(config.region);
    reportChecks(ctx, config.name, await provisioning.doctor(config));
    return;
  }
  const { localDoctorChecks } = await import('../adapters/local/local-doctor.js');
  reportChecks(ctx, config.name, localDoctorChecks({ home: ctx.store.home, platformDir: config.dir, path: ctx.env.baseEnv.PATH }));
}

/**
 * Prints the checks; any failure makes the command fail (exit 7) with the checks in the error's
 * details, so --json still prints exactly one document.
 */
export function reportChecks(ctx: Context, platform: string, checks: DoctorCheck[]): void {
  const failed = checks.filter((check) => check.status === 'fail');
  const mark = { ok: ctx.ui.colors.green('✔'), warn: ctx.ui.colors.yellow('!'), fail: ctx.ui.colors.red('✖') };
  const lines = checks.flatMap((check) => [`${mark[check.status]} ${check.message}`, ...(check.hint && check.status !== 'ok' ? [`    → ${check.hint}`] : [])]);
  if (failed.length === 0) {
    ctx.ui.result({ platform, ok: true, checks }, () => lines);
    return;
  }
  if (!ctx.flags.json) for (const line of lines) ctx.ui.out(line);
  throw new AnchorError({
    code: 'DOCTOR_FOUND_PROBLEMS',
    kind: 'failed',
    message: `anchor doctor found ${failed.length} problem${failed.length === 1 ? '' : 's'} on platform "${platform}": ${failed.map((check) => check.id).join(', ')}.`,
    hint: failed[0]?.hint ?? 'See the lines above.',
    details: { platform, ok: false, checks },
  });
}
