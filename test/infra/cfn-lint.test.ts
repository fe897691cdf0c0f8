// cfn-lint (AWS's CloudFormation linter) on the synthesized template: zero errors. It is a Python tool with no
// npm package, and Debian bookworm has no package of it, so .ci/run cannot install it: without it these tests are
// SKIPPED loudly. Install it with `pipx install cfn-lint` (or `pip install cfn-lint`) to run them.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { App, CfnResource } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { EventGatewayStack } from '../../lib/infra/index.js';
import { CDK_JSON_CONTEXT, CERTIFICATE_ARN, TARGETS, buildStack } from './helpers.js';

interface CfnLintMatch {
  Level: string;
  Rule: { Id: string };
  Message: string;
  Location: { Path?: unknown[] };
}

function cfnLintVersion(): string | undefined {
  const result = spawnSync('cfn-lint', ['--version'], { encoding: 'utf8', timeout: 60_000 });
  return result.status === 0 ? result.stdout.trim() : undefined;
}

function skipLoudly(t: { skip: (message: string) => void }, message: string): void {
  process.stderr.write(`\n*** ${message} ***\n\n`);
  t.skip(message);
}

/** cfn-lint's errors (warnings left out) on `template`, each as `rule path: message`. */
function lintErrors(template: unknown): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'eg-cfn-lint-'));
  try {
    const file = join(dir, 'template.json');
    writeFileSync(file, JSON.stringify(template, null, 1));
    // Nothing is looked up; the region only selects the resource specification.
    const result = spawnSync('cfn-lint', ['--format', 'json', '--regions', 'eu-west-1', '--', file], { encoding: 'utf8', timeout: 150_000 });
    if (result.error) throw result.error;
    const matches = JSON.parse(result.stdout || '[]') as CfnLintMatch[];
    return matches.filter((m) => m.Level === 'Error').map((m) => `${m.Rule.Id} ${JSON.stringify(m.Location.Path)}: ${m.Message}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const configurations = {
  'the defaults (plain HTTP allowed)': {},
  'production, HTTPS, targets and their keys': {
    certificateArn: CERTIFICATE_ARN,
    production: true,
    prometheus: {},
    allowedTargetArns: Object.values(TARGETS),
    allowedTargetKeyArns: ['arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab'],
    alarms: { email: 'oncall@example.com' },
  },
  'the small profile (plain HTTP allowed)': { profile: 'small' },
} as const;

describe('cfn-lint', { timeout: 300_000 }, () => {
  const version = cfnLintVersion();
  const skipped = 'cfn-lint is not installed (pipx install cfn-lint): the template lint was SKIPPED';

  for (const [name, props] of Object.entries(configurations)) {
    it(`finds no error in the template with ${name}`, (t) => {
      if (!version) return skipLoudly(t, skipped);
      assert.deepEqual(lintErrors(buildStack(props).template.toJSON()), [], `cfn-lint ${version}`);
    });
  }

  it('reports an error the stack would introduce (the lint is live)', (t) => {
    if (!version) return skipLoudly(t, skipped);
    const app = new App({ builtinCloudFormationValidation: false, context: { ...CDK_JSON_CONTEXT, 'aws:cdk:bundling-stacks': [] } });
    const stack = new EventGatewayStack(app, 'Test', { allowHttp: true });
    new CfnResource(stack, 'BrokenQueue', { type: 'AWS::SQS::Queue', properties: { MessageRetentionPeriod: 'two weeks' } });
    const errors = lintErrors(Template.fromStack(stack).toJSON());
    assert.ok(errors.some((e) => e.includes('BrokenQueue')), errors.join('\n'));
  });
});
