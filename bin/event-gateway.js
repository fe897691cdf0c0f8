#!/usr/bin/env node
// The CLI entry point. The gateway is written in TypeScript. `npm install` bundles it into dist/cli (the `prepare`
// script, bin/build.mjs), which starts fast. When that bundle is missing, or older than one of the files it was built
// from or than package-lock.json (a source or a dependency changed since), the sources run through tsx instead: this
// never runs stale code, and needs no build step between a change and `npm start`. tsx is a development dependency:
// an install without it (`npm ci --omit=dev`) runs the bundle, and says how to build one when it is missing.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const bundleDir = join(root, 'dist', 'cli');
const args = process.argv.slice(2);

function bundleIsFresh() {
  try {
    const builtAt = statSync(join(bundleDir, 'index.js')).mtimeMs;
    const sources = JSON.parse(readFileSync(join(bundleDir, 'sources.json'), 'utf8'));
    const lock = join(root, 'package-lock.json');
    if (existsSync(lock) && statSync(lock).mtimeMs > builtAt) return false;
    return sources.every((source) => statSync(join(root, source)).mtimeMs <= builtAt);
  } catch {
    return false; // no bundle, or a source was removed since
  }
}

/** Hooks modules may be TypeScript (`--hooks x.ts`, docs/compatibility.md#hooks), which only tsx can load. */
function hooksGiven(hooksEnv) {
  return Boolean(process.env[hooksEnv]) || args.some((arg) => /^--?hooks(=|$)/.test(arg));
}

async function loadTsx() {
  try {
    return await import('tsx/esm/api');
  } catch (error) {
    if (error?.code !== 'ERR_MODULE_NOT_FOUND') throw error;
    return undefined;
  }
}

const useBundle = bundleIsFresh();
if (!useBundle) {
  const tsx = await loadTsx();
  if (!tsx) {
    console.error(
      'event-gateway: dist/cli is missing or older than the sources, and tsx (a development dependency) is not installed.\n' +
        'Install with development dependencies (`npm install`), or build the bundle where they are (`npm run build`).',
    );
    process.exit(1);
  }
  tsx.register();
}
const cli = useBundle ? await import(pathToFileURL(join(bundleDir, 'index.js')).href) : await import('../lib/cli/index.ts');
// The bundle loads hooks after this point, so registering tsx now still serves a TypeScript hooks module. With the
// bundle and JavaScript hooks, tsx is not needed; TypeScript hooks need it installed (`npm install tsx`).
if (useBundle && hooksGiven(cli.HOOKS_ENV)) (await loadTsx())?.register();
await cli.main(args);
