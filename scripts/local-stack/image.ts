// The router image, built on this machine without Docker: the Dockerfile's stages applied to the staged build
// context in cdk.out. Each stage is a folder standing in for the container's `/`; WORKDIR, COPY (also
// --from=<stage>) and ENV act on it, RUN runs its command with `sh -c` in the stage's working directory on this
// machine's Node and npm (npm prefers its local cache, so a second build needs no network). A base image
// contributes no files: the image's command runs on this machine's Node.
//
// Like Docker, every step is a cached layer keyed by the step and what it copies: an unchanged package-lock.json
// reuses the `npm ci` layer, so only the changed steps run again. Layers are folders under the cache folder,
// made from the previous one with hard links, so a RUN step must replace files rather than edit them in place.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { utimesSync, existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, unlinkSync, copyFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, posix, relative, sep } from 'node:path';

export interface BuiltImage {
  /** The final stage's folder standing in for `/`. */
  root: string;
  /** The working directory in the image (`/app`), and its folder on this machine. */
  workdir: string;
  workdirPath: string;
  /** The final stage's ENV. */
  env: Record<string, string>;
  /** ENTRYPOINT then CMD. */
  argv: string[];
  /** The base images the stages named. */
  bases: string[];
}

interface Instruction {
  keyword: string;
  args: string;
  line: number;
}

interface Stage {
  name: string | undefined;
  key: string;
  layer: string | undefined;
  workdir: string;
  env: Record<string, string>;
  entrypoint: string[];
  cmd: string[];
}

export function parseDockerfile(text: string): Instruction[] {
  const instructions: Instruction[] = [];
  const lines = text.split(/\r?\n/);
  let current = '';
  let start = 0;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (current === '' && /^\s*(#|$)/.test(line)) continue;
    if (current !== '' && /^\s*#/.test(line)) continue;
    if (current === '') start = i + 1;
    if (/\\\s*$/.test(line)) {
      current += `${line.replace(/\\\s*$/, '')} `;
      continue;
    }
    current += line;
    const match = /^\s*(\w+)\s+([\s\S]*)$/.exec(current);
    if (!match) throw new Error(`Dockerfile line ${start}: cannot parse "${current.trim()}"`);
    instructions.push({ keyword: match[1]!.toUpperCase(), args: match[2]!.trim(), line: start });
    current = '';
  }
  return instructions;
}

function substitute(text: string, vars: Record<string, string>): string {
  return text.replace(/\$\{(\w+)(?::?-([^}]*))?\}|\$(\w+)/g, (_, braced: string | undefined, fallback: string | undefined, bare: string | undefined) => {
    const name = (braced ?? bare)!;
    return vars[name] ?? fallback ?? '';
  });
}

function execForm(args: string, where: string): string[] {
  if (!args.startsWith('[')) throw new Error(`${where}: only the exec form (a JSON array) is supported, so the process gets signals`);
  return JSON.parse(args) as string[];
}

/** A `.dockerignore` as a predicate on context-relative paths (`**`, `*`, `?`, `!` re-includes; the last match wins). */
export function dockerignore(text: string): (path: string) => boolean {
  const rules = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((line) => {
      const include = line.startsWith('!');
      const pattern = posix.normalize((include ? line.slice(1) : line).trim()).replace(/^\/+/, '');
      const source = pattern
        .split(/(\*\*\/|\*\*|\*|\?)/)
        .map((part) => ({ '**/': '(.*/)?', '**': '.*', '*': '[^/]*', '?': '[^/]' })[part] ?? part.replace(/[.+^${}()|[\]\\]/g, '\\$&'))
        .join('');
      return { include, regex: new RegExp(`^${source}$`) };
    });
  return (path: string) => {
    const parts = path.split('/');
    let ignored = false;
    for (const { include, regex } of rules) {
      // A rule matching a folder applies to everything under it.
      for (let i = 1; i <= parts.length; i++) {
        if (regex.test(parts.slice(0, i).join('/'))) {
          ignored = !include;
          break;
        }
      }
    }
    return ignored;
  };
}

function hash(...parts: Array<string | Buffer>): string {
  const h = createHash('sha256');
  for (const part of parts) h.update(part).update('\0');
  return h.digest('hex').slice(0, 32);
}

/** A content hash of a file or folder (paths and bytes). */
function hashPath(path: string, skip: (path: string) => boolean = () => false): string {
  const h = createHash('sha256');
  const walk = (p: string, rel: string) => {
    if (skip(p)) return;
    const stat = lstatSync(p);
    if (stat.isDirectory()) {
      h.update(`d:${rel}\0`);
      for (const name of readdirSync(p).sort()) walk(join(p, name), `${rel}/${name}`);
    } else if (stat.isFile()) {
      h.update(`f:${rel}:${stat.mode & 0o111 ? 'x' : '-'}\0`).update(readFileSync(p));
    }
  };
  walk(path, '');
  return h.digest('hex');
}

/** Copies a file or a folder's contents, replacing (never writing through) files that may be hard links. */
function copyInto(source: string, target: string, skip: (path: string) => boolean = () => false): void {
  if (skip(source)) return;
  const stat = statSync(source);
  if (stat.isDirectory()) {
    mkdirSync(target, { recursive: true });
    for (const name of readdirSync(source)) copyInto(join(source, name), join(target, name), skip);
    return;
  }
  mkdirSync(dirname(target), { recursive: true });
  if (existsSync(target)) {
    if (statSync(target).isDirectory()) throw new Error(`cannot copy the file ${source} over the folder ${target}`);
    unlinkSync(target);
  }
  copyFileSync(source, target);
}

function run(command: string, cwd: string, env: NodeJS.ProcessEnv, log: (line: string) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('sh', ['-c', command], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const take = (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-20_000);
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code === 0) resolve();
      else {
        log(output);
        reject(new Error(`RUN ${command} failed with exit code ${code}`));
      }
    });
  });
}

export interface BuildImageOptions {
  contextDir: string;
  dockerfile: string;
  /** Holds the layers; layers no longer used by this build are removed. */
  cacheDir: string;
  log: (line: string) => void;
  /** Extra variables of RUN steps (beyond PATH and the stage's ENV). */
  runEnv?: NodeJS.ProcessEnv;
}

const LAYER_MAX_UNUSED_MS = 24 * 3600_000;
/** A lock older than this was left by a build that died. */
const STALE_LOCK_MS = 15 * 60_000;

/** One build at a time per cache folder (two local stacks, or a test next to one). */
async function lock(cacheDir: string): Promise<() => void> {
  const path = join(cacheDir, 'build.lock');
  mkdirSync(cacheDir, { recursive: true });
  for (;;) {
    try {
      mkdirSync(path);
      return () => rmSync(path, { recursive: true, force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      try {
        if (Date.now() - statSync(path).mtimeMs > STALE_LOCK_MS) rmSync(path, { recursive: true, force: true });
      } catch {
        // released meanwhile
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

export async function buildImage(options: BuildImageOptions): Promise<BuiltImage> {
  const unlock = await lock(options.cacheDir);
  try {
    return await buildLocked(options);
  } finally {
    unlock();
  }
}

async function buildLocked(options: BuildImageOptions): Promise<BuiltImage> {
  const instructions = parseDockerfile(readFileSync(join(options.contextDir, options.dockerfile), 'utf8'));
  const ignoreFile = join(options.contextDir, '.dockerignore');
  const ignored = existsSync(ignoreFile) ? dockerignore(readFileSync(ignoreFile, 'utf8')) : () => false;
  const outsideContext = (path: string) => {
    const rel = relative(options.contextDir, path).split(sep).join('/');
    return rel !== '' && ignored(rel);
  };
  const layersDir = join(options.cacheDir, 'layers');
  mkdirSync(layersDir, { recursive: true });
  const used = new Set<string>();
  const globalArgs: Record<string, string> = {};
  const stages: Stage[] = [];
  const bases: string[] = [];
  let stage: Stage | undefined;
  let stageArgs: Record<string, string> = {};

  /** Runs `apply` on a new layer made from the stage's current one, or reuses the cached layer of `key`. */
  const step = async (key: string, description: string, apply: (root: string) => Promise<void> | void) => {
    const current = stage!;
    const layer = join(layersDir, key);
    used.add(key);
    if (!existsSync(join(layer, '.complete'))) {
      options.log(`image: ${description}`);
      const building = `${layer}.building-${process.pid}`;
      rmSync(building, { recursive: true, force: true });
      mkdirSync(building, { recursive: true });
      if (current.layer) {
        // Hard links: a node_modules-sized tree is linked in a moment, where copying it would take minutes.
        const linked = spawnSync('cp', ['-al', join(current.layer, 'root'), join(building, 'root')], { encoding: 'utf8' });
        if (linked.status !== 0) throw new Error(`could not link the previous layer: ${linked.stderr}`);
      } else mkdirSync(join(building, 'root'));
      try {
        await apply(join(building, 'root'));
      } catch (error) {
        rmSync(building, { recursive: true, force: true });
        throw error;
      }
      writeFileSync(join(building, '.complete'), description);
      rmSync(layer, { recursive: true, force: true });
      renameSync(building, layer);
    } else {
      const now = new Date();
      utimesSync(join(layer, '.complete'), now, now);
    }
    current.key = key;
    current.layer = layer;
  };

  for (const { keyword, args, line } of instructions) {
    const where = `Dockerfile line ${line} (${keyword})`;
    const vars = { ...globalArgs, ...stageArgs, ...(stage?.env ?? {}) };
    if (keyword === 'ARG') {
      const [name, value] = args.split('=', 2) as [string, string | undefined];
      (stage ? stageArgs : globalArgs)[name] = value !== undefined ? substitute(value.replace(/^"|"$/g, ''), vars) : (globalArgs[name] ?? '');
      continue;
    }
    if (keyword === 'FROM') {
      const parts = substitute(args, globalArgs).split(/\s+/).filter((p) => !p.startsWith('--platform'));
      const image = parts[0]!;
      const name = parts[1]?.toUpperCase() === 'AS' ? parts[2] : undefined;
      const previous = stages.find((s) => s.name === image);
      stage = previous
        ? { ...previous, name, env: { ...previous.env }, entrypoint: [...previous.entrypoint], cmd: [...previous.cmd] }
        : { name, key: hash('FROM', image), layer: undefined, workdir: '/', env: {}, entrypoint: [], cmd: [] };
      if (!previous) bases.push(image);
      stageArgs = {};
      stages.push(stage);
      continue;
    }
    if (!stage) throw new Error(`${where}: comes before FROM`);
    const current = stage;
    switch (keyword) {
      case 'WORKDIR': {
        const dir = substitute(args, vars);
        current.workdir = posix.resolve(current.workdir, dir);
        const workdir = current.workdir;
        await step(hash(current.key, 'WORKDIR', workdir), `WORKDIR ${workdir}`, (root) => {
          mkdirSync(join(root, workdir), { recursive: true });
        });
        break;
      }
      case 'ENV': {
        for (const [, key, value] of args.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=("[^"]*"|\S+)/g)) current.env[key!] = substitute(value!.replace(/^"|"$/g, ''), vars);
        break;
      }
      case 'COPY': {
        const words = substitute(args, vars).split(/\s+/);
        const flags = words.filter((w) => w.startsWith('--'));
        const paths = words.filter((w) => !w.startsWith('--'));
        const from = flags.find((f) => f.startsWith('--from='))?.slice('--from='.length);
        const dest = paths.pop()!;
        if (paths.length === 0) throw new Error(`${where}: COPY needs a source and a destination`);
        const source = from === undefined ? undefined : stages.find((s) => s.name === from);
        if (from !== undefined && !source?.layer) throw new Error(`${where}: no stage ${from}`);
        const sourceRoot = source ? join(source.layer!, 'root') : options.contextDir;
        const resolveSource = (p: string) => {
          const resolved = source ? join(sourceRoot, posix.resolve(source.workdir, p)) : join(sourceRoot, p);
          if (!source && relative(sourceRoot, resolved).startsWith('..')) throw new Error(`${where}: ${p} is outside the build context`);
          if (!existsSync(resolved) || (!source && outsideContext(resolved))) throw new Error(`${where}: ${p} does not exist in ${source ? `stage ${from}` : 'the build context'}`);
          return resolved;
        };
        const sources = paths.map(resolveSource);
        const skip = source ? () => false : outsideContext;
        const contentKey = source ? `${source.key}:${paths.join(' ')}` : sources.map((p) => hashPath(p, skip)).join(',');
        const target = isAbsolute(dest) || dest.startsWith('/') ? dest : posix.join(current.workdir, dest);
        await step(hash(current.key, 'COPY', flags.join(' '), paths.join(' '), target, contentKey), `COPY ${args}`, (root) => {
          for (const src of sources) {
            const into = join(root, target);
            if (statSync(src).isDirectory()) copyInto(src, into, skip);
            else copyInto(src, dest.endsWith('/') || paths.length > 1 || (existsSync(into) && statSync(into).isDirectory()) ? join(into, basename(src)) : into);
          }
        });
        break;
      }
      case 'RUN': {
        const command = substitute(args, vars);
        const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, ...options.runEnv, ...stageArgs, ...current.env };
        await step(hash(current.key, 'RUN', command, JSON.stringify(current.env)), `RUN ${command}`, (root) => {
          const cwd = join(root, current.workdir);
          mkdirSync(cwd, { recursive: true });
          return run(command, cwd, env, options.log);
        });
        break;
      }
      case 'ENTRYPOINT':
        current.entrypoint = execForm(args, where);
        current.cmd = [];
        break;
      case 'CMD':
        current.cmd = execForm(args, where);
        break;
      case 'USER':
      case 'EXPOSE':
      case 'LABEL':
      case 'HEALTHCHECK':
      case 'STOPSIGNAL':
        break;
      default:
        throw new Error(`${where}: the local stack does not support ${keyword}`);
    }
  }
  if (!stage?.layer) throw new Error('the Dockerfile builds nothing');
  // Layers this build did not use go once nobody used them for a day (another start may still run from one).
  for (const name of readdirSync(layersDir)) {
    if (used.has(name)) continue;
    const complete = join(layersDir, name, '.complete');
    const age = Date.now() - (existsSync(complete) ? statSync(complete).mtimeMs : statSync(join(layersDir, name)).mtimeMs);
    if (age > LAYER_MAX_UNUSED_MS) rmSync(join(layersDir, name), { recursive: true, force: true });
  }
  const root = join(stage.layer, 'root');
  return { root, workdir: stage.workdir, workdirPath: join(root, stage.workdir), env: stage.env, argv: [...stage.entrypoint, ...stage.cmd], bases };
}
