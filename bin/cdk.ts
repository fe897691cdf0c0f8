// The CDK app (`npx cdk synth`, `npx cdk deploy`; see "Deploying to AWS" in README.md). Environment-agnostic: no
// account or region is looked up, so synthesis works offline. Settings come from context: `-c key=value`
// (lib/infra/context.ts).
import { createApp } from '../lib/infra/index.js';

createApp().app.synth();
