import { durationText } from '../../../lib/duration-text.js';
import type { HandlerKind } from './handler-process.js';
import type { HandlerCrash, HandlerStatus } from './supervised-handler.js';

/**
 * The lines anchor writes into a deployment's runtime log about its processes, so that the log
 * an operator reads after a failed page tells the whole story: started, stopped when idle,
 * crashed (with the process's last words), running again.
 */
export function describeCrash(crash: HandlerCrash): string[] {
  const restart = crash.restartInMs === 0 ? 'restarting it now' : `restarting it in ${durationText(crash.restartInMs)}`;
  const headline = crash.crashLoop
    ? `The ${crash.kind} function crashed (${crash.reason}) and keeps crashing: ${crash.crashes} times recently (crashloop); ${restart}.`
    : `The ${crash.kind} function crashed (${crash.reason}); ${restart}.`;
  if (crash.lastLines.length === 0) return [`${headline} It printed nothing on stderr.`];
  return [`${headline} Its last output on stderr:`, ...crash.lastLines.map((line) => `  | ${line}`)];
}

/** A line for a change worth telling (or null): a start, a return after crashes, an idle stop. */
export function describeTransition(kind: HandlerKind, before: HandlerStatus | null, after: HandlerStatus, idleStopMs: number): string | null {
  if (before?.state === after.state) return null;
  if (after.state === 'running') {
    const again = before?.state === 'restarting' || before?.state === 'crashloop';
    return `The ${kind} function is ${again ? 'running again' : 'running'} (pid ${after.pid}).`;
  }
  if (after.state === 'idle' && before?.state === 'running') {
    return idleStopMs > 0 ? `The ${kind} function was stopped after ${durationText(idleStopMs)} without requests; the next request starts it.` : `The ${kind} function was stopped.`;
  }
  return null;
}
