import { CreateLogStreamCommand, DescribeLogGroupsCommand, PutLogEventsCommand, type CloudWatchLogsClient, type InputLogEvent } from '@aws-sdk/client-cloudwatch-logs';
import type { BuildLogs, LogLine } from '../../core/ports/build-logs.js';
import { CloudWatchLogFollower, OWN_STREAM } from './cloudwatch-log-follower.js';
import { awsErrorNamed } from './aws-errors.js';

export interface CloudWatchBuildLogsOptions {
  logs: CloudWatchLogsClient;
  /** The platform's build log group (platform output BuildLogGroupName). */
  group: string;
  /** Follow with Live Tail when a reader keeps coming back for more (default true); polling otherwise. */
  liveTail?: boolean;
  /** While Live Tail runs, how often a read that brought nothing polls anyway (default 2000 ms). */
  livePollMs?: number;
  /** A log not read for this long is forgotten and its Live Tail session ended (default 30 s). */
  idleMs?: number;
  now?: () => number;
}

/** PutLogEvents takes at most 10,000 events and 1 MiB (each event counts 26 bytes more than its message). */
const MAX_EVENTS = 10_000;
const MAX_BATCH_BYTES = 1_048_576 - 1024;

/**
 * A deployment's log in the build log group: every stream named `<deploymentId>/…`. anchor's own
 * lines (pipeline steps, deploy phase) go to `<deploymentId>/anchor`, as JSON so empty lines and
 * the exact time survive (CloudWatch refuses empty messages); CodeBuild writes the build's output
 * to `<deploymentId>/<build uuid>` (CodeBuildBuilder sets that stream prefix). `read` merges the
 * streams by time and numbers the lines from 1, so the cursor of `logs --follow` stays valid; a
 * reader that keeps reading gets only what is new, by Live Tail or by polling onward from where it
 * stopped (CloudWatchLogFollower), never the whole log again.
 */
export class CloudWatchBuildLogs implements BuildLogs {
  private readonly created = new Set<string>();
  private readonly followers = new Map<string, CloudWatchLogFollower>();
  private readonly now: () => number;
  private arn: Promise<string> | undefined;

  constructor(private readonly options: CloudWatchBuildLogsOptions) {
    this.now = options.now ?? Date.now;
  }

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
    this.forgetIdle();
    let follower = this.followers.get(deploymentId);
    if (!follower) {
      follower = this.follower(deploymentId, this.options.liveTail === false ? null : () => this.groupArn());
      this.followers.set(deploymentId, follower);
    }
    await follower.refresh(options.after);
    const lines = follower.lines.slice(Math.max(0, options.after));
    return options.limit === undefined ? lines : lines.slice(0, options.limit);
  }

  async tail(deploymentId: string, count: number): Promise<LogLine[]> {
    if (count <= 0) return [];
    const once = this.follower(deploymentId, null);
    await once.refresh(0);
    return once.lines.slice(-count);
  }

  /** Ends every Live Tail session (their connections would otherwise keep the process alive). */
  close(): void {
    for (const follower of this.followers.values()) follower.close();
    this.followers.clear();
  }

  private follower(deploymentId: string, groupArn: (() => Promise<string>) | null): CloudWatchLogFollower {
    return new CloudWatchLogFollower({ logs: this.options.logs, group: this.options.group, deploymentId, groupArn, livePollMs: this.options.livePollMs ?? 2000, now: this.now });
  }

  /** A log nobody read for a while is not being followed: its session ends and its lines are dropped. */
  private forgetIdle(): void {
    const now = this.now();
    for (const [id, follower] of this.followers) {
      if (now - follower.lastReadAt > (this.options.idleMs ?? 30_000)) {
        follower.close();
        this.followers.delete(id);
      }
    }
  }

  private groupArn(): Promise<string> {
    this.arn ??= (async () => {
      const { logGroups } = await this.options.logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: this.options.group }));
      const arn = logGroups?.find((g) => g.logGroupName === this.options.group)?.arn;
      if (!arn) throw new Error(`log group ${this.options.group} not found`);
      return arn.replace(/:\*$/, '');
    })();
    this.arn.catch(() => {
      this.arn = undefined;
    });
    return this.arn;
  }

  private async ensureStream(stream: string): Promise<void> {
    if (this.created.has(stream)) return;
    try {
      await this.options.logs.send(new CreateLogStreamCommand({ logGroupName: this.options.group, logStreamName: stream }));
    } catch (error) {
      if (!awsErrorNamed(error, 'ResourceAlreadyExistsException')) throw error;
    }
    this.created.add(stream);
  }

  private async put(stream: string, logEvents: InputLogEvent[]): Promise<void> {
    if (logEvents.length > 0) await this.options.logs.send(new PutLogEventsCommand({ logGroupName: this.options.group, logStreamName: stream, logEvents }));
  }
}
