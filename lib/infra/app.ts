import { App, Validations, type AppProps } from 'aws-cdk-lib';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { propsFromContext } from './context.js';
import { EventGatewayStack } from './stack.js';

export interface CreateAppOptions {
  /** Props of the App (context, outdir). @default none: the CLI passes context through the environment */
  readonly appProps?: AppProps;
  /** Run cdk-nag's AwsSolutions and Serverless packs at synthesis; a finding nobody acknowledged fails it. @default true */
  readonly nag?: boolean;
}

/** The CDK app of bin/cdk.ts: one {@link EventGatewayStack}, configured from context (see CONTEXT_KEYS). */
export function createApp(options: CreateAppOptions = {}): { app: App; stack: EventGatewayStack } {
  const app = new App(options.appProps);
  const { stackName, props } = propsFromContext(app.node);
  const stack = new EventGatewayStack(app, stackName, props);
  // cdk-nag 3 is a validation plugin (no longer an Aspect); acknowledgements sit on the resources themselves.
  if (options.nag ?? true) Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new ServerlessChecks(app));
  return { app, stack };
}
