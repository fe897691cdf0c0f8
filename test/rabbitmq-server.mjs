// Debian's rabbitmq-server, started once per test run by test/run.mjs when a test under test/amqp/ is selected. It
// runs as a private node: its own temp dir (data, logs, Erlang cookie), a unique node name, and free ports for AMQP,
// Erlang distribution and epmd, all on 127.0.0.1. Tests find it through the environment:
//   EG_TEST_AMQP_URL        amqp://guest:guest@127.0.0.1:<port>/
//   EG_TEST_AMQP_SKIP       why it could not start (then the AMQP tests skip, saying so)
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './aws-servers.mjs';

/** The broker's own start script: the /usr/sbin wrapper would switch to the rabbitmq user and its /var dirs. */
const SCRIPT = '/usr/lib/rabbitmq/bin/rabbitmq-server';
/** Boot takes 10-60 s on a busy 2-core machine. */
const START_TIMEOUT_MS = 120_000;

function accepts(port) {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}

/** Starts the broker, or resolves with `skip` (the reason) when it is missing or does not come up. */
export async function startRabbitMq() {
  const script = SCRIPT;
  if (!existsSync(script)) return { env: { EG_TEST_AMQP_SKIP: 'rabbitmq-server is not installed (apt-get install rabbitmq-server)' } };
  const dir = mkdtempSync(join(tmpdir(), 'eg-rabbitmq-'));
  const [amqpPort, distPort, epmdPort] = [await freePort(), await freePort(), await freePort()];
  writeFileSync(join(dir, 'enabled_plugins'), '[].\n');
  writeFileSync(join(dir, 'rabbitmq.conf'), 'log.console = false\nlog.file.level = warning\n');
  writeFileSync(join(dir, 'rabbitmq-env.conf'), '');
  const env = {
    ...process.env,
    HOME: dir, // the Erlang cookie
    RABBITMQ_NODENAME: `egtest${process.pid}@localhost`,
    RABBITMQ_NODE_IP_ADDRESS: '127.0.0.1',
    RABBITMQ_NODE_PORT: String(amqpPort),
    RABBITMQ_DIST_PORT: String(distPort),
    ERL_EPMD_PORT: String(epmdPort),
    ERL_EPMD_ADDRESS: '127.0.0.1',
    RABBITMQ_MNESIA_BASE: join(dir, 'mnesia'),
    RABBITMQ_LOG_BASE: join(dir, 'log'),
    RABBITMQ_PID_FILE: join(dir, 'rabbitmq.pid'),
    RABBITMQ_ENABLED_PLUGINS_FILE: join(dir, 'enabled_plugins'),
    RABBITMQ_CONFIG_FILE: join(dir, 'rabbitmq'),
    RABBITMQ_ADVANCED_CONFIG_FILE: join(dir, 'advanced.config'),
    RABBITMQ_CONF_ENV_FILE: join(dir, 'rabbitmq-env.conf'),
  };
  // Its own process group, so that stopping it ends the start script and the Erlang VM together.
  const broker = spawn(script, [], { cwd: dir, env, detached: true, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  broker.stderr.on('data', (chunk) => (stderr = (stderr + chunk).slice(-2000)));
  let exited = false;
  broker.once('exit', () => (exited = true));
  broker.once('error', (error) => ((exited = true), (stderr += String(error))));

  const stop = async () => {
    if (!exited) {
      try {
        process.kill(-broker.pid, 'SIGTERM');
      } catch {}
      const deadline = Date.now() + 15_000;
      while (!exited && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      if (!exited) {
        try {
          process.kill(-broker.pid, 'SIGKILL');
        } catch {}
      }
    }
    // epmd daemonizes out of the group: ask the one on our port to end.
    spawnSync('epmd', ['-kill'], { env: { ...process.env, ERL_EPMD_PORT: String(epmdPort) }, stdio: 'ignore', timeout: 5000 });
    rmSync(dir, { recursive: true, force: true });
  };

  const deadline = Date.now() + START_TIMEOUT_MS;
  while (!(await accepts(amqpPort))) {
    if (exited || Date.now() > deadline) {
      const log = join(dir, 'log', `${env.RABBITMQ_NODENAME}.log`);
      const tail = (existsSync(log) ? readFileSync(log, 'utf8') : stderr).trim().split('\n').slice(-5).join('\n');
      const reason = exited ? 'rabbitmq-server exited while starting' : `rabbitmq-server did not listen within ${START_TIMEOUT_MS / 1000} s`;
      await stop();
      return { env: { EG_TEST_AMQP_SKIP: `${reason}${tail ? `: ${tail}` : ''}` } };
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return { env: { EG_TEST_AMQP_URL: `amqp://guest:guest@127.0.0.1:${amqpPort}/` }, stop };
}
