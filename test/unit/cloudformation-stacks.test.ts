import {
  CloudFormationClient,
  CreateChangeSetCommand,
  DeleteStackCommand,
  DescribeChangeSetCommand,
  DescribeStackEventsCommand,
  DescribeStacksCommand,
  ExecuteChangeSetCommand,
  type StackEvent as SdkStackEvent,
} from '@aws-sdk/client-cloudformation';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { CloudFormationStacks, type StackEvent } from '../../src/adapters/aws/provisioning/cloudformation-stacks.js';
import { AnchorError } from '../../src/core/errors.js';

const cfn = mockClient(CloudFormationClient);
afterEach(() => cfn.reset());

const client = new CloudFormationClient({ region: 'ap-southeast-1' });
const stacks = new CloudFormationStacks({ cloudFormation: client, pollMs: 0 });
let n = 0;
const ev = (logicalId: string, status: string, reason?: string, type = 'AWS::Lambda::Function'): SdkStackEvent => ({
  EventId: `e${++n}`,
  StackId: 'arn:aws:cloudformation:ap-southeast-1:111122223333:stack/anchor-dev/1',
  StackName: 'anchor-dev',
  LogicalResourceId: logicalId,
  ResourceType: logicalId === 'anchor-dev' ? 'AWS::CloudFormation::Stack' : type,
  ResourceStatus: status as SdkStackEvent['ResourceStatus'],
  ResourceStatusReason: reason,
  Timestamp: new Date(),
});
const stack = (status: string, extra: object = {}) => ({ Stacks: [{ StackName: 'anchor-dev', StackStatus: status as never, CreationTime: new Date(), ...extra }] });

describe('CloudFormationStacks', () => {
  it('follows events across pages and polls, oldest first, each reported once', async () => {
    const old = ev('anchor-dev', 'CREATE_COMPLETE');
    const a = ev('anchor-dev', 'UPDATE_IN_PROGRESS', 'User Initiated');
    const b = ev('WebhookFunction', 'UPDATE_IN_PROGRESS');
    const c = ev('WebhookFunction', 'UPDATE_COMPLETE');
    const d = ev('anchor-dev', 'UPDATE_COMPLETE');
    cfn.on(DescribeStacksCommand).resolves(stack('UPDATE_COMPLETE', { Parameters: [{ ParameterKey: 'ServerLiveVersion', ParameterValue: '7' }], Outputs: [{ OutputKey: 'X', OutputValue: 'y' }] }));
    cfn.on(CreateChangeSetCommand).resolves({});
    cfn.on(DescribeChangeSetCommand).resolves({ Status: 'CREATE_COMPLETE' });
    cfn.on(ExecuteChangeSetCommand).resolves({});
    cfn
      .on(DescribeStackEventsCommand)
      .resolvesOnce({ StackEvents: [old] }) // before executing: what is already there
      .resolvesOnce({ StackEvents: [b, a], NextToken: 'page2' }) // a new page, more behind it
      .resolvesOnce({ StackEvents: [old] })
      .resolves({ StackEvents: [d, c, b, a, old] });
    const seen: StackEvent[] = [];
    const result = await stacks.deploy({ stackName: 'anchor-dev', templateBody: '{}', keepParameters: ['ServerLiveVersion', 'Missing'], onEvent: (e) => seen.push(e) });
    expect(result).toEqual({ action: 'update', outputs: { X: 'y' } });
    expect(seen.map((e) => `${e.logicalId}:${e.status}`)).toEqual(['anchor-dev:UPDATE_IN_PROGRESS', 'WebhookFunction:UPDATE_IN_PROGRESS', 'WebhookFunction:UPDATE_COMPLETE', 'anchor-dev:UPDATE_COMPLETE']);
    expect(seen[0]?.isStack).toBe(true);
    const create = cfn.commandCalls(CreateChangeSetCommand)[0]!.args[0].input;
    expect(create).toMatchObject({ ChangeSetType: 'UPDATE', Capabilities: ['CAPABILITY_IAM', 'CAPABILITY_NAMED_IAM'], Parameters: [{ ParameterKey: 'ServerLiveVersion', UsePreviousValue: true }] });
  });

  it('a change set CloudFormation refuses (not "no changes") is an error with its reason; nothing runs', async () => {
    cfn.on(DescribeStacksCommand).rejects(Object.assign(new Error('Stack with id anchor-dev does not exist'), { name: 'ValidationError' }));
    cfn.on(CreateChangeSetCommand).resolves({});
    cfn.on(DescribeChangeSetCommand).resolves({ Status: 'FAILED', StatusReason: 'Template format error: Unresolved resource dependencies [Nope] in the Resources block of the template' });
    const error = await stacks.deploy({ stackName: 'anchor-dev', templateBody: '{}' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AnchorError);
    expect(error).toMatchObject({ code: 'CHANGE_SET_FAILED', kind: 'external', message: expect.stringContaining('Unresolved resource dependencies [Nope]') });
    expect(cfn.commandCalls(ExecuteChangeSetCommand)).toHaveLength(0);
  });

  it('a stack in the middle of a change is busy: conflict, no change set', async () => {
    cfn.on(DescribeStacksCommand).resolves(stack('UPDATE_IN_PROGRESS'));
    await expect(stacks.deploy({ stackName: 'anchor-dev', templateBody: '{}' })).rejects.toMatchObject({ code: 'STACK_BUSY', kind: 'conflict' });
    expect(cfn.commandCalls(CreateChangeSetCommand)).toHaveLength(0);
  });

  it('a deletion that fails names the resource and why', async () => {
    cfn.on(DescribeStacksCommand).resolves(stack('CREATE_COMPLETE'));
    cfn.on(DeleteStackCommand).resolves({});
    cfn
      .on(DescribeStackEventsCommand)
      .resolvesOnce({ StackEvents: [] })
      .resolves({ StackEvents: [ev('anchor-dev', 'DELETE_FAILED', 'The following resource(s) failed to delete: [ServerUrlPermission].'), ev('ServerUrlPermission', 'DELETE_FAILED', 'Access denied for lambda:RemovePermission')].reverse() });
    await expect(stacks.delete('anchor-dev')).rejects.toMatchObject({ code: 'STACK_DELETE_FAILED', message: expect.stringContaining('ServerUrlPermission (AWS::Lambda::Function): Access denied for lambda:RemovePermission') });
  });

  it('deleting a stack that is not there is a no-op', async () => {
    cfn.on(DescribeStacksCommand).rejects(Object.assign(new Error('Stack with id anchor-dev does not exist'), { name: 'ValidationError' }));
    expect(await stacks.delete('anchor-dev')).toBe(false);
    expect(cfn.commandCalls(DeleteStackCommand)).toHaveLength(0);
  });
});
