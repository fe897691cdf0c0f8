import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import type { Command } from 'commander';
import { buildProgram } from '../../lib/cli/main.js';
import { GatewayMetrics } from '../../lib/observability/metrics.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const read = (path: string) => readFileSync(join(root, path), 'utf8');
const tracked = execFileSync('git', ['ls-files'], { cwd: root, encoding: 'utf8' }).split('\n').filter(Boolean);

/** The anchors GitHub gives a Markdown file's headings (lower case, punctuation dropped, spaces to hyphens). */
function anchorsOf(path: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  let inFence = false;
  for (const line of read(path).split('\n')) {
    if (line.startsWith('```')) inFence = !inFence;
    const heading = inFence ? null : /^#{1,6}\s+(.*?)\s*$/.exec(line);
    if (!heading) continue;
    const text = heading[1]!.replace(/\[([^\]]*)\]\([^)]*\)/g, '$1');
    const base = text.toLowerCase().replace(/[^\p{L}\p{N}_\- ]/gu, '').replaceAll(' ', '-');
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    anchors.add(count === 0 ? base : `${base}-${count}`);
  }
  return anchors;
}

function longFlags(command: Command): string[] {
  return [...command.options.flatMap((o) => (o.long ? [o.long] : [])), ...command.commands.flatMap(longFlags)];
}

describe('docs stand alone and match the code', () => {
  it('no tracked file sends a reader to notes outside the repository', () => {
    const outside = /\bshared\/(spec|design|bench|style)|\.\.\/shared\/|\b(spec|design) §|design\.md/;
    const offenders = tracked.filter((file) => !file.endsWith('docs.test.ts') && existsSync(join(root, file)))
      .filter((file) => outside.test(read(file)));
    assert.deepEqual(offenders, []);
  });

  it('every relative link and anchor in README.md, bench/README.md and docs/ resolves', () => {
    const pages = tracked.filter((f) => f === 'README.md' || f === 'bench/README.md' || /^docs\/.*\.md$/.test(f));
    const broken: string[] = [];
    for (const page of pages) {
      const text = read(page).replace(/```[\s\S]*?```/g, '');
      for (const [, href] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        if (/^[a-z]+:/.test(href!)) continue;
        const [path, anchor] = href!.split('#') as [string, string | undefined];
        const target = path === '' ? page : normalize(join(dirname(page), path));
        if (!existsSync(join(root, target))) {
          broken.push(`${page}: ${href} (no such file)`);
          continue;
        }
        if (anchor && target.endsWith('.md') && !anchorsOf(target).has(anchor)) broken.push(`${page}: ${href} (no such heading)`);
      }
    }
    assert.deepEqual(broken, []);
  });

  it('every docs/*.md#anchor that code comments and test names cite exists', () => {
    const broken: string[] = [];
    const sources = tracked.filter((f) => /^(lib|functions|bin|test|bench|scripts)\/.*\.(ts|js|mjs)$/.test(f) || f === 'Dockerfile');
    for (const file of sources) {
      // `docs/<page>.md#a`, and the short form `docs/<page>.md#a, #b and #c` for further anchors of the same page.
      for (const [, doc, first, more] of read(file).matchAll(/docs\/([\w-]+\.md)(#[\w-]+)?((?:(?:,| and| to| or)? #[\w-]+)*)/g)) {
        const target = `docs/${doc}`;
        if (!existsSync(join(root, target))) {
          broken.push(`${relative(root, join(root, file))}: ${target} (no such file)`);
          continue;
        }
        const anchors = [first, ...(more ?? '').matchAll(/#[\w-]+/g)].flat().filter((a): a is string => Boolean(a));
        for (const anchor of anchors) {
          if (!anchorsOf(target).has(anchor.slice(1))) broken.push(`${file}: ${target}${anchor}`);
        }
      }
    }
    assert.deepEqual(broken, []);
  });

  it('docs/operations.md lists every CLI flag', () => {
    const operations = read('docs/operations.md');
    const missing = [...new Set(longFlags(buildProgram()))].filter((flag) => !operations.includes(`\`${flag}`));
    assert.deepEqual(missing, []);
  });

  it('docs/operations.md lists every eventgateway_ metric the gateway exposes', async () => {
    const operations = read('docs/operations.md');
    const names = (await new GatewayMetrics({ processMetrics: false }).registry.getMetricsAsJSON()).map((m) => m.name);
    assert.ok(names.includes('eventgateway_events_received_total'), 'the metrics registry looks empty');
    assert.deepEqual(names.filter((name) => !operations.includes(`\`${name}\``)), []);
  });
});
