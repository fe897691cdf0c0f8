import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { build, type BuildOptions } from 'esbuild';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const FUNCTIONS = ['config-api', 'delivery', 'invalidation', 'dlq-drainer', 'connector'] as const;
const run = promisify(execFile);

/**
 * Issue 6 deploys these entry points with CDK's NodejsFunction, which bundles them with esbuild and leaves the
 * AWS SDK to the runtime (`@aws-sdk/*` external). Bundled that way, they must build without warnings, carry
 * nothing of the local SQLite store, and load without touching the network.
 */
describe('the Lambda entry points bundled as NodejsFunction does [lambda-handler]', () => {
  let outDir: string;
  before(async () => {
    // Inside the project, so that the external @aws-sdk packages resolve from its node_modules.
    outDir = await mkdtemp(join(ROOT, 'node_modules', '.cache-lambda-bundles-'));
  });
  after(() => rm(outDir, { recursive: true, force: true }));

  for (const name of FUNCTIONS) {
    it(`bundles functions/${name}.ts cleanly, without better-sqlite3, and loads it as CommonJS and as ESM`, async () => {
      const common: BuildOptions & { metafile: true } = {
        entryPoints: [join(ROOT, 'functions', `${name}.ts`)],
        bundle: true,
        platform: 'node',
        target: 'node22',
        external: ['@aws-sdk/*'],
        metafile: true,
        logLevel: 'silent',
      };
      const cjs = await build({ ...common, format: 'cjs', outfile: join(outDir, `${name}.cjs`) });
      // NodejsFunction's usual ESM banner: bundled CommonJS dependencies call require.
      const esm = await build({
        ...common,
        format: 'esm',
        outfile: join(outDir, `${name}.mjs`),
        banner: { js: "import { createRequire as topLevelCreateRequire } from 'module'; const require = topLevelCreateRequire(import.meta.url);" },
      });
      for (const result of [cjs, esm]) {
        assert.deepEqual(result.errors, []);
        assert.deepEqual(result.warnings.map((w) => w.text), []);
      }

      const inputs = Object.keys(cjs.metafile.inputs);
      assert.ok(inputs.includes(`functions/${name}.ts`));
      assert.deepEqual(inputs.filter((path) => /better-sqlite3|lib\/adapters\/sqlite|adapters\/\w+\/sqlite|lib\/gateway\/(local|stores)\.ts|lib\/cli\//.test(path)), []);
      const text = await readFile(join(outDir, `${name}.cjs`), 'utf8');
      // The hooks loader (a dynamic import of a path) is tree-shaken away: no Lambda loads hooks.
      assert.doesNotMatch(text, /exports no hooks/);

      // A fresh process with no AWS settings at all: loading must build nothing that calls out.
      const env = { PATH: process.env.PATH ?? '', AWS_EC2_METADATA_DISABLED: 'true' };
      const script = `const m = require(${JSON.stringify(join(outDir, `${name}.cjs`))}); console.log(typeof m.handler, typeof m.createHandler);`;
      assert.equal((await run(process.execPath, ['-e', script], { env })).stdout.trim(), 'function function');
      const esmScript = `const m = await import(${JSON.stringify(pathToFileURL(join(outDir, `${name}.mjs`)).href)}); console.log(typeof m.handler);`;
      assert.equal((await run(process.execPath, ['--input-type=module', '-e', esmScript], { env })).stdout.trim(), 'function');
    });
  }
});
