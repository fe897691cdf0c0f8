// Summarises a V8 .cpuprofile (from `node --cpu-prof`): the frames with the most self time, and the files.
//   node bench/profile-summary.mjs <file.cpuprofile> [--from <µs>] [--to <µs>] [--top 15]
// --from/--to keep only the samples taken in that window, on the profile's clock (CLOCK_MONOTONIC in µs, the
// same clock as process.hrtime), so that start-up and shutdown do not dilute the figures of a load phase.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = fileURLToPath(new URL('..', import.meta.url));
const IDLE = new Set(['(idle)', '(program)']);

const sources = new Map();

/**
 * The line of a function's definition in one of our .ts files. tsx (or the bundle) runs transformed code, so the
 * profile's line numbers point into that, not into the source; the definition is found by name instead.
 */
function definitionLine(file, name) {
  if (!sources.has(file)) sources.set(file, existsSync(join(root, file)) ? readFileSync(join(root, file), 'utf8').split('\n') : []);
  const escaped = name.replace(/[$]/g, '\\$');
  const definition = new RegExp(
    `^\\s*(?:export\\s+)?(?:(?:async|static|private|public|protected|readonly|get|set|function\\*?)\\s+)*#?${escaped}\\s*(?:<[^>]*>)?(?:\\(|=\\s*(?:async\\s*)?\\()`,
  );
  const index = sources.get(file).findIndex((line) => definition.test(line));
  return index === -1 ? undefined : index + 1;
}

const bundles = new Map();

/**
 * The source module of a line of the CLI bundle (dist/cli, see bin/build.mjs): esbuild opens each module it inlines
 * with a `// <path>` comment, so the nearest one above the line names it.
 */
function bundledModule(file, lineNumber) {
  if (!bundles.has(file)) {
    const starts = [];
    if (existsSync(join(root, file))) {
      readFileSync(join(root, file), 'utf8').split('\n').forEach((line, index) => {
        const module = /^\/\/ ((?:lib|node_modules)\/\S+)$/.exec(line)?.[1];
        if (module) starts.push({ line: index, module });
      });
    }
    bundles.set(file, starts);
  }
  const starts = bundles.get(file);
  let found;
  for (let lo = 0, hi = starts.length - 1; lo <= hi; ) {
    const mid = (lo + hi) >> 1;
    if (starts[mid].line <= lineNumber) {
      found = starts[mid].module;
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  return found;
}

/** Where a frame lives, shortened: project files relative to the root, packages as `npm:…`, internals as `node:…`. */
function location(frame) {
  let url = frame.url || '';
  if (url.startsWith('file://')) url = fileURLToPath(url);
  if (url.startsWith(root)) url = url.slice(root.length);
  // A frame of the bundle is shown at its source module (packages without a line: it would be the bundle's).
  const bundled = /^dist\/cli\/[^/]+\.js$/.test(url) ? bundledModule(url, frame.lineNumber) : undefined;
  if (bundled?.startsWith('node_modules/')) return bundled.replace(/^node_modules\//, 'npm:');
  if (bundled) url = bundled;
  url = url.replace(/^node_modules\/(?:\.pnpm\/[^/]+\/node_modules\/)?/, 'npm:');
  if (!url) return '';
  if (url.endsWith('.ts')) {
    const line = frame.functionName ? definitionLine(url, frame.functionName) : undefined;
    return line === undefined ? url : `${url}:${line}`;
  }
  return `${url}:${frame.lineNumber + 1}`;
}

function frameKey(frame) {
  return `${frame.functionName || '(anonymous)'}\u0000${location(frame)}`;
}

/**
 * @param {object} profile a parsed .cpuprofile
 * @param {{ from?: number, to?: number, top?: number }} [window] sample window in µs on the profile clock
 */
export function summarise(profile, { from = -Infinity, to = Infinity, top = 15 } = {}) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

  // Sample i lasts until sample i+1 (the DevTools convention); the last one gets the previous interval.
  const times = [];
  let t = profile.startTime;
  for (const d of profile.timeDeltas) times.push((t += d));
  const inWindow = times.some((x) => x >= from && x <= to);
  const self = new Map();
  const total = new Map();
  const files = new Map();
  let busy = 0;
  let idle = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const at = times[i];
    if (inWindow && (at < from || at > to)) continue;
    const duration = (times[i + 1] ?? at + (at - (times[i - 1] ?? at))) - at;
    const node = byId.get(profile.samples[i]);
    if (!node) continue;
    if (IDLE.has(node.callFrame.functionName)) {
      idle += duration;
      continue;
    }
    busy += duration;
    const key = frameKey(node.callFrame);
    self.set(key, (self.get(key) ?? 0) + duration);
    const file = location(node.callFrame).replace(/:\d+$/, '') || `(native) ${node.callFrame.functionName}`;
    files.set(file, (files.get(file) ?? 0) + duration);
    const seen = new Set();
    for (let id = node.id; id !== undefined; id = parent.get(id)) {
      const k = frameKey(byId.get(id).callFrame);
      if (seen.has(k)) continue;
      seen.add(k);
      total.set(k, (total.get(k) ?? 0) + duration);
    }
  }
  const pct = (x) => (busy > 0 ? (100 * x) / busy : 0);
  const frames = [...self]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([key, us]) => {
      const [name, where] = key.split('\u0000');
      return { function: name, location: where, selfPct: pct(us), totalPct: pct(total.get(key) ?? 0) };
    });
  const topFiles = [...files].sort((a, b) => b[1] - a[1]).slice(0, top).map(([file, us]) => ({ file, selfPct: pct(us) }));
  return {
    windowApplied: inWindow && Number.isFinite(from),
    busyMs: busy / 1000,
    idleMs: idle / 1000,
    frames,
    files: topFiles,
  };
}

/** Markdown tables of a {@link summarise} result. */
export function formatSummary(summary, title) {
  const lines = [
    `#### ${title}`,
    '',
    `CPU busy ${summary.busyMs.toFixed(0)} ms, idle ${summary.idleMs.toFixed(0)} ms${summary.windowApplied ? ' (samples of the load phase only)' : ' (whole profile)'}; percentages are of busy time.`,
    '',
    '| self % | total % | function | location |',
    '|---:|---:|---|---|',
    ...summary.frames.map((f) => `| ${f.selfPct.toFixed(1)} | ${f.totalPct.toFixed(1)} | \`${f.function}\` | ${f.location || '(native)'} |`),
    '',
    '| self % | file |',
    '|---:|---|',
    ...summary.files.slice(0, 10).map((f) => `| ${f.selfPct.toFixed(1)} | ${f.file} |`),
  ];
  return lines.join('\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { from: { type: 'string' }, to: { type: 'string' }, top: { type: 'string', default: '15' } },
  });
  if (positionals.length !== 1) {
    console.error('usage: node bench/profile-summary.mjs <file.cpuprofile> [--from <µs>] [--to <µs>] [--top 15]');
    process.exit(2);
  }
  const profile = JSON.parse(readFileSync(positionals[0], 'utf8'));
  const summary = summarise(profile, {
    from: values.from === undefined ? undefined : Number(values.from),
    to: values.to === undefined ? undefined : Number(values.to),
    top: Number(values.top),
  });
  console.log(formatSummary(summary, positionals[0]));
}
