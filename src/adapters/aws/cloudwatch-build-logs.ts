import { CreateLogStreamCommand, DescribeLogStreamsCommand, GetLogEventsCommand, PutLogEventsCommand, type CloudWatchLogsClient, type InputLogEvent } from '@aws-sdk/client-cloudwatch-logs';
import type { BuildLogs, LogLine } from '../../core/ports/build-logs.js';

export interface CloudWatchBuildLogsOptions {
  logs: CloudWatchLogsClient;
  /** The platform's build log group (platform output BuildLogGroupName). */
  group: string;
}

/** PutLogEvents takes at most 10,000 events and 1 MiB (each event counts 26 bytes more than its message). */
const MAX_EVENTS = 10_000;
const MAX_BATCH_BYTES = 1_048_576 - 1024;
const OWN_STREAM = 'anchor';

/**
 * A deployment's log in the build log group: every stream named `<deploymentId>/…`. anchor's own
 * lines (pipeline steps, deploy phase) go to `<deploymentId>/anchor`, as JSON so empty lines and
 * the exact time survive (CloudWatch refuses empty messages); CodeBuild writes the build's output
 * to `<deploymentId>/<build uuid>` (CodeBuildBuilder sets that stream prefix). `read` merges the
 * streams by time and numbers the lines from 1, so the cursor of `logs --follow` stays valid.
 */
export class CloudWatchBuildLogs implements BuildLogs {
  private readonly created = new Set<string>();

  constructor(private readonly options: CloudWatchBuildLogsOptions) {}

  async append(deploymentId: string, lines: readonly string[], at: string): Promise<void> {
    if (lines.length === 0) return;
    const stream = `${deploymentId}/${OWN_STREAM}`;
    await this.ensureStream(stream);
    const timestamp = Date.parse(at);
    let batch: InputLogEvent[] = [];
    let bytes = 0;
    for (const text of lines) {
      const message = JSON.stringify({ at, text });
      const size = Buffer.byteLength(message) + 26;
      if (batch.length > 0 && (batch.length >= MAX_EVENTS || bytes + size > MAX_BATCH_BYTES)) {
        await this.put(stream, batch);
        batch = [];
        bytes = 0;
      }
      batch.push({ timestamp, message });
      bytes += size;
    }
    await this.put(stream, batch);
  }

  async read(deploymentId: string, options: { after: number; limit?: number }): Promise<LogLine[]> {
    const lines = (await this.all(deploymentId)).filter((l) => l.n > options.after);
    return options.limit === undefined ? lines : lines.slice(0, options.limit);
  }

  async tail(deploymentId: string, count: number): Promise<LogLine[]> {
    return count <= 0 ? [] : (await this.all(deploymentId)).slice(-count);
  }

  private async all(deploymentId: string): Promise<LogLine[]> {
    const streams: string[] = [];
    let token: string | undefined;
    do {
      const page = await this.options.logs.send(new DescribeLogStreamsCommand({ logGroupName: this.options.group, logStreamNamePrefix: `${deploymentId}/`, nextToken: token }));
      streams.push(...(page.logStreams ?? []).map((s) => s.logStreamName).filter((n): n is string => n !== undefined));
      token = page.nextToken;
    } while (token);
    const events: { timestamp: number; stream: number; index: number; at: string; text: string }[] = [];
    // The build's streams first on equal times: anchor's own lines around a build come before or after it.
    const ordered = streams.sort((a, b) => Number(a.endsWith(`/${OWN_STREAM}`)) - Number(b.endsWith(`/${OWN_STREAM}`)) || a.localeCompare(b));
    for (const [streamIndex, stream] of ordered.entries()) {
      const own = stream.endsWith(`/${OWN_STREAM}`);
      let index = 0;
      for (const event of await this.streamEvents(stream)) {
        const decoded = own ? decode(event.message ?? '') : null;
        const timestamp = event.timestamp ?? 0;
        events.push({ timestamp, stream: streamIndex, index: index++, at: decoded?.at ?? new Date(timestamp).toISOString(), text: decoded?.text ?? (event.message ?? '').replace(/\r?\n$/, '') });
      }
    }
    events.sort((a, b) => a.timestamp - b.timestamp || a.stream - b.stream || a.index - b.index);
    return events.map((e, i) => ({ n: i + 1, at: e.at, text: e.text }));
  }

  private async streamEvents(stream: string) {
    const events = [];
    let token: string | undefined;
    for (;;) {
      const page = await this.options.logs.send(new GetLogEventsCommand({ logGroupName: this.options.group, logStreamName: stream, startFromHead: true, nextToken: token }));
      events.push(...(page.events ?? []));
      // GetLogEvents answers the same forward token once the end is reached.
      if (!page.nextForwardToken || page.nextForwardToken === token || (page.events ?? []).length === 0) return events;
      token = page.nextForwardToken;
    }
  }

  private async ensureStream(stream: string): Promise<void> {
    if (this.created.has(stream)) return;
    try {
      await this.options.logs.send(new CreateLogStreamCommand({ logGroupName: this.options.group, logStreamName: stream }));
    } catch (error) {
      if (!(error instanceof Error && error.name === 'ResourceAlreadyExistsException')) throw error;
    }
    this.created.add(stream);
  }

  private async put(stream: string, logEvents: InputLogEvent[]): Promise<void> {
    if (logEvents.length > 0) await this.options.logs.send(new PutLogEventsCommand({ logGroupName: this.options.group, logStreamName: stream, logEvents }));
  }
}

function decode(message: string): { at: string; text: string } | null {
  try {
    const value = JSON.parse(message) as { at?: unknown; text?: unknown };
    return typeof value.at === 'string' && typeof value.text === 'string' ? { at: value.at, text: value.text } : null;
  } catch {
    return null;
  }
}
