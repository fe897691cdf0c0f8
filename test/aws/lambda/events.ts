/**
 * Lambda events in the shapes AWS sends them (the field sets of the ALB and API Gateway HTTP API documentation's
 * examples), for driving the handlers in tests.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { AlbEvent, ApiGatewayV2Event } from '../../../lib/config-api/adapters/index.js';
import type { SqsEventRecord } from '../../../lib/adapters/queue/sqs/index.js';
import { messageToRecord } from '../../../lib/adapters/queue/sqs/message.js';

export interface HttpEventInput {
  method: string;
  /** As the client sent it, still percent-encoded; may carry `?query`. */
  url: string;
  headers?: Record<string, string>;
  body?: string;
  /** Send the body base64-encoded with `isBase64Encoded: true`. */
  base64?: boolean;
}

/** An ALB target group event with `multiValueHeaders` off (single values). Query values stay as sent, as ALB leaves them. */
export function albEvent(input: HttpEventInput): AlbEvent {
  const { path, pairs } = splitUrl(input.url);
  const queryStringParameters: Record<string, string> = {};
  for (const [name, value] of pairs) queryStringParameters[name] = value;
  return {
    requestContext: { elb: { targetGroupArn: 'arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/eg-config/6d0ecf831eec9f09' } },
    httpMethod: input.method,
    path,
    queryStringParameters,
    headers: {
      host: 'config.example.com',
      'user-agent': 'event-gateway-tests',
      'x-amzn-trace-id': `Root=1-${randomUUID()}`,
      'x-forwarded-for': '203.0.113.7',
      'x-forwarded-port': '443',
      'x-forwarded-proto': 'https',
      ...lowerCased(input.headers),
    },
    body: encodeBody(input),
    isBase64Encoded: input.base64 === true,
  };
}

/** An ALB event with multi-value headers on: ALB then sends only `multiValueHeaders` and `multiValueQueryStringParameters`. */
export function albMultiValueEvent(input: Omit<HttpEventInput, 'headers'> & { headers?: Record<string, string[]> }): AlbEvent {
  const { path, pairs } = splitUrl(input.url);
  const multiValueQueryStringParameters: Record<string, string[]> = {};
  for (const [name, value] of pairs) (multiValueQueryStringParameters[name] ??= []).push(value);
  const multiValueHeaders: Record<string, string[]> = {
    host: ['config.example.com'],
    'x-forwarded-for': ['203.0.113.7'],
    'x-forwarded-proto': ['https'],
  };
  for (const [name, values] of Object.entries(input.headers ?? {})) multiValueHeaders[name.toLowerCase()] = values;
  return {
    requestContext: { elb: { targetGroupArn: 'arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/eg-config/6d0ecf831eec9f09' } },
    httpMethod: input.method,
    path,
    multiValueQueryStringParameters,
    multiValueHeaders,
    body: encodeBody(input),
    isBase64Encoded: input.base64 === true,
  };
}

/** An API Gateway HTTP API event, payload format 2.0, on the `$default` stage unless another is given. */
export function apiGatewayV2Event(input: HttpEventInput & { stage?: string; cookies?: string[] }): ApiGatewayV2Event {
  const q = input.url.indexOf('?');
  const stage = input.stage ?? '$default';
  const path = q === -1 ? input.url : input.url.slice(0, q);
  const rawPath = stage === '$default' ? path : `/${stage}${path}`;
  const now = Date.now();
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath,
    rawQueryString: q === -1 ? '' : input.url.slice(q + 1),
    ...(input.cookies ? { cookies: input.cookies } : {}),
    headers: {
      host: 'abc123.execute-api.us-east-1.amazonaws.com',
      'user-agent': 'event-gateway-tests',
      'x-amzn-trace-id': `Root=1-${randomUUID()}`,
      'x-forwarded-for': '203.0.113.7',
      'x-forwarded-port': '443',
      'x-forwarded-proto': 'https',
      ...(input.body === undefined ? {} : { 'content-length': String(Buffer.byteLength(input.body)) }),
      ...lowerCased(input.headers),
    },
    requestContext: {
      accountId: '000000000000',
      apiId: 'abc123',
      domainName: 'abc123.execute-api.us-east-1.amazonaws.com',
      domainPrefix: 'abc123',
      http: { method: input.method, path: rawPath, protocol: 'HTTP/1.1', sourceIp: '203.0.113.7', userAgent: 'event-gateway-tests' },
      requestId: randomUUID(),
      routeKey: '$default',
      stage,
      time: new Date(now).toUTCString(),
      timeEpoch: now,
    } as ApiGatewayV2Event['requestContext'],
    ...(input.body === undefined ? {} : { body: encodeBody(input) }),
    isBase64Encoded: input.base64 === true,
  };
}

/** An SQS Lambda event record for a message as SQS holds it (the attributes an event source mapping sends). */
export function sqsEventRecord(message: {
  messageId: string;
  receiptHandle: string;
  body: string;
  messageAttributes?: SqsEventRecord['messageAttributes'];
  attributes?: SqsEventRecord['attributes'];
  queueArn: string;
}): SqsEventRecord {
  const sent = String(Date.now());
  return {
    messageId: message.messageId,
    receiptHandle: message.receiptHandle,
    body: message.body,
    attributes: {
      ApproximateReceiveCount: '1',
      SentTimestamp: sent,
      SenderId: 'AIDAIENQZJOLO23YVJ4VO',
      ApproximateFirstReceiveTimestamp: sent,
      ...message.attributes,
    },
    messageAttributes: message.messageAttributes ?? {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: message.queueArn,
    awsRegion: 'us-east-1',
  };
}

/**
 * Receives (SDK ReceiveMessage, long polls of 1 s, messages hidden for 30 s) until `count` messages are in hand, as
 * the records an event source mapping of the queue would hand over. Fails after 5 s.
 */
export async function receiveSqsEventRecords(sqs: SQSClient, queueUrl: string, queueArn: string, count: number): Promise<SqsEventRecord[]> {
  const records: SqsEventRecord[] = [];
  const deadline = Date.now() + 5000;
  while (records.length < count) {
    assert.ok(Date.now() < deadline, `received ${records.length} of ${count} messages`);
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: Math.min(10, count - records.length),
        WaitTimeSeconds: 1,
        VisibilityTimeout: 30,
        MessageAttributeNames: ['All'],
        MessageSystemAttributeNames: ['ApproximateReceiveCount', 'ApproximateFirstReceiveTimestamp', 'SentTimestamp'],
      }),
    );
    for (const message of Messages) records.push({ ...messageToRecord(message), md5OfBody: '', eventSource: 'aws:sqs', eventSourceARN: queueArn, awsRegion: 'us-east-1' });
  }
  return records;
}

function splitUrl(url: string): { path: string; pairs: [string, string][] } {
  const q = url.indexOf('?');
  if (q === -1) return { path: url, pairs: [] };
  const pairs = url
    .slice(q + 1)
    .split('&')
    .filter((part) => part !== '')
    .map((part): [string, string] => {
      const eq = part.indexOf('=');
      return eq === -1 ? [part, ''] : [part.slice(0, eq), part.slice(eq + 1)];
    });
  return { path: url.slice(0, q), pairs };
}

function encodeBody(input: Pick<HttpEventInput, 'body' | 'base64'>): string | null {
  if (input.body === undefined) return input.base64 ? '' : null;
  return input.base64 ? Buffer.from(input.body, 'utf8').toString('base64') : input.body;
}

function lowerCased(headers: Record<string, string> | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(headers ?? {}).map(([name, value]) => [name.toLowerCase(), value]));
}
