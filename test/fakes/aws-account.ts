import { CloudFrontClient, DescribeFunctionCommand, GetCachePolicyCommand, GetDistributionCommand, NoSuchFunctionExists } from '@aws-sdk/client-cloudfront';
import { CloudFrontKeyValueStoreClient, GetKeyCommand, ResourceNotFoundException as KvsKeyNotFound } from '@aws-sdk/client-cloudfront-keyvaluestore';
import { BatchGetProjectsCommand, CodeBuildClient } from '@aws-sdk/client-codebuild';
import { GetRolePolicyCommand, IAMClient, ListRolePoliciesCommand, NoSuchEntityException } from '@aws-sdk/client-iam';
import { GetFunctionCommand, GetFunctionUrlConfigCommand, ResourceNotFoundException } from '@aws-sdk/client-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { ACCOUNT, type FakeAwsControlPlane } from './aws-control-plane.js';

const REGION = 'ap-southeast-1';
type Json = unknown;

export interface FakeRole {
  name: string;
  arn: string;
  /** Inline policies by name, as the documents CloudFormation wrote (references resolved). */
  policies: Map<string, { Statement: Record<string, Json>[] }>;
}

export interface FakeDistributionState {
  id: string;
  status: 'InProgress' | 'Deployed';
  enabled: boolean;
  defaultBehaviour: FakeBehaviour;
  behaviours: FakeBehaviour[];
}

export interface FakeBehaviour {
  PathPattern?: string;
  TargetOriginId: string;
  CachePolicyId?: string;
  FunctionAssociations: { EventType: string; FunctionARN: string }[];
}

/**
 * The resources a deployed stack stands for, in the services that hold them, next to
 * FakeAwsControlPlane's CloudFormation: `sync()` reads every complete stack's template and
 * creates what CloudFormation would (roles with their inline policies, Lambda functions with
 * their architecture, a placeholder version and alias `live`, Function URLs, the CodeBuild
 * project, CloudFront cache policies, function, distribution and KeyValueStore), with every
 * Ref / GetAtt / Sub resolved to the names and ARNs the stacks' outputs give. Then IAM,
 * CloudFront, KeyValueStore, CodeBuild and Lambda's read calls answer from that state, which a
 * test changes the way drift or a half-applied change would.
 */
export class FakeAwsAccount {
  readonly iam = mockClient(IAMClient);
  readonly cloudfront = mockClient(CloudFrontClient);
  readonly kvs = mockClient(CloudFrontKeyValueStoreClient);
  readonly codebuild = mockClient(CodeBuildClient);
  readonly roles = new Map<string, FakeRole>();
  /** Per Lambda function: its architecture and role (the FakeLambda holds code, versions and alias). */
  readonly functionMeta = new Map<string, { architectures: string[]; role: string; env: Record<string, string> }>();
  /** Function URLs by function name. */
  readonly urls = new Map<string, { qualifier: string; invokeMode: string; authType: string }>();
  readonly buildProjects = new Map<string, { image: string; type: string }>();
  readonly cachePolicies = new Map<string, { headers: string[] }>();
  readonly edgeFunctions = new Map<string, { arn: string; stages: Set<'DEVELOPMENT' | 'LIVE'>; keyValueStores: string[] }>();
  readonly distributions = new Map<string, FakeDistributionState>();
  /** KeyValueStores by ARN: key → value. */
  readonly keyValueStores = new Map<string, Map<string, string>>();
  /** Every read call, as "service:Command". */
  readonly calls: string[] = [];

  constructor(private readonly aws: FakeAwsControlPlane) {
    this.install();
  }

  restore(): void {
    for (const mock of [this.iam, this.cloudfront, this.kvs, this.codebuild]) mock.restore();
  }

  /** Creates what every complete stack's template describes and is not there yet. */
  sync(): void {
    for (const stack of this.aws.stacks.values()) {
      if (!stack.status.endsWith('_COMPLETE') || stack.status.startsWith('DELETE') || !stack.template) continue;
      const template = JSON.parse(stack.template) as { Resources: Record<string, { Type: string; Properties: Record<string, Json> }>; Outputs?: Record<string, { Value: Json }> };
      const resolver = new Resolver(stack.name, template, stack.outputs, stack.parameters);
      for (const [id, resource] of Object.entries(template.Resources)) this.create(resolver, id, resource.Type, resolver.resolve(resource.Properties) as Record<string, Json>);
    }
  }

  private create(r: Resolver, id: string, type: string, p: Record<string, Json>): void {
    if (type === 'AWS::IAM::Role') {
      const name = r.ref(id);
      const policies = new Map((p.Policies as { PolicyName: string; PolicyDocument: { Statement: Record<string, Json>[] } }[] | undefined ?? []).map((x) => [x.PolicyName, x.PolicyDocument]));
      if (!this.roles.has(name)) this.roles.set(name, { name, arn: r.getAtt(id, 'Arn'), policies });
    } else if (type === 'AWS::Lambda::Function') {
      const name = p.FunctionName as string;
      const env = ((p.Environment as { Variables?: Record<string, string> } | undefined)?.Variables) ?? {};
      if (!this.functionMeta.has(name)) this.functionMeta.set(name, { architectures: (p.Architectures as string[] | undefined) ?? ['x86_64'], role: p.Role as string, env });
      if (r.has(`${id.replace(/Function$/, '')}PlaceholderVersion`) && !this.aws.lambda.functions.has(name)) this.addSiteFunction(name);
    } else if (type === 'AWS::Lambda::Url') {
      const name = functionNameOf(p.TargetFunctionArn as string);
      if (!this.urls.has(name)) this.urls.set(name, { qualifier: (p.Qualifier as string) ?? '$LATEST', invokeMode: (p.InvokeMode as string) ?? 'BUFFERED', authType: p.AuthType as string });
    } else if (type === 'AWS::S3::Bucket') {
      if (!this.aws.buckets.has(r.ref(id))) this.aws.buckets.set(r.ref(id), new Map());
    } else if (type === 'AWS::CodeBuild::Project') {
      const env = p.Environment as { Image: string; Type: string };
      this.buildProjects.set(p.Name as string, { image: env.Image, type: env.Type });
    } else if (type === 'AWS::CloudFront::CachePolicy') {
      const config = p.CachePolicyConfig as { ParametersInCacheKeyAndForwardedToOrigin: { HeadersConfig: { Headers?: string[] } } };
      this.cachePolicies.set(r.ref(id), { headers: config.ParametersInCacheKeyAndForwardedToOrigin.HeadersConfig.Headers ?? [] });
    } else if (type === 'AWS::CloudFront::Function') {
      const stores = ((p.FunctionConfig as { KeyValueStoreAssociations?: { KeyValueStoreARN: string }[] }).KeyValueStoreAssociations ?? []).map((k) => k.KeyValueStoreARN);
      this.edgeFunctions.set(p.Name as string, { arn: r.getAtt(id, 'FunctionARN'), stages: new Set(p.AutoPublish ? ['DEVELOPMENT', 'LIVE'] : ['DEVELOPMENT']), keyValueStores: stores });
    } else if (type === 'AWS::CloudFront::KeyValueStore') {
      const arn = r.getAtt(id, 'Arn');
      if (!this.keyValueStores.has(arn)) this.keyValueStores.set(arn, new Map());
    } else if (type === 'AWS::CloudFront::Distribution') {
      const config = p.DistributionConfig as { Enabled: boolean; DefaultCacheBehavior: FakeBehaviour; CacheBehaviors?: FakeBehaviour[] };
      this.distributions.set(r.ref(id), { id: r.ref(id), status: 'Deployed', enabled: config.Enabled, defaultBehaviour: config.DefaultCacheBehavior, behaviours: config.CacheBehaviors ?? [] });
    }
  }

  /** A site function as the project template creates it: placeholder code, version 1, alias live → 1. */
  private addSiteFunction(name: string): void {
    const code = `placeholder:${name}`;
    this.aws.lambda.functions.set(name, {
      code,
      config: { handler: 'index.handler', env: {}, revisionId: `rev-${name}-created` },
      status: 'Successful',
      callsUntilDone: 0,
      changedSincePublish: false,
      versions: [{ Version: '1', Description: 'Placeholder: no deployment yet', CodeSha256: `sha-${code}`, code, env: {}, handler: 'index.handler' }],
      alias: { FunctionVersion: '1', RevisionId: `rev-${name}-alias`, Description: '' },
    });
  }

  private install(): void {
    const log = (call: string) => this.calls.push(call);
    const lambda = this.aws.lambda.mock;
    lambda.on(GetFunctionCommand).callsFake((input: { FunctionName?: string; Qualifier?: string }) => {
      log(`lambda:GetFunction:${input.FunctionName}${input.Qualifier ? `:${input.Qualifier}` : ''}`);
      const name = input.FunctionName ?? '';
      const meta = this.functionMeta.get(name);
      if (!meta) throw new ResourceNotFoundException({ message: `Function not found: ${name}`, $metadata: {} });
      const fn = this.aws.lambda.functions.get(name);
      const base = { FunctionName: name, Role: meta.role, Architectures: meta.architectures };
      // A platform function (its code is the stack's, not in the fake Lambda): its template environment.
      if (!fn) return { Configuration: { ...base, Version: '$LATEST', Environment: { Variables: meta.env } } };
      const wanted = input.Qualifier === 'live' ? fn.alias.FunctionVersion : (input.Qualifier ?? '$LATEST');
      if (wanted === '$LATEST') return { Configuration: { ...base, Version: '$LATEST', Description: '', Environment: { Variables: fn.config.env } } };
      const version = fn.versions.find((v) => v.Version === wanted);
      if (!version) throw new ResourceNotFoundException({ message: `Function not found: ${name}:${wanted}`, $metadata: {} });
      return { Configuration: { ...base, Version: version.Version, Description: version.Description, Environment: { Variables: version.env } } };
    });
    lambda.on(GetFunctionUrlConfigCommand).callsFake((input: { FunctionName?: string; Qualifier?: string }) => {
      log(`lambda:GetFunctionUrlConfig:${input.FunctionName}`);
      const url = this.urls.get(input.FunctionName ?? '');
      if (!url || url.qualifier !== (input.Qualifier ?? '$LATEST')) throw new ResourceNotFoundException({ message: 'The resource you requested does not exist.', $metadata: {} });
      return { FunctionUrl: `https://${input.FunctionName}.lambda-url.${REGION}.on.aws/`, AuthType: url.authType, InvokeMode: url.invokeMode };
    });
    this.iam.on(ListRolePoliciesCommand).callsFake((input: { RoleName?: string }) => {
      log(`iam:ListRolePolicies:${input.RoleName}`);
      const role = this.role(input.RoleName);
      return { PolicyNames: [...role.policies.keys()], IsTruncated: false };
    });
    this.iam.on(GetRolePolicyCommand).callsFake((input: { RoleName?: string; PolicyName?: string }) => {
      log(`iam:GetRolePolicy:${input.RoleName}:${input.PolicyName}`);
      const document = this.role(input.RoleName).policies.get(input.PolicyName ?? '');
      if (!document) throw new NoSuchEntityException({ message: `The role policy with name ${input.PolicyName} cannot be found.`, $metadata: {} });
      // IAM returns the document URL-encoded.
      return { RoleName: input.RoleName, PolicyName: input.PolicyName, PolicyDocument: encodeURIComponent(JSON.stringify(document)) };
    });
    this.codebuild.on(BatchGetProjectsCommand).callsFake((input: { names?: string[] }) => {
      log('codebuild:BatchGetProjects');
      const names = input.names ?? [];
      return {
        projects: names.filter((n) => this.buildProjects.has(n)).map((name) => ({ name, environment: { ...this.buildProjects.get(name)!, computeType: 'BUILD_GENERAL1_SMALL' } })),
        projectsNotFound: names.filter((n) => !this.buildProjects.has(n)),
      };
    });
    this.installCloudFront(log);
    this.kvs.on(GetKeyCommand).callsFake((input: { KvsARN?: string; Key?: string }) => {
      log(`cloudfront-keyvaluestore:GetKey:${input.Key}`);
      const store = this.keyValueStores.get(input.KvsARN ?? '');
      const value = store?.get(input.Key ?? '');
      if (value === undefined) throw new KvsKeyNotFound({ message: store ? `Key not found: ${input.Key}` : 'Key value store not found', $metadata: {} });
      return { Key: input.Key, Value: value, ItemCount: store!.size, TotalSizeInBytes: 1 };
    });
  }

  private installCloudFront(log: (call: string) => void): void {
    const notFound = (name: string, message: string) => Object.assign(new Error(message), { name, $metadata: { httpStatusCode: 404 } });
    const behaviour = (b: FakeBehaviour) => ({ ...b, FunctionAssociations: { Quantity: b.FunctionAssociations.length, Items: b.FunctionAssociations } });
    this.cloudfront.on(GetDistributionCommand).callsFake((input: { Id?: string }) => {
      log(`cloudfront:GetDistribution:${input.Id}`);
      const d = this.distributions.get(input.Id ?? '');
      if (!d) throw notFound('NoSuchDistribution', 'The specified distribution does not exist.');
      return { Distribution: { Id: d.id, Status: d.status, DistributionConfig: { Enabled: d.enabled, DefaultCacheBehavior: behaviour(d.defaultBehaviour), CacheBehaviors: { Quantity: d.behaviours.length, Items: d.behaviours.map(behaviour) } } }, ETag: 'E1' };
    });
    this.cloudfront.on(GetCachePolicyCommand).callsFake((input: { Id?: string }) => {
      log(`cloudfront:GetCachePolicy:${input.Id}`);
      const policy = this.cachePolicies.get(input.Id ?? '');
      if (!policy) throw notFound('NoSuchCachePolicy', 'The cache policy does not exist.');
      const headers = { HeaderBehavior: 'whitelist', Headers: { Quantity: policy.headers.length, Items: policy.headers } };
      return { CachePolicy: { Id: input.Id, CachePolicyConfig: { Name: input.Id, MinTTL: 0, ParametersInCacheKeyAndForwardedToOrigin: { HeadersConfig: headers } } } };
    });
    this.cloudfront.on(DescribeFunctionCommand).callsFake((input: { Name?: string; Stage?: 'DEVELOPMENT' | 'LIVE' }) => {
      log(`cloudfront:DescribeFunction:${input.Name}:${input.Stage ?? 'DEVELOPMENT'}`);
      const fn = this.edgeFunctions.get(input.Name ?? '');
      const stage = input.Stage ?? 'DEVELOPMENT';
      if (!fn || !fn.stages.has(stage)) throw new NoSuchFunctionExists({ message: `The function does not exist: ${input.Name}`, $metadata: {} });
      return {
        FunctionSummary: {
          Name: input.Name,
          Status: stage === 'LIVE' ? 'DEPLOYED' : 'UNPUBLISHED',
          FunctionConfig: { Comment: '', Runtime: 'cloudfront-js-2.0', KeyValueStoreAssociations: { Quantity: fn.keyValueStores.length, Items: fn.keyValueStores.map((KeyValueStoreARN) => ({ KeyValueStoreARN })) } },
          FunctionMetadata: { FunctionARN: fn.arn, Stage: stage, LastModifiedTime: new Date() },
        },
        ETag: 'E1',
      };
    });
  }

  private role(name: string | undefined): FakeRole {
    const role = this.roles.get(name ?? '');
    if (!role) throw new NoSuchEntityException({ message: `The role with name ${name} cannot be found.`, $metadata: {} });
    return role;
  }
}

const functionNameOf = (value: string): string => value.replace(/^arn:aws:lambda:[^:]+:\d+:function:/, '').split(':')[0]!;

/** CloudFormation's intrinsic functions over one deployed stack, answering with what its outputs name. */
class Resolver {
  constructor(
    private readonly stackName: string,
    private readonly template: { Resources: Record<string, { Type: string; Properties: Record<string, Json> }>; Outputs?: Record<string, { Value: Json }> },
    private readonly outputs: Record<string, string>,
    private readonly parameters: Record<string, string>,
  ) {}

  has(id: string): boolean {
    return id in this.template.Resources;
  }

  private output(value: Json): string | undefined {
    const key = Object.entries(this.template.Outputs ?? {}).find(([, o]) => JSON.stringify(o.Value) === JSON.stringify(value))?.[0];
    return key === undefined ? undefined : this.outputs[key];
  }

  ref(id: string): string {
    if (id === 'AWS::Region') return REGION;
    if (id === 'AWS::AccountId') return ACCOUNT;
    if (id === 'AWS::Partition') return 'aws';
    if (id === 'AWS::URLSuffix') return 'amazonaws.com';
    if (id === 'AWS::StackName') return this.stackName;
    if (id in this.parameters) return this.parameters[id]!;
    const named = this.output({ Ref: id });
    if (named !== undefined) return named;
    const resource = this.template.Resources[id];
    const props = resource?.Properties ?? {};
    const given = props.RoleName ?? props.FunctionName ?? props.Name;
    if (typeof given === 'string') return given;
    return `${this.stackName}-${id}-FAKE${id.length}`;
  }

  getAtt(id: string, attribute: string): string {
    const named = this.output({ 'Fn::GetAtt': [id, attribute] });
    if (named !== undefined) return named;
    const type = this.template.Resources[id]?.Type;
    if (type === 'AWS::S3::Bucket' && attribute === 'Arn') return `arn:aws:s3:::${this.ref(id)}`;
    if (type === 'AWS::IAM::Role' && attribute === 'Arn') return `arn:aws:iam::${ACCOUNT}:role/${this.ref(id)}`;
    if (type === 'AWS::Lambda::Function' && attribute === 'Arn') return `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${this.resolve(this.template.Resources[id]!.Properties.FunctionName)}`;
    if (type === 'AWS::CloudFront::Function' && attribute === 'FunctionARN') return `arn:aws:cloudfront::${ACCOUNT}:function/${this.ref(id)}`;
    if (type === 'AWS::CloudFront::KeyValueStore' && attribute === 'Arn') return `arn:aws:cloudfront::${ACCOUNT}:key-value-store/${this.stackName}-${id}`;
    return `arn:aws:fake:${REGION}:${ACCOUNT}:${this.stackName}/${id}/${attribute}`;
  }

  resolve(value: Json): Json {
    if (Array.isArray(value)) return value.map((v) => this.resolve(v));
    if (value === null || typeof value !== 'object') return value;
    const node = value as Record<string, Json>;
    if ('Ref' in node) return this.ref(node.Ref as string);
    if ('Fn::GetAtt' in node) {
      const [id, attribute] = node['Fn::GetAtt'] as [string, string];
      return this.getAtt(id, attribute);
    }
    if ('Fn::Sub' in node) return this.sub(node['Fn::Sub'] as string);
    if ('Fn::Join' in node) {
      const [separator, parts] = node['Fn::Join'] as [string, Json[]];
      return parts.map((p) => String(this.resolve(p))).join(separator);
    }
    if ('Fn::If' in node) return this.resolve((node['Fn::If'] as Json[])[2]);
    if ('Fn::Select' in node) {
      const [index, list] = node['Fn::Select'] as [number, Json];
      return (this.resolve(list) as Json[])[index];
    }
    if ('Fn::Split' in node) {
      const [separator, text] = node['Fn::Split'] as [string, Json];
      return String(this.resolve(text)).split(separator);
    }
    return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, this.resolve(v)]));
  }

  private sub(text: string): string {
    return text.replace(/\$\{([^}!]+)\}/g, (_match, name: string) => {
      const [id, attribute] = name.split('.');
      return attribute === undefined ? this.ref(id!) : this.getAtt(id!, attribute);
    });
  }
}
