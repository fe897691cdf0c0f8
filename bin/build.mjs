// Bundles the CLI into dist/cli, so that bin/event-gateway.js starts without transpiling TypeScript at run time
// (`npm run build`; `npm install` runs it through the `prepare` script). Usage: node bin/build.mjs [outdir]
//
// The bundle is ES modules with code splitting, so the modules the CLI imports on demand (the AWS adapters) stay in
// chunks of their own, loaded only when used. Packages with native code, worker threads or lazy loading of their own
// (better-sqlite3, pino, pino-pretty, the AWS SDK, tsx) stay external and load from node_modules as usual.
//
// `node bin/build.mjs --image [outdir]` (default dist/router) builds what the router image runs instead: every
// dependency inside the bundle except better-sqlite3 (local mode's native store, loaded only when used) and tsx
// (TypeScript hooks), so the image needs no node_modules at all. Its index.js starts the CLI.
//
// It also writes sources.json, the project files it was built from. The bin uses the bundle only while none of them
// (nor package-lock.json) is newer than the entry file, whose modification time is set to when the build started:
// a source saved during the build counts as newer.
import { mkdirSync, renameSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const image = process.argv[2] === '--image';
const outArg = image ? process.argv[3] : process.argv[2];
const outdir = outArg ?? join(root, 'dist', image ? 'router' : 'cli');
const startedAt = new Date();

let esbuild;
try {
  esbuild = await import('esbuild');
} catch {
  // Installed without devDependencies: the bin runs the sources through tsx.
  console.warn('build: esbuild is not installed; bin/event-gateway.js will run the TypeScript sources through tsx');
  process.exit(0);
}

const staging = `${outdir}.tmp-${process.pid}`;
rmSync(staging, { recursive: true, force: true });
mkdirSync(staging, { recursive: true });
try {
  const { metafile } = await esbuild.build({
    absWorkingDir: root,
    entryPoints: { index: image ? 'lib/cli/start.ts' : 'lib/cli/index.ts' },
    outdir: staging,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    external: image ? ['better-sqlite3', 'tsx'] : ['better-sqlite3', 'pino', 'pino-pretty', '@aws-sdk/*', 'tsx'],
    // The AWS SDK's packages publish an ES module build under `module`.
    mainFields: ['module', 'main'],
    // The bundled CommonJS packages (undici, commander, prom-client) call require() for Node's own modules.
    banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
    sourcemap: 'linked',
    metafile: true,
    logLevel: 'warning',
  });
  const sources = Object.keys(metafile.inputs).filter((path) => !path.startsWith('node_modules/')).sort();
  writeFileSync(join(staging, 'sources.json'), `${JSON.stringify(sources, null, 1)}\n`);
  utimesSync(join(staging, 'index.js'), startedAt, startedAt);
  rmSync(outdir, { recursive: true, force: true });
  renameSync(staging, outdir);
} finally {
  rmSync(staging, { recursive: true, force: true });
}
