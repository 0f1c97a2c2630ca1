import type { Trigger } from '../core/deployment.js';

export function formatMs(ms: number | null): string {
  if (ms === null) return '…';
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60_000)} m ${Math.round((ms % 60_000) / 1000)} s`;
}

export function triggerText(trigger: Trigger): string {
  if (trigger.kind === 'push') return `push${trigger.pusher ? ` by ${trigger.pusher}` : ''}`;
  if (trigger.kind === 'manual') return `anchor deploy (${trigger.ref})`;
  return `rollback from ${trigger.from}`;
}
