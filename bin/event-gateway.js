#!/usr/bin/env node
// The CLI entry point. The gateway is written in TypeScript and runs through tsx, so there is no build step
// between `npm install` and `npm start`.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../lib/cli/index.ts');
await main(process.argv.slice(2));
