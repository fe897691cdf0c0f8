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
function hooksGiven() {
  return Boolean(process.env.EVENT_GATEWAY_HOOKS) || args.some((arg) => /^--?hooks(=|$)/.test(arg));
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
if (!useBundle || hooksGiven()) {
  const tsx = await loadTsx();
  if (tsx) tsx.register();
  else if (!useBundle) {
    console.error(
      'event-gateway: dist/cli is missing or older than the sources, and tsx (a development dependency) is not installed.\n' +
        'Install with development dependencies (`npm install`), or build the bundle where they are (`npm run build`).',
    );
    process.exit(1);
  }
  // With the bundle and JavaScript hooks, tsx is not needed; TypeScript hooks need it installed (`npm install tsx`).
}
const { main } = useBundle ? await import(pathToFileURL(join(bundleDir, 'index.js')).href) : await import('../lib/cli/index.ts');
await main(args);
