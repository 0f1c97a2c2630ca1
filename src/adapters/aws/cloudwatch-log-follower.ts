import { DescribeLogStreamsCommand, GetLogEventsCommand, StartLiveTailCommand, type CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import type { LogLine } from '../../core/ports/build-logs.js';

/** anchor's own lines go to `<deploymentId>/anchor`, as JSON; CodeBuild's to `<deploymentId>/<build uuid>`. */
export const OWN_STREAM = 'anchor';

export interface RawLogEvent {
  stream: string;
  timestamp: number;
  message: string;
}

export interface LogFollowerOptions {
  logs: CloudWatchLogsClient;
  group: string;
  deploymentId: string;
  /** The log group's ARN, which StartLiveTail wants; null: polling only. */
  groupArn: (() => Promise<string>) | null;
  /** While Live Tail runs, a read that brought nothing polls at most this often anyway (a safety net for its delivery delay). */
  livePollMs: number;
  now: () => number;
}

type LiveState = 'off' | 'starting' | 'on' | 'failed' | 'closed';

/**
 * One deployment's log as a reader that keeps reading it (`anchor logs --follow`) sees it: the
 * lines read so far, numbered once, and only what is new fetched after that. New lines come from
 * a Live Tail session (StartLiveTail, events pushed as they are ingested) once the reader has come
 * back for more with nothing new twice; otherwise, and whenever the session cannot start, stops
 * or is sampled (CloudWatch drops events above its Live Tail rate), from polling each stream onward
 * from its forward token. An event both sources deliver is counted once.
 */
export class CloudWatchLogFollower {
  readonly lines: LogLine[] = [];
  lastReadAt: number;
  private readonly tokens = new Map<string, string | undefined>();
  private readonly unmatched = { poll: new Map<string, number>(), live: new Map<string, number>() };
  private live: LiveState = 'off';
  private buffered: RawLogEvent[] = [];
  private abort: AbortController | null = null;
  private lastPollAt = Number.NEGATIVE_INFINITY;
  private caughtUpReads = 0;

  constructor(private readonly options: LogFollowerOptions) {
    this.lastReadAt = options.now();
  }

  get liveState(): LiveState {
    return this.live;
  }

  /** Brings the lines up to date for a read after `after`. */
  async refresh(after: number): Promise<void> {
    this.lastReadAt = this.options.now();
    const caughtUp = after >= this.lines.length;
    if (!caughtUp) return;
    this.caughtUpReads++;
    if (this.caughtUpReads >= 2 && this.live === 'off' && this.options.groupArn) this.startLiveTail(this.options.groupArn);
    const before = this.lines.length;
    this.drainLive();
    const pollDue = this.live !== 'on' || (this.lines.length === before && this.options.now() - this.lastPollAt >= this.options.livePollMs);
    if (pollDue) await this.poll();
    if (this.lines.length > before) this.caughtUpReads = 0;
  }

  close(): void {
    this.live = 'closed';
    this.abort?.abort();
  }

  private async poll(): Promise<void> {
    this.lastPollAt = this.options.now();
    const streams: string[] = [];
    let next: string | undefined;
    do {
      const page = await this.options.logs.send(new DescribeLogStreamsCommand({ logGroupName: this.options.group, logStreamNamePrefix: `${this.options.deploymentId}/`, nextToken: next }));
      streams.push(...(page.logStreams ?? []).map((s) => s.logStreamName).filter((n): n is string => n !== undefined));
      next = page.nextToken;
    } while (next);
    const fresh: RawLogEvent[] = [];
    // The build's streams first: on equal times anchor's own lines around a build come before or after it.
    for (const stream of streams.sort((a, b) => Number(isOwn(a)) - Number(isOwn(b)) || a.localeCompare(b))) {
      let token = this.tokens.get(stream);
      for (;;) {
        const page = await this.options.logs.send(new GetLogEventsCommand({ logGroupName: this.options.group, logStreamName: stream, startFromHead: true, nextToken: token }));
        const events = page.events ?? [];
        for (const e of events) fresh.push({ stream, timestamp: e.timestamp ?? 0, message: e.message ?? '' });
        // GetLogEvents answers the same forward token once the end is reached; the next poll resumes there.
        const done = !page.nextForwardToken || page.nextForwardToken === token || events.length === 0;
        token = page.nextForwardToken ?? token;
        if (done) break;
      }
      this.tokens.set(stream, token);
    }
    this.accept(fresh, 'poll');
  }

  private startLiveTail(groupArn: () => Promise<string>): void {
    this.live = 'starting';
    const abort = new AbortController();
    this.abort = abort;
    const stopped = () => {
      if (this.live === 'closed') return;
      this.live = 'failed';
      this.lastPollAt = Number.NEGATIVE_INFINITY;
    };
    void (async () => {
      const session = await this.options.logs.send(
        new StartLiveTailCommand({ logGroupIdentifiers: [await groupArn()], logStreamNamePrefixes: [`${this.options.deploymentId}/`] }),
        { abortSignal: abort.signal },
      );
      if (!session?.responseStream) return;
      for await (const item of session.responseStream) {
        if (this.live === 'closed') return;
        if (item.sessionStart) {
          this.live = 'on';
          // Lines ingested between the last poll and the session's start reach only polling: one more poll.
          this.lastPollAt = Number.NEGATIVE_INFINITY;
        } else if (item.sessionUpdate) {
          for (const e of item.sessionUpdate.sessionResults ?? []) {
            if (e.logStreamName) this.buffered.push({ stream: e.logStreamName, timestamp: e.timestamp ?? 0, message: e.message ?? '' });
          }
          // Sampled: Live Tail left events out, and only polling reads every one. Stopped at once, so the next read polls.
          if (item.sessionUpdate.sessionMetadata?.sampled) return stopped();
        } else {
          return stopped(); // SessionTimeoutException (3 hours) or SessionStreamingException
        }
      }
    })()
      .catch(() => undefined)
      .finally(() => {
        abort.abort();
        stopped();
      });
  }

  private drainLive(): void {
    if (this.buffered.length === 0) return;
    const events = this.buffered;
    this.buffered = [];
    this.accept(events, 'live');
  }

  /** Appends the events not already delivered by the other source, in time order, numbering on. */
  private accept(events: RawLogEvent[], source: 'poll' | 'live'): void {
    const other = this.unmatched[source === 'poll' ? 'live' : 'poll'];
    const own = this.unmatched[source];
    for (const event of [...events].sort((a, b) => a.timestamp - b.timestamp)) {
      const key = `${event.stream}\0${event.timestamp}\0${event.message}`;
      const pending = other.get(key) ?? 0;
      if (pending > 0) {
        if (pending === 1) other.delete(key);
        else other.set(key, pending - 1);
        continue;
      }
      // Before Live Tail starts, or once it stopped, no live event can repeat a polled one.
      if (source === 'live' || this.live === 'starting' || this.live === 'on') own.set(key, (own.get(key) ?? 0) + 1);
      this.lines.push(toLine(event, this.lines.length + 1));
    }
  }
}

export const isOwn = (stream: string): boolean => stream.endsWith(`/${OWN_STREAM}`);

export function toLine(event: RawLogEvent, n: number): LogLine {
  const decoded = isOwn(event.stream) ? decode(event.message) : null;
  return { n, at: decoded?.at ?? new Date(event.timestamp).toISOString(), text: decoded?.text ?? event.message.replace(/\r?\n$/, '') };
}

function decode(message: string): { at: string; text: string } | null {
  try {
    const value = JSON.parse(message) as { at?: unknown; text?: unknown };
    return typeof value.at === 'string' && typeof value.text === 'string' ? { at: value.at, text: value.text } : null;
  } catch {
    return null;
  }
}
