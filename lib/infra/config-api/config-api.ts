import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import { HttpApi, HttpStage, LogGroupLogDestination, PayloadFormatVersion } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { acknowledgeFinding } from '../nag.js';
import { envName } from '../../settings/index.js';
import { GatewayFunction } from '../lambdas/gateway-function.js';

/** The variable the config Lambda reads the admin key's secret from (lib/lambda/admin-key.ts). */
export const ADMIN_KEY_SECRET_ARN_ENV = envName('adminKeySecretArn');
/** Characters of the generated admin key: letters and digits, about 256 bits like an `egk_` key's 32 bytes. */
export const ADMIN_KEY_LENGTH = 43;

export interface ConfigApiProps {
  /** Settings of the Lambda (`settingsEnv`, lib/settings: tables, queue, metrics namespace). */
  readonly environment: Readonly<Record<string, string>>;
  /** Requests per second across the API; the burst is twice this. */
  readonly rateLimit: number;
  /** Reserved concurrency of the Lambda: deliveries can never starve it. @default 5 */
  readonly reservedConcurrency?: number;
  /** @default 30 */
  readonly logRetentionDays?: number;
  /** Keep the log groups and the secret when the stack is deleted. @default true */
  readonly retain?: boolean;
}

/**
 * The config API (docs/architecture.md#on-aws): a Lambda running the same handlers as local mode, behind an API
 * Gateway HTTP API (HTTPS only, payload format 2.0, throttled, access-logged). Access keys are checked by the handlers
 * (docs/compatibility.md#access-keys); the first admin key is generated into Secrets Manager and the Lambda reads it
 * through {@link ADMIN_KEY_SECRET_ARN_ENV}, again every 5 minutes at most (a rotated key stops working within
 * that time), so the key itself never appears in the template or the function's configuration.
 */
export class ConfigApi extends Construct {
  readonly function: GatewayFunction;
  readonly adminKey: Secret;
  readonly api: HttpApi;
  readonly stage: HttpStage;
  readonly accessLogs: LogGroup;
  /** `https://<api id>.execute-api.<region>.amazonaws.com/` (the `$default` stage). */
  readonly url: string;

  constructor(scope: Construct, id: string, props: ConfigApiProps) {
    super(scope, id);
    const retain = props.retain ?? true;
    this.adminKey = new Secret(this, 'AdminKey', {
      description: 'Event gateway: the first all-spaces admin key of the config API (send it as "Authorization: bearer <key>")',
      generateSecretString: { passwordLength: ADMIN_KEY_LENGTH, excludePunctuation: true, includeSpace: false },
      removalPolicy: retain ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
    acknowledgeFinding(
      this.adminKey,
      'AwsSolutions-SMG4',
      'The admin key only bootstraps access keys (docs/compatibility.md#access-keys), and each Lambda container re-reads it at least every 5 minutes: rotate it by ' +
        'putting a new value and creating keys through /v1/keys; a rotation Lambda cannot reach the clients that hold it.',
    );

    this.function = new GatewayFunction(this, 'Function', {
      handlerName: 'config-api',
      description: 'Event gateway config API',
      memorySize: 512,
      // API Gateway gives up on an integration after 30 s.
      timeout: Duration.seconds(29),
      reservedConcurrentExecutions: props.reservedConcurrency ?? 5,
      environment: { ...props.environment, [ADMIN_KEY_SECRET_ARN_ENV]: this.adminKey.secretArn },
      logRetentionDays: props.logRetentionDays ?? 30,
      retainLogs: retain,
    });
    this.adminKey.grantRead(this.function);

    this.api = new HttpApi(this, 'Api', {
      description: 'Event gateway config API',
      createDefaultStage: false,
      defaultIntegration: new HttpLambdaIntegration('Handler', this.function, { payloadFormatVersion: PayloadFormatVersion.VERSION_2_0 }),
    });
    const defaultRoute = this.api.node.tryFindChild('DefaultRoute');
    if (defaultRoute) {
      acknowledgeFinding(
        defaultRoute,
        'AwsSolutions-APIG4',
        'The config API checks access keys itself on every request (docs/compatibility.md#access-keys) and answers 401/403 in the original ' +
          "gateway's envelope; an API Gateway authorizer would duplicate the check and change those answers.",
      );
    }
    this.accessLogs = new LogGroup(this, 'AccessLogs', {
      retention: (props.logRetentionDays ?? 30) as RetentionDays,
      removalPolicy: retain ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
    this.stage = new HttpStage(this, 'Stage', {
      httpApi: this.api,
      stageName: '$default',
      autoDeploy: true,
      throttle: { rateLimit: props.rateLimit, burstLimit: props.rateLimit * 2 },
      accessLogSettings: {
        destination: new LogGroupLogDestination(this.accessLogs),
        format: AccessLogFormat.custom(
          JSON.stringify({
            requestId: '$context.requestId',
            ip: '$context.identity.sourceIp',
            requestTime: '$context.requestTime',
            method: '$context.httpMethod',
            path: '$context.path',
            status: '$context.status',
            responseLength: '$context.responseLength',
            latencyMs: '$context.responseLatency',
            integrationLatencyMs: '$context.integrationLatency',
            integrationError: '$context.integrationErrorMessage',
          }),
        ),
      },
    });
    this.url = this.stage.url;
  }
}
