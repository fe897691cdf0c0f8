import { join } from 'node:path';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, Runtime } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { acknowledgeFinding } from '../nag.js';
import { REPO_ROOT } from '../paths.js';

/** The Lambda runtime of every handler: the newest Node.js Lambda offers (docs/architecture.md#on-aws: 22 or newer). */
export const FUNCTION_RUNTIME = Runtime.NODEJS_24_X;

/** The handlers in functions/, each exporting `handler`. */
export type GatewayHandler = 'config-api' | 'delivery' | 'invalidation' | 'dlq-drainer';

export interface GatewayFunctionProps {
  /** Which file of functions/ to bundle. */
  readonly handlerName: GatewayHandler;
  readonly description: string;
  /** @default 512 */
  readonly memorySize?: number;
  readonly timeout: Duration;
  /** Concurrency set aside for this function alone (and its ceiling). @default none: the account's unreserved pool */
  readonly reservedConcurrentExecutions?: number;
  /** Settings (`settingsEnv`, lib/settings); never secrets. */
  readonly environment: Readonly<Record<string, string>>;
  /** @default 30 */
  readonly logRetentionDays?: number;
  /** Keep the log group when the stack is deleted. @default true */
  readonly retainLogs?: boolean;
}

/**
 * A gateway handler bundled by the local esbuild (no Docker) into one ESM file for Node.js 24 on arm64, with the
 * AWS SDK inside the bundle (the versions the lockfile pins) and source maps. Its role starts empty except for
 * writing to its own log group: every other permission is granted by the stack, one call at a time.
 */
export class GatewayFunction extends NodejsFunction {
  constructor(scope: Construct, id: string, props: GatewayFunctionProps) {
    const logGroup = new LogGroup(scope, `${id}Logs`, {
      retention: (props.logRetentionDays ?? 30) as RetentionDays,
      removalPolicy: props.retainLogs ?? true ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
    const role = new Role(scope, `${id}Role`, {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `Event gateway ${props.handlerName} Lambda`,
    });
    logGroup.grantWrite(role);
    super(scope, id, {
      entry: join(REPO_ROOT, 'functions', `${props.handlerName}.ts`),
      handler: 'handler',
      projectRoot: REPO_ROOT,
      depsLockFilePath: join(REPO_ROOT, 'package-lock.json'),
      runtime: FUNCTION_RUNTIME,
      architecture: Architecture.ARM_64,
      description: props.description,
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout,
      ...(props.reservedConcurrentExecutions === undefined ? {} : { reservedConcurrentExecutions: props.reservedConcurrentExecutions }),
      role,
      logGroup,
      environment: { NODE_OPTIONS: '--enable-source-maps', ...props.environment },
      bundling: {
        format: OutputFormat.ESM,
        target: 'node24',
        mainFields: ['module', 'main'],
        minify: true,
        sourceMap: true,
        sourcesContent: false,
        bundleAwsSDK: true,
        // better-sqlite3 is native and only local mode loads it; pino-pretty is the dev log format.
        externalModules: ['better-sqlite3', 'pino-pretty'],
        // CommonJS dependencies inside an ES module bundle still call require().
        banner: "import { createRequire as __egCreateRequire } from 'node:module'; const require = __egCreateRequire(import.meta.url);",
      },
    });
    acknowledgeFinding(
      this,
      'Serverless-LambdaDLQ',
      'Never invoked asynchronously (API Gateway calls it, or an event source mapping): a Lambda DLQ only catches async invocations; failed records stay in the queue (redrive to its DLQ) or go to the Stream mapping\'s on-failure queue.',
    );
    acknowledgeFinding(
      this,
      'Serverless-LambdaTracing',
      'Observed through Embedded Metric Format metrics and structured logs; X-Ray tracing would add a cost per invocation and wildcard xray:Put* permissions to every role.',
    );
  }
}
