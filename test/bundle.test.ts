import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
// Two levels below the root, like dist/cli: the CLI reads ../../package.json.
const outdir = join(root, 'dist', `cli-test-${process.pid}`);

describe('the CLI bundle (bin/build.mjs)', () => {
  before(() => {
    const built = spawnSync(process.execPath, [join(root, 'bin', 'build.mjs'), outdir], { encoding: 'utf8' });
    assert.equal(built.status, 0, built.stderr);
  });
  after(() => rmSync(outdir, { recursive: true, force: true }));

  it('runs the CLI', () => {
    const entry = pathToFileURL(join(outdir, 'index.js')).href;
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', `const { main } = await import(${JSON.stringify(entry)}); await main(['--version']);`], {
      encoding: 'utf8',
    });
    const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
    assert.equal(run.stdout.trim(), `Event Gateway version: ${version}`, run.stderr);
  });

  it('lists the project files it was built from, which the bin compares with the bundle', () => {
    const sources = JSON.parse(readFileSync(join(outdir, 'sources.json'), 'utf8')) as string[];
    assert.ok(sources.includes('lib/cli/index.ts'));
    assert.ok(sources.includes('lib/events-api/router.ts'));
    assert.deepEqual(sources.filter((path) => !path.startsWith('lib/')), []);
  });

  it('keeps the AWS SDK out of the entry chunk, so local mode starts without loading it', () => {
    const entry = readFileSync(join(outdir, 'index.js'), 'utf8');
    assert.doesNotMatch(entry, /from\s*["']@aws-sdk\//);
    const chunks = readdirSync(outdir).filter((name) => name.endsWith('.js'));
    assert.ok(
      chunks.some((name) => /from\s*["']@aws-sdk\//.test(readFileSync(join(outdir, name), 'utf8'))),
      'the AWS adapters are in a chunk of their own',
    );
  });
});
