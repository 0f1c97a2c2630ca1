import type { StackEvent } from '../adapters/aws/provisioning/cloudformation-stacks.js';
import type { Ui } from './ui.js';

/**
 * CloudFormation progress on stderr, one line per stack event as it arrives (quiet with --json).
 * Failures are red and keep their reason; "cancelled" cascades are dimmed so the cause stands out.
 */
export function stackProgress(ui: Ui): { step(text: string): void; event(event: StackEvent): void } {
  const { colors } = ui;
  return {
    step: (text) => ui.info(`${colors.cyan('▸')} ${text}`),
    event: (event) => {
      const time = event.at.toISOString().slice(11, 19);
      const status = event.status.endsWith('_FAILED') ? colors.red(event.status) : event.status.endsWith('_COMPLETE') && !event.status.includes('ROLLBACK') ? colors.green(event.status) : event.status.includes('ROLLBACK') ? colors.yellow(event.status) : event.status;
      const what = event.isStack ? `stack ${event.logicalId}` : `${event.logicalId} ${colors.dim(`(${event.resourceType})`)}`;
      const reason = event.reason && !/^User Initiated$/i.test(event.reason) ? ` ${/cancelled/i.test(event.reason) ? colors.dim(event.reason) : event.reason}` : '';
      ui.info(`  ${colors.dim(time)} ${status.padEnd(22)} ${what}${reason}`);
    },
  };
}
