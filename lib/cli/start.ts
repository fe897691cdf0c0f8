// The entry of the router image's bundle (`node bin/build.mjs --image`): runs the CLI with the process's arguments.
import { main } from './index.js';

await main(process.argv.slice(2));
