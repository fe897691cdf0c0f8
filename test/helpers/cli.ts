import { spawn, type ChildProcess } from 'node:child_process';
import { http } from './http.js';
import { freePort } from './ports.js';

const CLI = new URL('../../bin/event-gateway.js', import.meta.url).pathname;

export interface CliGateway {
  child: ChildProcess;
  configUrl: string;
  eventsUrl: string;
  /** Everything the process printed so far. */
  output(): string;
}

/** Runs the real CLI as a child process on free loopback ports and waits until its config API answers. */
export async function startCli(args: string[], ports?: { configPort: number; eventsPort: number }): Promise<CliGateway> {
  const configPort = ports?.configPort ?? (await freePort());
  const eventsPort = ports?.eventsPort ?? (await freePort());
  const child = spawn(
    process.execPath,
    [CLI, '--dev', '--config-port', String(configPort), '--events-port', String(eventsPort), '--connector-port', '0', '--log-format', 'json', '--log-level', 'warn', ...args],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout?.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (output += c.toString()));
  const configUrl = `http://127.0.0.1:${configPort}`;
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`gateway exited: ${output}`);
    try {
      if ((await http(configUrl, '/v1/status')).status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`gateway did not start: ${output}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { child, configUrl, eventsUrl: `http://127.0.0.1:${eventsPort}`, output: () => output };
}

/** Sends a signal and resolves with the exit code (null when killed by the signal). */
export function stopCli(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => {
    child.once('exit', (code) => resolve(code));
    child.kill(signal);
  });
}
