import { AccessDeniedException, DescribeLogGroupsCommand, GetLogEventsCommand, StartLiveTailCommand, type StartLiveTailResponseStream } from '@aws-sdk/client-cloudwatch-logs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CloudWatchBuildLogs } from '../../src/adapters/aws/cloudwatch-build-logs.js';
import { mockCloudWatchLogs } from './sdk-mocks.js';

const GROUP = '/anchor/dev/builds';
const GROUP_ARN = `arn:aws:logs:ap-southeast-1:111122223333:log-group:${GROUP}`;
const AT = Date.parse('2025-01-01T00:00:00.000Z');

/**
 * A Live Tail session's event stream as the test hands it out: `push` resolves once the adapter
 * has handled the item (it asks for the next one, or stops reading), so nothing here waits on time.
 */
function liveTailStream() {
  type Entry = { item: StartLiveTailResponseStream; handled: () => void };
  const queue: Entry[] = [];
  let waiting: ((entry: Entry) => void) | null = null;
  let handled: (() => void) | null = null;
  let ended = false;
  const finishPrevious = () => {
    handled?.();
    handled = null;
  };
  const stream: AsyncIterableIterator<StartLiveTailResponseStream> = {
    [Symbol.asyncIterator]() {
      return stream;
    },
    next() {
      finishPrevious();
      const entry = queue.shift();
      if (entry) {
        handled = entry.handled;
        return Promise.resolve({ value: entry.item, done: false });
      }
      return new Promise((resolve) => {
        waiting = (e) => {
          handled = e.handled;
          resolve({ value: e.item, done: false });
        };
      });
    },
    return() {
      finishPrevious();
      ended = true;
      return Promise.resolve({ value: undefined, done: true });
    },
  };
  return {
    stream,
    get ended() {
      return ended;
    },
    push(item: StartLiveTailResponseStream): Promise<void> {
      return new Promise((resolve) => {
        const entry = { item, handled: resolve };
        if (waiting) {
          const w = waiting;
          waiting = null;
          w(entry);
        } else queue.push(entry);
      });
    },
  };
}

let cw: ReturnType<typeof mockCloudWatchLogs>;
let now: number;
let logs: CloudWatchBuildLogs;

beforeEach(() => {
  cw = mockCloudWatchLogs();
  cw.mock.on(DescribeLogGroupsCommand).resolves({ logGroups: [{ logGroupName: GROUP, arn: `${GROUP_ARN}:*` }] });
  now = AT;
  logs = new CloudWatchBuildLogs({ logs: cw.client, group: GROUP, now: () => now, livePollMs: 2000 });
});
afterEach(() => {
  logs.close();
  cw.mock.restore();
});

/** What CodeBuild does: a line in the build's own stream (no JSON, a trailing newline). */
function buildWrites(text: string, seconds: number) {
  const key = `${GROUP}\0d_1/build-uuid`;
  if (!cw.streams.has(key)) cw.streams.set(key, []);
  const event = { timestamp: AT + seconds * 1000, message: `${text}\n` };
  cw.streams.get(key)!.push(event);
  return { logStreamName: 'd_1/build-uuid', logGroupIdentifier: GROUP_ARN, ...event, ingestionTime: event.timestamp + 500 };
}

const getLogEventsCalls = () => cw.mock.commandCalls(GetLogEventsCommand).length;
const texts = async (after: number) => (await logs.read('d_1', { after })).map((l) => `${l.n} ${l.text}`);

describe('CloudWatchBuildLogs following a log', () => {
  it('a one-shot read (anchor logs) starts no Live Tail session', async () => {
    buildWrites('npm ci', 1);
    expect(await texts(0)).toEqual(['1 npm ci']);
    expect(await texts(1)).toEqual([]);
    expect(cw.mock.commandCalls(StartLiveTailCommand)).toHaveLength(0);
  });

  it('follows with Live Tail once the reader keeps coming back: new lines come from the session, not from reading the log again', async () => {
    const live = liveTailStream();
    cw.mock.on(StartLiveTailCommand).resolves({ responseStream: live.stream });
    buildWrites('npm ci', 1);
    expect(await texts(0)).toEqual(['1 npm ci']);
    expect(await texts(1)).toEqual([]);
    expect(await texts(1)).toEqual([]); // back twice with nothing new: followed
    expect(cw.mock.commandCalls(StartLiveTailCommand).map((c) => c.args[0].input)).toEqual([{ logGroupIdentifiers: [GROUP_ARN], logStreamNamePrefixes: ['d_1/'] }]);

    await live.push({ sessionStart: { sessionId: 's1', logGroupIdentifiers: [GROUP_ARN] } });
    // The session is up: one more poll catches what was written before it started.
    const lateBeforeStart = buildWrites('added 312 packages', 2);
    expect(await texts(1)).toEqual([`2 ${lateBeforeStart.message.trim()}`]);
    const polls = getLogEventsCalls();

    const build = buildWrites('next build', 3);
    await live.push({ sessionUpdate: { sessionMetadata: { sampled: false }, sessionResults: [build] } });
    expect(await texts(2)).toEqual(['3 next build']);
    await live.push({ sessionUpdate: { sessionMetadata: { sampled: false }, sessionResults: [buildWrites('Compiled', 4), buildWrites('Done', 5)] } });
    expect(await texts(3)).toEqual(['4 Compiled', '5 Done']);
    expect(getLogEventsCalls()).toBe(polls);

    // The safety-net poll (nothing new for livePollMs) reads lines Live Tail already gave: none twice.
    now += 2000;
    expect(await texts(5)).toEqual([]);
    expect(getLogEventsCalls()).toBeGreaterThan(polls);
    expect((await logs.read('d_1', { after: 0 })).map((l) => l.text)).toEqual(['npm ci', 'added 312 packages', 'next build', 'Compiled', 'Done']);

    logs.close();
    await live.push({ sessionUpdate: { sessionResults: [] } });
    expect(live.ended).toBe(true);
  });

  it('falls back to polling when Live Tail is refused, reading on from where it stopped', async () => {
    cw.mock.on(StartLiveTailCommand).rejects(new AccessDeniedException({ message: 'not authorized to perform: logs:StartLiveTail', $metadata: {} }));
    buildWrites('npm ci', 1);
    await texts(0);
    await texts(1);
    await texts(1);
    expect(cw.mock.commandCalls(StartLiveTailCommand)).toHaveLength(1);

    buildWrites('next build', 2);
    expect(await texts(1)).toEqual(['2 next build']);
    buildWrites('Done', 3);
    expect(await texts(2)).toEqual(['3 Done']);
    // Onward from the stream's forward token, not from the head again.
    const last = cw.mock.commandCalls(GetLogEventsCommand).at(-1)?.args[0].input;
    expect(last?.nextToken).toMatch(/^f\/[1-9]/);
    expect(cw.mock.commandCalls(StartLiveTailCommand)).toHaveLength(1);
  });

  it('a sampled Live Tail update (events left out) switches to polling and loses no line', async () => {
    const live = liveTailStream();
    cw.mock.on(StartLiveTailCommand).resolves({ responseStream: live.stream });
    await texts(0);
    await texts(0);
    await texts(0);
    await live.push({ sessionStart: { sessionId: 's1' } });
    expect(await texts(0)).toEqual([]);

    const kept = buildWrites('line a', 1);
    buildWrites('line b', 2); // left out by sampling
    buildWrites('line c', 3); // left out by sampling
    await live.push({ sessionUpdate: { sessionMetadata: { sampled: true }, sessionResults: [kept] } });
    expect(live.ended).toBe(true);
    expect(await texts(0)).toEqual(['1 line a', '2 line b', '3 line c']);
    buildWrites('line d', 4);
    expect(await texts(3)).toEqual(['4 line d']);
  });
});
