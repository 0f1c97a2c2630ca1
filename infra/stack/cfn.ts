/**
 * Just enough typing to write CloudFormation templates as plain objects: the template shape,
 * the intrinsic functions we use, and IAM policy documents. No CDK: the output is the JSON that
 * CloudFormation receives, so a test can read exactly what will be deployed.
 */

export type Intrinsic =
  | { Ref: string }
  | { 'Fn::GetAtt': [string, string] }
  | { 'Fn::Sub': string | [string, Record<string, CfnValue>] }
  | { 'Fn::Join': [string, CfnValue[]] }
  | { 'Fn::Select': [number, CfnValue] }
  | { 'Fn::Split': [string, CfnValue] }
  | { 'Fn::If': [string, CfnValue, CfnValue] }
  | { 'Fn::Equals': [CfnValue, CfnValue] }
  | { 'Fn::Not': [CfnValue] };

export type CfnValue = string | number | boolean | null | Intrinsic | CfnValue[] | { [key: string]: CfnValue };

export interface Resource {
  Type: string;
  Properties?: Record<string, CfnValue>;
  DependsOn?: string | string[];
  Condition?: string;
  DeletionPolicy?: 'Delete' | 'Retain' | 'RetainExceptOnCreate' | 'Snapshot';
  UpdateReplacePolicy?: 'Delete' | 'Retain' | 'Snapshot';
}

export interface Parameter {
  Type: 'String' | 'Number' | 'CommaDelimitedList';
  Default?: string;
  Description?: string;
  AllowedPattern?: string;
  /** Hidden in DescribeStacks and the console (a secret passed in). */
  NoEcho?: boolean;
}

export interface Output {
  Value: CfnValue;
  Description?: string;
}

export interface Template {
  AWSTemplateFormatVersion: '2010-09-09';
  Description: string;
  Parameters?: Record<string, Parameter>;
  Conditions?: Record<string, CfnValue>;
  Resources: Record<string, Resource>;
  Outputs: Record<string, Output>;
}

export const ref = (logicalId: string): Intrinsic => ({ Ref: logicalId });
export const getAtt = (logicalId: string, attribute: string): Intrinsic => ({ 'Fn::GetAtt': [logicalId, attribute] });
export const sub = (text: string): Intrinsic => ({ 'Fn::Sub': text });
export const join = (separator: string, parts: CfnValue[]): Intrinsic => ({ 'Fn::Join': [separator, parts] });

/** `https://abc.lambda-url.region.on.aws/` → `abc.lambda-url.region.on.aws`, as a CloudFront origin wants it. */
export const domainOfUrl = (url: CfnValue): Intrinsic => ({ 'Fn::Select': [2, { 'Fn::Split': ['/', url] }] });

// Type aliases (not interfaces) so statements stay assignable to CfnValue.
export type PolicyStatement = {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Action: string[];
  Resource: CfnValue;
  Principal?: CfnValue;
  Condition?: Record<string, Record<string, CfnValue>>;
};

export type PolicyDocument = {
  Version: '2012-10-17';
  Statement: PolicyStatement[];
};

export const policy = (statements: PolicyStatement[]): PolicyDocument => ({ Version: '2012-10-17', Statement: statements });

export const allow = (actions: string[], resources: CfnValue[], sid?: string): PolicyStatement => ({
  ...(sid ? { Sid: sid } : {}),
  Effect: 'Allow',
  Action: actions,
  Resource: resources,
});

/** A role a service assumes, with inline policies only, so each role's rights are readable in one place. */
export function serviceRole(input: { service: string; roleName?: CfnValue; policies: Record<string, PolicyStatement[]> }): Resource {
  return {
    Type: 'AWS::IAM::Role',
    Properties: {
      ...(input.roleName ? { RoleName: input.roleName } : {}),
      AssumeRolePolicyDocument: {
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Principal: { Service: input.service }, Action: 'sts:AssumeRole' }],
      },
      Policies: Object.entries(input.policies).map(([name, statements]) => ({ PolicyName: name, PolicyDocument: policy(statements) })),
    },
  };
}

/** A log group with a retention, so no log group the platform creates keeps data forever. */
export function logGroup(name: CfnValue, retentionInDays: number): Resource {
  return {
    Type: 'AWS::Logs::LogGroup',
    DeletionPolicy: 'Delete',
    UpdateReplacePolicy: 'Delete',
    Properties: { LogGroupName: name, RetentionInDays: retentionInDays },
  };
}

/** The valid CloudWatch Logs retention values; anything else is rejected by the service. */
export const LOG_RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653] as const;
