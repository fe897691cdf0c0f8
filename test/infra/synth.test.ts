// `npx cdk synth` as a user runs it (issue 6, "offline synthesis"): the pinned CLI, the app from cdk.json, the
// Lambdas bundled by the local esbuild and cdk-nag's AwsSolutions and Serverless packs, with no AWS credentials, no network
// configuration and a Docker binary that does not exist, so any attempt to use Docker or an account fails the test.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** docs/architecture.md#testing-without-aws measured about 20 s on these machines; a loaded machine gets more slack, never an open end. */
const SYNTH_TIMEOUT_MS = 180_000;

interface Synth {
  code: number | null;
  output: string;
  ms: number;
}

function offlineEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of Object.keys(env)) if (/^AWS_/.test(name) || /^CDK_/.test(name)) delete env[name];
  return {
    ...env,
    // No credentials anywhere, so the CLI cannot look up an account; no instance metadata either.
    AWS_CONFIG_FILE: '/nonexistent/aws-config',
    AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/aws-credentials',
    AWS_EC2_METADATA_DISABLED: 'true',
    // Bundling or building through Docker would fail.
    CDK_DOCKER: '/nonexistent/docker',
    CDK_DISABLE_VERSION_CHECK: '1',
    CDK_DISABLE_CLI_TELEMETRY: 'true',
  };
}

function synth(outdir: string, context: string[] = ['allowHttp=true']): Promise<Synth> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const args = ['--no-install', 'cdk', 'synth', '--quiet', '--output', outdir, ...context.flatMap((c) => ['-c', c])];
    const child = spawn('npx', args, { cwd: ROOT, env: offlineEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`cdk synth took longer than ${SYNTH_TIMEOUT_MS} ms:\n${output}`));
    }, SYNTH_TIMEOUT_MS);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output, ms: Date.now() - started });
    });
  });
}

describe('npx cdk synth', { timeout: SYNTH_TIMEOUT_MS + 10_000 }, () => {
  const outdir = mkdtempSync(join(tmpdir(), 'eg-cdk-synth-'));
  let result: Synth;
  let assets: { files: Record<string, { source: { path: string; packaging: string } }>; dockerImages: Record<string, { source: { directory: string; dockerFile: string } }> };

  before(async () => {
    result = await synth(outdir);
    if (result.code === 0) assets = JSON.parse(readFileSync(join(outdir, 'EventGateway.assets.json'), 'utf8')) as typeof assets;
  });
  after(() => rmSync(outdir, { recursive: true, force: true }));

  it('succeeds with no AWS account, no Docker and no cdk-nag finding left unacknowledged', () => {
    assert.equal(result.code, 0, result.output);
    assert.doesNotMatch(result.output, /AwsSolutions-|Serverless-/);
    assert.ok(existsSync(join(outdir, 'EventGateway.template.json')));
  });

  it('bundles the five Lambda handlers with the local esbuild into ES modules', () => {
    const bundles = Object.values(assets.files)
      .map((file) => join(outdir, file.source.path))
      .filter((path) => existsSync(join(path, 'index.mjs')));
    assert.equal(bundles.length, 5);
    for (const bundle of bundles) assert.match(readFileSync(join(bundle, 'index.mjs'), 'utf8').slice(0, 300), /createRequire/);
  });

  it('only stages the router image: its build context is the Dockerfile and the runtime files', () => {
    const images = Object.values(assets.dockerImages);
    assert.equal(images.length, 1);
    const context = join(outdir, images[0]!.source.directory);
    assert.equal(images[0]!.source.dockerFile, 'Dockerfile');
    assert.deepEqual(readdirSync(context).sort(), ['.dockerignore', 'Dockerfile', 'bin', 'lib', 'package-lock.json', 'package.json']);
    assert.deepEqual(readdirSync(join(context, 'bin')), ['build.mjs']);
    assert.ok(!existsSync(join(context, 'lib', 'infra')), 'the CDK code stays out of the image');
    assert.ok(existsSync(join(context, 'lib', 'cli', 'main.ts')));
  });

  it('fails without a certificate, naming -c allowHttp=true, unless it is given', async () => {
    const refused = await synth(mkdtempSync(join(tmpdir(), 'eg-cdk-synth-http-')), []);
    assert.notEqual(refused.code, 0);
    assert.match(refused.output, /certificateArn is not set/);
    assert.match(refused.output, /-c allowHttp=true/);
  });

  it(`finishes within the time box (${SYNTH_TIMEOUT_MS / 1000} s; docs/architecture.md#testing-without-aws measured about 20 s)`, () => {
    assert.ok(result.ms < SYNTH_TIMEOUT_MS, `${result.ms} ms`);
  });
});
