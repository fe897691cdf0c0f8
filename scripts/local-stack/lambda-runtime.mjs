// One Lambda execution environment of the local stack: loads a function's bundled asset as the Node.js runtime
// does (`<file>.<export>` in the task root, .mjs then .js then .cjs), then runs the invocations its parent sends
// over IPC, one at a time. Usage (by lambda.ts): node lambda-runtime.mjs <task root> <handler>
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const [taskRoot, handlerSpec] = process.argv.slice(2);
const send = (message) => new Promise((resolve) => process.send(message, resolve));

const dot = handlerSpec.lastIndexOf('.');
const file = handlerSpec.slice(0, dot);
const name = handlerSpec.slice(dot + 1);
let handler;
try {
  const path = ['.mjs', '.js', '.cjs'].map((ext) => join(taskRoot, file + ext)).find((p) => existsSync(p));
  if (!path) throw Object.assign(new Error(`Cannot find module '${file}'`), { name: 'Runtime.ImportModuleError' });
  const module = await import(pathToFileURL(path).href);
  handler = module[name];
  if (typeof handler !== 'function') throw Object.assign(new Error(`${handlerSpec} is undefined or not exported`), { name: 'Runtime.HandlerNotFound' });
} catch (error) {
  await send({ type: 'init-error', error: { errorType: error.name, errorMessage: error.message } });
  process.exit(1);
}

process.on('message', async ({ id, event, deadline }) => {
  const context = {
    awsRequestId: id,
    functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
    functionVersion: '$LATEST',
    invokedFunctionArn: process.env.EG_LOCAL_FUNCTION_ARN,
    memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
    logGroupName: `/aws/lambda/${process.env.AWS_LAMBDA_FUNCTION_NAME}`,
    logStreamName: 'local',
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  };
  try {
    const result = await handler(event, context);
    await send({ type: 'result', id, result: result === undefined ? null : result });
  } catch (error) {
    console.error(error);
    await send({ type: 'error', id, error: { errorType: error?.name ?? 'Error', errorMessage: error?.message ?? String(error) } });
  }
});
await send({ type: 'ready' });
