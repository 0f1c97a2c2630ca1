// The Lambda wire format both function hosts speak: the local one turns HTTP requests into these
// events for OpenNext's handlers, the aws one sends them to Lambda (smoke requests).

/** A Lambda Function URL request (payload format 2.0), as OpenNext's `aws-apigw-v2` converter reads it. */
export interface FunctionUrlEvent {
  version: '2.0';
  routeKey: '$default';
  rawPath: string;
  rawQueryString: string;
  cookies?: string[];
  headers: Record<string, string>;
  requestContext: {
    accountId: string;
    apiId: string;
    domainName: string;
    domainPrefix: string;
    http: { method: string; path: string; protocol: string; sourceIp: string; userAgent: string };
    requestId: string;
    routeKey: '$default';
    stage: '$default';
    time: string;
    timeEpoch: number;
  };
  body?: string;
  isBase64Encoded: boolean;
}
