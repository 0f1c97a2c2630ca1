import {
  CreateChangeSetCommand,
  DeleteChangeSetCommand,
  DeleteStackCommand,
  DescribeChangeSetCommand,
  DescribeStackEventsCommand,
  DescribeStacksCommand,
  ExecuteChangeSetCommand,
  ListStacksCommand,
  type StackStatus,
  type CloudFormationClient,
  type StackEvent as SdkStackEvent,
} from '@aws-sdk/client-cloudformation';
import { AnchorError, errorMessage } from '../../../core/errors.js';

export interface StackEvent {
  at: Date;
  logicalId: string;
  resourceType: string;
  status: string;
  reason: string | null;
  /** True for the stack's own events (its overall status). */
  isStack: boolean;
}

export interface StackInfo {
  name: string;
  status: string;
  outputs: Record<string, string>;
  parameters: Record<string, string>;
}

export interface DeployStackInput {
  stackName: string;
  /** The template as JSON (TemplateBody allows 51,200 bytes; pass templateUrl for a larger one). */
  templateBody?: string;
  templateUrl?: string;
  parameters?: Record<string, string>;
  /** Parameters an update keeps from the deployed stack (UsePreviousValue), e.g. the live version. */
  keepParameters?: readonly string[];
  tags?: Record<string, string>;
  description?: string;
  onEvent?: (event: StackEvent) => void;
}

export interface DeployStackResult {
  action: 'create' | 'update' | 'none';
  outputs: Record<string, string>;
}

const NO_CHANGES = /didn't contain changes|No updates are to be performed|submitted information didn't contain changes/i;
const SUCCESS = new Set(['CREATE_COMPLETE', 'UPDATE_COMPLETE', 'IMPORT_COMPLETE']);
const FAILURE = new Set(['CREATE_FAILED', 'ROLLBACK_COMPLETE', 'ROLLBACK_FAILED', 'UPDATE_FAILED', 'UPDATE_ROLLBACK_COMPLETE', 'UPDATE_ROLLBACK_FAILED', 'DELETE_FAILED', 'IMPORT_ROLLBACK_COMPLETE', 'IMPORT_ROLLBACK_FAILED']);
/** A stack whose first create rolled back can only be deleted; the next create starts over. */
const DEAD_ON_ARRIVAL = new Set(['ROLLBACK_COMPLETE', 'ROLLBACK_FAILED']);
const LIVE_STATUSES: StackStatus[] = [
  'CREATE_IN_PROGRESS', 'CREATE_FAILED', 'CREATE_COMPLETE', 'ROLLBACK_IN_PROGRESS', 'ROLLBACK_FAILED', 'ROLLBACK_COMPLETE', 'DELETE_IN_PROGRESS', 'DELETE_FAILED',
  'UPDATE_IN_PROGRESS', 'UPDATE_COMPLETE_CLEANUP_IN_PROGRESS', 'UPDATE_COMPLETE', 'UPDATE_FAILED', 'UPDATE_ROLLBACK_IN_PROGRESS', 'UPDATE_ROLLBACK_FAILED',
  'UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS', 'UPDATE_ROLLBACK_COMPLETE', 'REVIEW_IN_PROGRESS', 'IMPORT_IN_PROGRESS', 'IMPORT_COMPLETE', 'IMPORT_ROLLBACK_IN_PROGRESS', 'IMPORT_ROLLBACK_FAILED', 'IMPORT_ROLLBACK_COMPLETE',
];
const CASCADE = /Resource (creation|update) cancelled|cancelled by user/i;

/**
 * Stacks deployed the way a person would in the console: through a change set (so "no changes"
 * is detected and nothing runs), with every stack event reported as it arrives, and a rollback
 * explained by the first resource that failed and CloudFormation's reason.
 */
export class CloudFormationStacks {
  private readonly pollMs: number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly timeoutMs: number;

  constructor(private readonly options: { cloudFormation: CloudFormationClient; pollMs?: number; timeoutMs?: number; sleep?: (ms: number) => Promise<void> }) {
    this.pollMs = options.pollMs ?? 3000;
    this.timeoutMs = options.timeoutMs ?? 2 * 60 * 60 * 1000;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  private get cfn(): CloudFormationClient {
    return this.options.cloudFormation;
  }

  /** The stack, or null when there is none (a deleted stack counts as none). */
  async describe(stackName: string): Promise<StackInfo | null> {
    let stack;
    try {
      stack = (await this.cfn.send(new DescribeStacksCommand({ StackName: stackName }))).Stacks?.[0];
    } catch (error) {
      if (/does not exist/i.test(errorMessage(error))) return null;
      throw cloudFormationError(error, `Reading stack ${stackName}`);
    }
    if (!stack || stack.StackStatus === 'DELETE_COMPLETE') return null;
    return {
      name: stack.StackName ?? stackName,
      status: stack.StackStatus ?? 'UNKNOWN',
      outputs: Object.fromEntries((stack.Outputs ?? []).filter((o) => o.OutputKey).map((o) => [o.OutputKey!, o.OutputValue ?? ''])),
      parameters: Object.fromEntries((stack.Parameters ?? []).filter((p) => p.ParameterKey).map((p) => [p.ParameterKey!, p.ParameterValue ?? ''])),
    };
  }

  /** Names of the stacks that exist now (not deleted) and start with `prefix`. */
  async list(prefix: string): Promise<string[]> {
    const names: string[] = [];
    let nextToken: string | undefined;
    do {
      const page = await this.cfn.send(new ListStacksCommand({ StackStatusFilter: LIVE_STATUSES, ...(nextToken ? { NextToken: nextToken } : {}) }));
      for (const stack of page.StackSummaries ?? []) if (stack.StackName?.startsWith(prefix)) names.push(stack.StackName);
      nextToken = page.NextToken;
    } while (nextToken);
    return names.sort();
  }

  async outputs(stackName: string): Promise<Record<string, string>> {
    const stack = await this.describe(stackName);
    if (!stack) throw new AnchorError({ code: 'STACK_NOT_FOUND', kind: 'not-found', message: `There is no CloudFormation stack ${stackName}.`, hint: 'Run "anchor init --aws" to create the platform.' });
    return stack.outputs;
  }

  async deploy(input: DeployStackInput): Promise<DeployStackResult> {
    let existing = await this.describe(input.stackName);
    if (existing && DEAD_ON_ARRIVAL.has(existing.status)) {
      await this.delete(input.stackName, { onEvent: input.onEvent });
      existing = null;
    }
    if (existing && existing.status.endsWith('_IN_PROGRESS') && existing.status !== 'REVIEW_IN_PROGRESS') {
      throw new AnchorError({
        code: 'STACK_BUSY',
        kind: 'conflict',
        message: `Stack ${input.stackName} is busy (${existing.status}).`,
        hint: 'Wait until it settles (CloudFormation console, or run this again in a few minutes).',
      });
    }
    const type = !existing || existing.status === 'REVIEW_IN_PROGRESS' ? 'CREATE' : 'UPDATE';
    const changeSetName = `anchor-${Date.now()}`;
    const parameters = [
      ...Object.entries(input.parameters ?? {}).map(([ParameterKey, ParameterValue]) => ({ ParameterKey, ParameterValue })),
      ...(type === 'UPDATE' ? (input.keepParameters ?? []).filter((key) => key in (existing?.parameters ?? {}) && !(key in (input.parameters ?? {}))).map((ParameterKey) => ({ ParameterKey, UsePreviousValue: true })) : []),
    ];
    try {
      await this.cfn.send(
        new CreateChangeSetCommand({
          StackName: input.stackName,
          ChangeSetName: changeSetName,
          ChangeSetType: type,
          ...(input.templateUrl ? { TemplateURL: input.templateUrl } : { TemplateBody: input.templateBody }),
          Parameters: parameters,
          Capabilities: ['CAPABILITY_IAM', 'CAPABILITY_NAMED_IAM'],
          Tags: Object.entries(input.tags ?? {}).map(([Key, Value]) => ({ Key, Value })),
          ...(input.description ? { Description: input.description } : {}),
        }),
      );
    } catch (error) {
      throw cloudFormationError(error, `Creating a change set for ${input.stackName}`);
    }

    const ready = await this.waitForChangeSet(input.stackName, changeSetName);
    if (ready.status === 'FAILED') {
      if (NO_CHANGES.test(ready.reason)) {
        // An empty change set is only clutter in the console; failing to remove it changes nothing.
        await this.cfn.send(new DeleteChangeSetCommand({ StackName: input.stackName, ChangeSetName: changeSetName })).then(
          () => undefined,
          () => undefined,
        );
        return { action: 'none', outputs: existing?.outputs ?? {} };
      }
      throw new AnchorError({
        code: 'CHANGE_SET_FAILED',
        kind: 'external',
        message: `CloudFormation refused the change to ${input.stackName}: ${ready.reason}`,
        hint: 'Nothing was changed. Fix the cause above and run the command again.',
        details: { stack: input.stackName, reason: ready.reason },
      });
    }

    const seen = new Set((await this.events(input.stackName, new Set())).map((e) => e.EventId));
    try {
      await this.cfn.send(new ExecuteChangeSetCommand({ StackName: input.stackName, ChangeSetName: changeSetName }));
    } catch (error) {
      throw cloudFormationError(error, `Starting the change of ${input.stackName}`);
    }
    const final = await this.follow(input.stackName, seen, input.onEvent);
    if (!SUCCESS.has(final.status)) throw rollbackError(input.stackName, final.status, final.events, type);
    return { action: type === 'CREATE' ? 'create' : 'update', outputs: await this.outputs(input.stackName) };
  }

  /** Deletes a stack and waits for it; false when there was none. `retryCommand` is what the failure's hint tells the person to run again. */
  async delete(stackName: string, options: { onEvent?: ((event: StackEvent) => void) | undefined; retryCommand?: string } = {}): Promise<boolean> {
    const existing = await this.describe(stackName);
    if (!existing) return false;
    const seen = new Set((await this.events(stackName, new Set())).map((e) => e.EventId));
    try {
      await this.cfn.send(new DeleteStackCommand({ StackName: stackName }));
    } catch (error) {
      throw cloudFormationError(error, `Deleting ${stackName}`);
    }
    const final = await this.follow(stackName, seen, options.onEvent, true);
    if (final.status !== 'DELETE_COMPLETE') {
      const failed = final.events.find((e) => e.ResourceStatus === 'DELETE_FAILED' && e.LogicalResourceId !== stackName);
      throw new AnchorError({
        code: 'STACK_DELETE_FAILED',
        kind: 'external',
        message: `Stack ${stackName} could not be deleted${failed ? `: ${failed.LogicalResourceId} (${failed.ResourceType}): ${failed.ResourceStatusReason ?? 'no reason given'}` : ` (${final.status})`}.`,
        hint: `Remove what holds the resource (the CloudFormation console shows it), then run "${options.retryCommand ?? 'anchor destroy'}" again.`,
        details: { stack: stackName, resource: failed?.LogicalResourceId ?? null, reason: failed?.ResourceStatusReason ?? null },
      });
    }
    return true;
  }

  private async waitForChangeSet(stackName: string, changeSetName: string): Promise<{ status: 'CREATE_COMPLETE' | 'FAILED'; reason: string }> {
    const deadline = Date.now() + this.timeoutMs;
    for (;;) {
      const set = await this.cfn.send(new DescribeChangeSetCommand({ StackName: stackName, ChangeSetName: changeSetName }));
      if (set.Status === 'CREATE_COMPLETE') return { status: 'CREATE_COMPLETE', reason: '' };
      if (set.Status === 'FAILED') return { status: 'FAILED', reason: set.StatusReason ?? 'no reason given' };
      if (Date.now() > deadline) throw timeout(stackName);
      await this.sleep(this.pollMs);
    }
  }

  /** Reports new events oldest first until the stack's own event says it reached an end. */
  private async follow(stackName: string, seen: Set<string | undefined>, onEvent: ((event: StackEvent) => void) | undefined, deleting = false): Promise<{ status: string; events: SdkStackEvent[] }> {
    const all: SdkStackEvent[] = [];
    const deadline = Date.now() + this.timeoutMs;
    for (;;) {
      let fresh: SdkStackEvent[];
      try {
        fresh = await this.events(stackName, seen);
      } catch (error) {
        // Once a deletion finishes the stack name no longer resolves.
        if (deleting && /does not exist/i.test(errorMessage(error))) return { status: 'DELETE_COMPLETE', events: all };
        throw cloudFormationError(error, `Following ${stackName}`);
      }
      for (const event of fresh) {
        seen.add(event.EventId);
        all.push(event);
        onEvent?.(toStackEvent(event, stackName));
      }
      const end = fresh.find((e) => isStackEvent(e, stackName) && (SUCCESS.has(e.ResourceStatus ?? '') || FAILURE.has(e.ResourceStatus ?? '') || e.ResourceStatus === 'DELETE_COMPLETE'));
      if (end) return { status: end.ResourceStatus!, events: all };
      if (Date.now() > deadline) throw timeout(stackName);
      await this.sleep(this.pollMs);
    }
  }

  /** Events not in `seen`, oldest first (the API pages newest first). */
  private async events(stackName: string, seen: Set<string | undefined>): Promise<SdkStackEvent[]> {
    const fresh: SdkStackEvent[] = [];
    let nextToken: string | undefined;
    do {
      const page = await this.cfn.send(new DescribeStackEventsCommand({ StackName: stackName, ...(nextToken ? { NextToken: nextToken } : {}) }));
      for (const event of page.StackEvents ?? []) {
        if (seen.has(event.EventId)) return fresh.reverse();
        fresh.push(event);
      }
      nextToken = page.NextToken;
    } while (nextToken && seen.size > 0);
    return fresh.reverse();
  }
}

function isStackEvent(event: SdkStackEvent, stackName: string): boolean {
  return event.ResourceType === 'AWS::CloudFormation::Stack' && event.LogicalResourceId === stackName;
}

function toStackEvent(event: SdkStackEvent, stackName: string): StackEvent {
  return {
    at: event.Timestamp ?? new Date(0),
    logicalId: event.LogicalResourceId ?? '?',
    resourceType: event.ResourceType ?? '?',
    status: event.ResourceStatus ?? '?',
    reason: event.ResourceStatusReason ?? null,
    isStack: isStackEvent(event, stackName),
  };
}

/** The first resource that failed on its own (later ones are "cancelled" because of it). */
function rollbackError(stackName: string, status: string, events: SdkStackEvent[], type: 'CREATE' | 'UPDATE'): AnchorError {
  const failures = events.filter((e) => !isStackEvent(e, stackName) && /_FAILED$/.test(e.ResourceStatus ?? ''));
  const cause = failures.find((e) => !CASCADE.test(e.ResourceStatusReason ?? '')) ?? failures[0];
  const what = cause ? `${cause.LogicalResourceId} (${cause.ResourceType}) failed: ${cause.ResourceStatusReason ?? 'no reason given'}` : `it ended ${status}`;
  return new AnchorError({
    code: 'STACK_ROLLED_BACK',
    kind: 'external',
    message: `Stack ${stackName} was rolled back (${status}): ${what}`,
    hint:
      type === 'CREATE'
        ? 'Nothing was kept. Fix the cause above (permissions, a quota, a name already taken) and run the command again; anchor removes the rolled-back stack first.'
        : 'The stack is back as it was before this change. Fix the cause above and run the command again.',
    details: { stack: stackName, status, resource: cause?.LogicalResourceId ?? null, resourceType: cause?.ResourceType ?? null, reason: cause?.ResourceStatusReason ?? null },
  });
}

function timeout(stackName: string): AnchorError {
  return new AnchorError({ code: 'STACK_TIMEOUT', kind: 'external', message: `Stack ${stackName} did not settle in time.`, hint: 'Look at the stack in the CloudFormation console; run the command again once it has settled.' });
}

function cloudFormationError(error: unknown, doing: string): AnchorError {
  if (error instanceof AnchorError) return error;
  const name = (error as { name?: string })?.name ?? '';
  if (/AccessDenied|UnauthorizedOperation|ExpiredToken|InvalidClientTokenId/.test(name)) {
    return new AnchorError({ code: 'AWS_ACCESS_DENIED', kind: 'auth', message: `${doing} was refused by AWS: ${errorMessage(error)}`, hint: 'Use credentials allowed to manage CloudFormation, IAM, Lambda, S3, DynamoDB, SQS, CodeBuild and CloudFront (AWS_PROFILE).', cause: error });
  }
  return new AnchorError({ code: 'CLOUDFORMATION_ERROR', kind: 'external', message: `${doing} failed: ${errorMessage(error)}`, hint: 'Run the command again; if it keeps failing, look at the stack in the CloudFormation console.', cause: error });
}
