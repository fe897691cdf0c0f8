#!/usr/bin/env node
// The monthly cost of the event gateway stack (lib/infra) at a steady event rate, from list prices, next to
// API Gateway + EventBridge for the same traffic. Every number it uses is in PRICES (with its source) or in
// ASSUMPTIONS (with its reason); docs/cost.md explains the model and shows its output.
//
//   node scripts/cost-model.mjs                  Markdown tables for 100, 1,000 and 10,000 events/s
//   node scripts/cost-model.mjs --rates 50,5000  other rates
//   node scripts/cost-model.mjs --json           the same as JSON
//   node scripts/cost-model.mjs --measured f     the bench's figures from f (`npm run bench -- aws` writes
//                                                bench/results/aws.json; without it, docs/cost-measured.json, the
//                                                run docs/cost.md shows); --assumed ignores measured figures
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const PRICES_AS_OF = '2026-11-28';
export const REGION = 'us-east-1 (US East, N. Virginia)';

/**
 * AWS list prices in USD for us-east-1, on-demand, without free tiers or discounts, as published on the pages
 * named in `source`. Compiled on PRICES_AS_OF; re-check them before relying on the totals.
 */
export const PRICES = {
  fargateVcpuHour: { usd: 0.04048, unit: 'vCPU-hour, Linux/x86', source: 'https://aws.amazon.com/fargate/pricing/' },
  fargateGbHour: { usd: 0.004445, unit: 'GB-hour, Linux/x86', source: 'https://aws.amazon.com/fargate/pricing/' },
  albHour: { usd: 0.0225, unit: 'ALB-hour', source: 'https://aws.amazon.com/elasticloadbalancing/pricing/' },
  albLcuHour: { usd: 0.008, unit: 'LCU-hour', source: 'https://aws.amazon.com/elasticloadbalancing/pricing/' },
  natHour: { usd: 0.045, unit: 'NAT gateway-hour', source: 'https://aws.amazon.com/vpc/pricing/' },
  natGb: { usd: 0.045, unit: 'GB processed by a NAT gateway', source: 'https://aws.amazon.com/vpc/pricing/' },
  vpcEndpointHour: { usd: 0.01, unit: 'interface VPC endpoint-hour, per Availability Zone', source: 'https://aws.amazon.com/privatelink/pricing/' },
  vpcEndpointGb: { usd: 0.01, unit: 'GB processed by an interface VPC endpoint (first PB)', source: 'https://aws.amazon.com/privatelink/pricing/' },
  publicIpv4Hour: { usd: 0.005, unit: 'public IPv4 address-hour', source: 'https://aws.amazon.com/vpc/pricing/' },
  sqsMillion: { usd: 0.4, unit: 'million SQS standard requests (64 KB chunks)', source: 'https://aws.amazon.com/sqs/pricing/' },
  lambdaArmGbSecond: { usd: 0.0000133334, unit: 'GB-second, arm64 (first 7.5 billion)', source: 'https://aws.amazon.com/lambda/pricing/' },
  lambdaMillionRequests: { usd: 0.2, unit: 'million Lambda requests', source: 'https://aws.amazon.com/lambda/pricing/' },
  dynamoMillionWru: { usd: 0.625, unit: 'million on-demand write request units', source: 'https://aws.amazon.com/dynamodb/pricing/on-demand/' },
  dynamoMillionRru: { usd: 0.125, unit: 'million on-demand read request units', source: 'https://aws.amazon.com/dynamodb/pricing/on-demand/' },
  dynamoGbMonth: { usd: 0.25, unit: 'GB-month stored (Standard table class)', source: 'https://aws.amazon.com/dynamodb/pricing/on-demand/' },
  dynamoPitrGbMonth: { usd: 0.2, unit: 'GB-month of point-in-time recovery', source: 'https://aws.amazon.com/dynamodb/pricing/on-demand/' },
  kmsKeyMonth: { usd: 1, unit: 'customer-managed key-month', source: 'https://aws.amazon.com/kms/pricing/' },
  kmsTenThousandRequests: { usd: 0.03, unit: '10,000 KMS requests', source: 'https://aws.amazon.com/kms/pricing/' },
  logsIngestGb: { usd: 0.5, unit: 'GB of CloudWatch Logs ingested (standard, also vended flow logs up to 10 TB)', source: 'https://aws.amazon.com/cloudwatch/pricing/' },
  logsStoreGbMonth: { usd: 0.03, unit: 'GB-month of CloudWatch Logs stored', source: 'https://aws.amazon.com/cloudwatch/pricing/' },
  metricMonth: { usd: 0.3, unit: 'custom metric-month (first 10,000)', source: 'https://aws.amazon.com/cloudwatch/pricing/' },
  alarmMetricMonth: { usd: 0.1, unit: 'standard-resolution alarm metric-month', source: 'https://aws.amazon.com/cloudwatch/pricing/' },
  dashboardMonth: { usd: 3, unit: 'dashboard-month', source: 'https://aws.amazon.com/cloudwatch/pricing/' },
  s3GbMonth: { usd: 0.023, unit: 'GB-month S3 Standard (first 50 TB)', source: 'https://aws.amazon.com/s3/pricing/' },
  ecrGbMonth: { usd: 0.1, unit: 'GB-month of ECR storage', source: 'https://aws.amazon.com/ecr/pricing/' },
  secretMonth: { usd: 0.4, unit: 'secret-month', source: 'https://aws.amazon.com/secrets-manager/pricing/' },
  httpApiMillionFirst300: { usd: 1.0, unit: 'million HTTP API requests, first 300 million a month', source: 'https://aws.amazon.com/api-gateway/pricing/' },
  httpApiMillionAfter300: { usd: 0.9, unit: 'million HTTP API requests beyond 300 million a month', source: 'https://aws.amazon.com/api-gateway/pricing/' },
  eventBridgeMillionEvents: { usd: 1.0, unit: 'million custom events published (64 KB chunks)', source: 'https://aws.amazon.com/eventbridge/pricing/' },
  eventBridgeMillionApiDestination: { usd: 0.2, unit: 'million API destination invocations', source: 'https://aws.amazon.com/eventbridge/pricing/' },
};

/** What the model assumes about the traffic and the stack; each value says why. */
export const ASSUMPTIONS = {
  hoursPerMonth: { value: 730, why: 'AWS bills a month as 730 hours; the rate is steady, every hour of the month' },
  eventBytes: { value: 1024, why: 'average event body (JSON or a CloudEvent), bytes' },
  httpOverheadBytes: { value: 600, why: 'request headers plus the 202 answer through the ALB, bytes per event' },
  subscriptionsPerEvent: { value: 1, why: 'async fan-out: each event has one async subscription, so one queue item (docs/compatibility.md#durable-delivery)' },
  eventsPerTaskPerSecond: { value: 500, why: 'events one 0.5 vCPU / 1 GB router task takes at the 60% CPU target; the stack scales on 30,000 requests per task-minute, the same figure. Measure yours with npm run bench' },
  minTasks: { value: 2, why: 'the stack default (router.minTasks): two tasks in two zones' },
  maxTasks: { value: 10, why: 'the stack default (router.maxTasks); the default profile is priced as if routerMaxTasks grows with the traffic, a profile that sets maxTasks is capped there' },
  taskVcpu: { value: 0.5, why: 'the stack default task size (router.cpu 512)' },
  taskGb: { value: 1, why: 'the stack default task size (router.memoryLimitMiB 1024)' },
  newConnectionShare: { value: 0.05, why: 'share of requests that open a new connection at the ALB (clients keep connections alive)' },
  sendBatchSize: { value: 1, why: 'entries per SendMessageBatch: at 500 events/s per task the 2 ms linger rarely gathers more than one; conservative' },
  sqsSendBytes: { value: 2048, why: 'bytes a router sends to SQS per item through the NAT gateway (body in base64, attributes, HTTP and TLS framing)' },
  queueCountRefreshPerSecond: { value: 1, why: 'GetQueueAttributes per router task per second (the back-pressure count, lib/adapters/queue/sqs)' },
  esmIdlePollers: { value: 5, why: 'SQS event source pollers Lambda keeps long-polling (20 s) even when the queue is empty' },
  deliveryBatchAt: { value: 'min(10, max(1, rate / 20))', why: 'messages per delivery invocation: 10 (the batch size) once the queue is busy, fewer at low rates' },
  deliveryMsPerBatch: { value: 100, why: 'billed duration of one delivery invocation: a batch delivered concurrently to targets answering in ~50 ms, plus SQS and DynamoDB calls' },
  deliveryMemoryGb: { value: 1, why: 'the delivery Lambda has 1024 MB (lib/infra/workers)' },
  changeFeedPollsPerSecond: { value: 5, why: 'strongly consistent GetItem of the change-log counter by every router task and warm delivery container (every 200 ms, docs/architecture.md#on-aws); 1 RRU each' },
  deadLetterShare: { value: 0.0001, why: 'share of items that end as dead letters (one in 10,000), 3 WRU each' },
  configWritesPerMonth: { value: 10000, why: 'config API writes a month; about 10 WRU each with guards, Stream and change log' },
  tableGb: { value: 1, why: 'registry, change log and dead letters together, GB (with PITR)' },
  kmsRequestsPerMonth: { value: 100000, why: 'KMS calls by SQS (5-minute data key reuse) and DynamoDB (cached table keys)' },
  lambdaLogBytesPerInvocation: { value: 1000, why: 'START/END/REPORT lines and one EMF document per invocation' },
  routerLogGbPerTaskMonth: { value: 0.3, why: 'router logs at info (no per-request lines), per task' },
  albLogBytesPerRequestGzip: { value: 60, why: 'an ALB access-log entry (~600 bytes) gzip-compressed; kept 90 days, so three months are stored' },
  flowLogGbPerMonth: { value: 1, why: 'rejected-traffic flow logs of the new VPC' },
  customMetrics: { value: 19 + 25, why: '19 EMF metrics of the Lambdas plus about 25 of Container Insights' },
  alarmMetrics: { value: 13, why: '8 alarms; metric-math alarms are billed per metric they read' },
  ecrGb: { value: 0.5, why: 'router image versions kept in the CDK asset repository' },
  configApiRequestsPerMonth: { value: 100000, why: 'SDK, Serverless Framework plugin and dashboards calling the config API' },
  natGateways: { value: 1, why: 'the stack default (natGateways)' },
  sqsEndpointZones: { value: 2, why: 'the SQS interface endpoint (added with the production hardening) in the two zones of the tasks: queue traffic leaves the NAT gateway' },
  targetLatencyMs: { value: 50, why: 'how long a target takes to answer one delivery; items of an invocation are delivered 64 at a time' },
  publicIpv4: { value: 3, why: 'the ALB in two zones plus the NAT gateway' },
};

/** Installation profiles (`-c profile=…` of the stack): what differs from the default. */
export const PROFILES = {
  default: {},
  small: {
    minTasks: 1,
    maxTasks: 2,
    natGateways: 0,
    sqsEndpointZones: 0,
    publicIpv4: 3,
    why:
      '-c profile=small of the stack (lib/infra): one router task (autoscaling up to two) of the default size in a public subnet with a public IPv4 address, ' +
      'no NAT gateway and no interface endpoint: AWS calls and http targets go through the internet gateway, DynamoDB through its free gateway endpoint ' +
      '(the ALB in two zones plus the task: 3 addresses)',
  },
};

let profile = PROFILES.default;
let measured;

/** Uses a profile's values instead of the default ones for the following calls. */
export function useProfile(name) {
  if (!PROFILES[name]) throw new Error(`unknown profile ${name}: ${Object.keys(PROFILES).join(', ')}`);
  profile = PROFILES[name];
}

/**
 * Uses the figures `npm run bench -- aws` wrote (its JSON) instead of the assumed ones: SQS billed requests,
 * DynamoDB reads and bytes to SQS per event, events per vCPU-second of a router, items per delivery invocation.
 * Each rate takes the run of the closest offered rate at or below it (the lowest run below that).
 */
export function useMeasured(file) {
  const bench = JSON.parse(readFileSync(file, 'utf8'));
  const runs = [...bench.runs].sort((x, y) => x.offeredRate - y.offeredRate);
  const sum = (o) => Object.values(o ?? {}).reduce((total, n) => total + n, 0);
  const delivered = runs.reduce((total, run) => total + run.delivered, 0);
  const perVcpu = Math.max(...runs.map((run) => run.acceptedPerVcpuSecond ?? 0));
  measured = {
    file,
    date: bench.date,
    itemsPerInvocation: bench.delivery.invocations > 0 ? delivered / bench.delivery.invocations : undefined,
    eventsPerVcpuSecond: perVcpu > 0 ? perVcpu : undefined,
    runs: runs.map((run) => ({
      rate: run.offeredRate,
      sqsBilledPerEvent: run.sqsPer1000.billedTotal / 1000,
      sqsRequestsPer1000: run.sqsPer1000.total,
      routerDynamoReadsPerEvent: sum(run.dynamodbPer1000.router) / 1000,
      deliveryDynamoReadsPerEvent: sum(run.dynamodbPer1000.delivery) / 1000,
      routerSqsBytesPerEvent: run.bytesPerEvent.routerToSqs,
    })),
  };
  return measured;
}

function measuredAt(eventsPerSecond) {
  if (!measured) return undefined;
  const below = measured.runs.filter((run) => run.rate <= eventsPerSecond);
  return below.at(-1) ?? measured.runs[0];
}

const a = (name) => (name in profile ? profile[name] : ASSUMPTIONS[name].value);
const p = (name) => PRICES[name].usd;
const GB = 1e9;

/** Items of the stack's monthly bill at `eventsPerSecond`: [{ item, usd, detail }]. */
export function stackCost(eventsPerSecond) {
  const hours = a('hoursPerMonth');
  const seconds = hours * 3600;
  const events = eventsPerSecond * seconds;
  const items = events * a('subscriptionsPerEvent');
  const run = measuredAt(eventsPerSecond);
  // A task runs at the 60% CPU target of its autoscaling.
  const perTask = measured?.eventsPerVcpuSecond ? measured.eventsPerVcpuSecond * a('taskVcpu') * 0.6 : a('eventsPerTaskPerSecond');
  const tasksNeeded = Math.max(a('minTasks'), Math.ceil(eventsPerSecond / perTask));
  const tasks = 'maxTasks' in profile ? Math.min(profile.maxTasks, tasksNeeded) : tasksNeeded;
  const overCapacity = tasksNeeded > tasks ? `; OVER CAPACITY: ${tasks} tasks (maxTasks) take about ${Math.round(tasks * perTask).toLocaleString('en-US')} events/s` : '';

  const lcuBytes = (eventsPerSecond * 3600 * (a('eventBytes') + a('httpOverheadBytes'))) / GB;
  const lcuConnections = (eventsPerSecond * a('newConnectionShare')) / 25;
  const lcus = Math.max(lcuBytes, lcuConnections);

  const batch = measured?.itemsPerInvocation ?? Math.min(10, Math.max(1, eventsPerSecond / 20));
  const invocations = items / batch;
  const msPerInvocation = measured?.itemsPerInvocation
    ? a('targetLatencyMs') * Math.ceil(batch / 64) + 50
    : a('deliveryMsPerBatch');
  const containers = (invocations / seconds) * (msPerInvocation / 1000);
  const gbSeconds = invocations * (msPerInvocation / 1000) * a('deliveryMemoryGb');

  const sqsRequests = run
    ? items * run.sqsBilledPerEvent + a('esmIdlePollers') * (seconds / 20)
    : items / a('sendBatchSize') + // sends
      invocations * 2 + // receives and batch deletes by the event source
      tasks * seconds * a('queueCountRefreshPerSecond') +
      a('esmIdlePollers') * (seconds / 20);
  const sqsGb = run
    ? (items * run.routerSqsBytesPerEvent) / GB
    : (items * a('sqsSendBytes') + tasks * seconds * a('queueCountRefreshPerSecond') * 1024) / GB;
  const viaEndpoint = a('sqsEndpointZones') > 0;
  // Without a NAT gateway (the small profile) queue traffic leaves through the internet gateway, free of charge.
  const natGb = viaEndpoint || a('natGateways') === 0 ? 0 : sqsGb;

  const rru = run
    ? events * (run.routerDynamoReadsPerEvent * tasks + run.deliveryDynamoReadsPerEvent)
    : (tasks + containers) * a('changeFeedPollsPerSecond') * seconds + invocations;
  const wru = items * a('deadLetterShare') * 3 + a('configWritesPerMonth') * 10;

  const lambdaLogGb = (invocations * a('lambdaLogBytesPerInvocation')) / GB;
  const routerLogGb = tasks * a('routerLogGbPerTaskMonth');
  const logGb = lambdaLogGb + routerLogGb + a('flowLogGbPerMonth');
  const albLogStoredGb = (3 * events * a('albLogBytesPerRequestGzip')) / GB;

  const round = (n) => Math.round(n * 100) / 100;
  const line = (item, usd, detail) => ({ item, usd: round(usd), detail });
  return [
    line('Fargate router tasks', tasks * hours * (a('taskVcpu') * p('fargateVcpuHour') + a('taskGb') * p('fargateGbHour')), `${tasks} × ${a('taskVcpu')} vCPU / ${a('taskGb')} GB, ${Math.round(perTask)} events/s each${overCapacity}`),
    line('Application Load Balancer', hours * (p('albHour') + lcus * p('albLcuHour')), `${lcus.toFixed(2)} LCU`),
    line('NAT gateway', a('natGateways') * hours * p('natHour') + natGb * p('natGb'), a('natGateways') ? `${natGb.toFixed(0)} GB to SQS` : 'none'),
    line('SQS interface endpoint', viaEndpoint ? a('sqsEndpointZones') * hours * p('vpcEndpointHour') + sqsGb * p('vpcEndpointGb') : 0, viaEndpoint ? `${a('sqsEndpointZones')} zones, ${sqsGb.toFixed(0)} GB` : 'none'),
    line('Public IPv4 addresses', a('publicIpv4') * hours * p('publicIpv4Hour'), `${a('publicIpv4')} addresses`),
    line('SQS requests', (sqsRequests / 1e6) * p('sqsMillion'), `${(sqsRequests / 1e6).toFixed(0)} M requests${run ? ` (${run.sqsRequestsPer1000} per 1,000 events measured at ${run.rate}/s)` : ''}`),
    line('Lambda (delivery)', gbSeconds * p('lambdaArmGbSecond') + (invocations / 1e6) * p('lambdaMillionRequests'), `${(invocations / 1e6).toFixed(1)} M invocations of ${Math.round(batch)} items, ~${Math.ceil(containers)} warm`),
    line('DynamoDB reads and writes', (rru / 1e6) * p('dynamoMillionRru') + (wru / 1e6) * p('dynamoMillionWru'), `${(rru / 1e6).toFixed(0)} M RRU (change-feed polls${run ? ', measured' : ''})`),
    line('DynamoDB storage and PITR', a('tableGb') * (p('dynamoGbMonth') + p('dynamoPitrGbMonth')), `${a('tableGb')} GB`),
    line('KMS keys and requests', 2 * p('kmsKeyMonth') + (a('kmsRequestsPerMonth') / 1e4) * p('kmsTenThousandRequests'), '2 keys'),
    line('CloudWatch Logs', logGb * (p('logsIngestGb') + p('logsStoreGbMonth')), `${logGb.toFixed(1)} GB`),
    line('CloudWatch metrics, alarms, dashboard', a('customMetrics') * p('metricMonth') + a('alarmMetrics') * p('alarmMetricMonth') + p('dashboardMonth'), `${a('customMetrics')} metrics`),
    line('S3 (ALB access logs)', albLogStoredGb * p('s3GbMonth'), `${albLogStoredGb.toFixed(0)} GB stored`),
    line('Config API, secret, image', (a('configApiRequestsPerMonth') / 1e6) * p('httpApiMillionFirst300') + p('secretMonth') + a('ecrGb') * p('ecrGbMonth'), 'HTTP API, Secrets Manager, ECR'),
  ];
}

/** API Gateway (HTTP API with the EventBridge-PutEvents integration) + EventBridge for the same events. */
export function eventBridgeCost(eventsPerSecond) {
  const events = eventsPerSecond * a('hoursPerMonth') * 3600;
  const millions = events / 1e6;
  const apiUsd = Math.min(millions, 300) * p('httpApiMillionFirst300') + Math.max(0, millions - 300) * p('httpApiMillionAfter300');
  const deliveries = (events * a('subscriptionsPerEvent')) / 1e6;
  const round = (n) => Math.round(n * 100) / 100;
  return [
    { item: 'API Gateway HTTP API requests', usd: round(apiUsd), detail: `${millions.toFixed(0)} M requests` },
    { item: 'EventBridge PutEvents', usd: round(millions * p('eventBridgeMillionEvents')), detail: `${millions.toFixed(0)} M events` },
    {
      item: 'EventBridge API destinations (HTTP targets)',
      usd: round(deliveries * p('eventBridgeMillionApiDestination')),
      detail: 'delivery to Lambda targets is free; to HTTP endpoints it goes through API destinations',
    },
  ];
}

export const total = (lines) => Math.round(lines.reduce((sum, l) => sum + l.usd, 0) * 100) / 100;

export function model(rates = [100, 1000, 10000]) {
  return rates.map((eventsPerSecond) => {
    const stack = stackCost(eventsPerSecond);
    const eventBridge = eventBridgeCost(eventsPerSecond);
    return {
      eventsPerSecond,
      eventsPerMonth: eventsPerSecond * a('hoursPerMonth') * 3600,
      stack: { lines: stack, total: total(stack) },
      eventBridge: { lines: eventBridge, total: total(eventBridge) },
    };
  });
}

const usd = (n) => `$${n.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;

export function markdown(results) {
  const inputs = measured ? `measured figures of ${measured.file} (bench of ${measured.date})` : 'assumed figures (no bench results)';
  const out = [`Monthly cost, ${REGION}, list prices as of ${PRICES_AS_OF} (see the price table in docs/cost.md); ${inputs}; profile ${Object.keys(PROFILES).find((name) => PROFILES[name] === profile)}.`, ''];
  out.push(`| | ${results.map((r) => `${r.eventsPerSecond.toLocaleString('en-US')} events/s`).join(' | ')} |`);
  out.push(`|---|${results.map(() => '---:').join('|')}|`);
  out.push(`| Events a month | ${results.map((r) => `${(r.eventsPerMonth / 1e6).toLocaleString('en-US', { maximumFractionDigits: 0 })} M`).join(' | ')} |`);
  for (const [index, { item }] of results[0].stack.lines.entries()) {
    out.push(`| ${item} | ${results.map((r) => usd(r.stack.lines[index].usd)).join(' | ')} |`);
  }
  out.push(`| **This stack, total** | ${results.map((r) => `**${usd(r.stack.total)}**`).join(' | ')} |`);
  for (const [index, { item }] of results[0].eventBridge.lines.entries()) {
    out.push(`| ${item} | ${results.map((r) => usd(r.eventBridge.lines[index].usd)).join(' | ')} |`);
  }
  out.push(`| **API Gateway + EventBridge, total** | ${results.map((r) => `**${usd(r.eventBridge.total)}**`).join(' | ')} |`);
  out.push(`| Ratio (EventBridge ÷ this stack) | ${results.map((r) => `${(r.eventBridge.total / r.stack.total).toFixed(1)}×`).join(' | ')} |`);
  for (const r of results) {
    const over = r.stack.lines[0].detail.match(/OVER CAPACITY: (.*)$/);
    if (over) out.push('', `At ${r.eventsPerSecond.toLocaleString('en-US')} events/s this profile is over capacity: ${over[1]} (raise routerMaxTasks).`);
  }
  return out.join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const args = process.argv.slice(2);
  const ratesArg = args.indexOf('--rates');
  const rates = ratesArg >= 0 ? args[ratesArg + 1].split(',').map(Number) : [100, 1000, 10000];
  if (rates.some((r) => !(r > 0))) {
    console.error('--rates takes positive numbers separated by commas, e.g. --rates 100,1000');
    process.exit(1);
  }
  const profileArg = args.indexOf('--profile');
  if (profileArg >= 0) useProfile(args[profileArg + 1]);
  const measuredArg = args.indexOf('--measured');
  const root = fileURLToPath(new URL('..', import.meta.url));
  const measuredFile = measuredArg >= 0 ? args[measuredArg + 1] : [`${root}bench/results/aws.json`, `${root}docs/cost-measured.json`].find((f) => existsSync(f));
  if (!args.includes('--assumed') && measuredFile) useMeasured(measuredFile);
  const results = model(rates);
  console.log(
    args.includes('--json')
      ? JSON.stringify({ pricesAsOf: PRICES_AS_OF, region: REGION, measured: measured ?? null, results }, null, 2)
      : markdown(results),
  );
}
