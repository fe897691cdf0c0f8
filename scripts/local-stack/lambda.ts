// The Lambda functions of the template, each run from its bundled asset in cdk.out in a child process (an
// execution environment) with the environment of its definition. One invocation at a time per environment; an
// invocation past the function's timeout kills its environment, as Lambda does, and the next one starts afresh.
import { fork, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';

const RUNTIME = fileURLToPath(new URL('lambda-runtime.mjs', import.meta.url));

export interface FunctionDefinition {
  logicalId: string;
  name: string;
  arn: string;
  /** The asset folder (task root). */
  codeDir: string;
  handler: string;
  timeoutSeconds: number;
  memoryMiB: number;
  /** The template's variables, resolved, plus what the runtime and the local endpoints add. */
  environment: Record<string, string>;
}

export class FunctionError extends Error {
  constructor(
    readonly functionName: string,
    readonly errorType: string,
    message: string,
  ) {
    super(`${functionName}: ${errorType}: ${message}`);
    this.name = 'FunctionError';
  }
}

interface Pending {
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

class Environment {
  readonly child: ChildProcess;
  readonly ready: Promise<void>;
  private readonly pending = new Map<string, Pending>();
  exited = false;

  constructor(
    private readonly definition: FunctionDefinition,
    log: (line: string) => void,
  ) {
    this.child = fork(RUNTIME, [definition.codeDir, definition.handler], {
      cwd: definition.codeDir,
      env: definition.environment,
      execArgv: [],
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      serialization: 'advanced',
    });
    for (const stream of [this.child.stdout, this.child.stderr]) {
      let rest = '';
      stream?.on('data', (chunk: Buffer) => {
        const lines = (rest + chunk.toString()).split('\n');
        rest = lines.pop() ?? '';
        for (const line of lines) if (line) log(`[${definition.logicalId}] ${line}`);
      });
    }
    // A send to an environment that is exiting fails through the exit handler below, not as an uncaught error.
    this.child.on('error', (error) => log(`[${definition.logicalId}] ${error.message}`));
    this.ready = new Promise((resolve, reject) => {
      this.child.on('message', (message: { type: string; id?: string; result?: unknown; error?: { errorType: string; errorMessage: string } }) => {
        if (message.type === 'ready') resolve();
        else if (message.type === 'init-error') reject(new FunctionError(definition.name, message.error!.errorType, message.error!.errorMessage));
        else this.settle(message.id!, message);
      });
      this.child.on('exit', (code, signal) => {
        this.exited = true;
        const error = new FunctionError(definition.name, 'Runtime.ExitError', `the runtime exited (${signal ?? code})`);
        reject(error);
        for (const [id, p] of this.pending) {
          clearTimeout(p.timer);
          this.pending.delete(id);
          p.reject(error);
        }
      });
    });
    this.ready.catch(() => undefined);
  }

  invoke(event: unknown): Promise<unknown> {
    const id = randomUUID();
    const timeoutMs = this.definition.timeoutSeconds * 1000;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        this.child.kill('SIGKILL');
        reject(new FunctionError(this.definition.name, 'Sandbox.Timedout', `Task timed out after ${this.definition.timeoutSeconds} seconds`));
      }, timeoutMs);
      if (this.exited || !this.child.connected) {
        clearTimeout(timer);
        reject(new FunctionError(this.definition.name, 'Runtime.ExitError', 'the runtime exited'));
        return;
      }
      this.pending.set(id, { resolve, reject, timer });
      this.child.send({ id, event, deadline: Date.now() + timeoutMs });
    });
  }

  private settle(id: string, message: { type: string; result?: unknown; error?: { errorType: string; errorMessage: string } }): void {
    const p = this.pending.get(id);
    if (!p) return;
    clearTimeout(p.timer);
    this.pending.delete(id);
    if (message.type === 'result') p.resolve(message.result);
    else p.reject(new FunctionError(this.definition.name, message.error!.errorType, message.error!.errorMessage));
  }

  stop(): Promise<void> {
    if (this.exited) return Promise.resolve();
    return new Promise((resolve) => {
      this.child.once('exit', () => resolve());
      this.child.kill('SIGTERM');
    });
  }
}

/** A function with up to `concurrency` environments, each running one invocation at a time. */
export class LocalFunction {
  private readonly idle: Environment[] = [];
  private readonly all = new Set<Environment>();
  private readonly waiting: Array<(environment: Environment) => void> = [];
  private stopped = false;

  constructor(
    readonly definition: FunctionDefinition,
    private readonly log: (line: string) => void,
    private readonly concurrency = 1,
  ) {}

  /** Starts one environment and waits for its init (the asset loads, the handler is exported). */
  async warm(): Promise<void> {
    const environment = this.spawn();
    await environment.ready;
    this.release(environment);
  }

  async invoke(event: unknown): Promise<unknown> {
    const environment = await this.acquire();
    try {
      await environment.ready;
      return await environment.invoke(event);
    } finally {
      this.release(environment);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all([...this.all].map((e) => e.stop()));
  }

  private spawn(): Environment {
    const environment = new Environment(this.definition, this.log);
    this.all.add(environment);
    environment.child.on('exit', () => this.all.delete(environment));
    return environment;
  }

  private acquire(): Promise<Environment> {
    if (this.stopped) return Promise.reject(new Error(`${this.definition.name} is stopped`));
    for (let e = this.idle.pop(); e; e = this.idle.pop()) if (!e.exited) return Promise.resolve(e);
    if (this.all.size < this.concurrency) return Promise.resolve(this.spawn());
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private release(environment: Environment): void {
    const next = environment.exited ? undefined : environment;
    const waiter = this.waiting.shift();
    if (waiter) waiter(next ?? this.spawn());
    else if (next) this.idle.push(next);
  }
}
