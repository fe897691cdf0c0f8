#!/usr/bin/env node
// The CLI entry point. The gateway is written in TypeScript. `npm install` bundles it into dist/cli (the `prepare`
// script, bin/build.mjs), which starts fast. When that bundle is missing, or older than one of the files it was built
// from or than package-lock.json (a source or a dependency changed since), the sources run through tsx instead: this
// never runs stale code, and needs no build step between a change and `npm start`.
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

const useBundle = bundleIsFresh();
if (!useBundle || hooksGiven()) {
  const { register } = await import('tsx/esm/api');
  register();
}
const { main } = useBundle ? await import(pathToFileURL(join(bundleDir, 'index.js')).href) : await import('../lib/cli/index.ts');
await main(args);
