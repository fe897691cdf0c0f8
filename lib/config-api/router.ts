/**
 * The config API's route table with the behaviour of julienschmidt/httprouter v1.1 outside the table
 * (docs/compatibility.md#routes): routes match the *decoded* path; a request that misses only by a trailing slash, by
 * letter case or by an unclean path (`//`, `.`, `..`) is redirected (301 for GET, 307 otherwise); a path known under
 * another method gets a plain-text 405; anything else a plain-text 404.
 *
 * This is the config API, not the hot path: a linear scan over twenty routes is clear and fast enough.
 */

type Segment = { kind: 'static'; text: string } | { kind: 'param'; name: string } | { kind: 'catchAll'; name: string };

interface Route<H> {
  method: string;
  pattern: string;
  segments: Segment[];
  handler: H;
}

export type RouteResolution<H> =
  | { kind: 'match'; handler: H; params: Record<string, string> }
  | { kind: 'redirect'; statusCode: 301 | 307; location: string }
  | { kind: 'methodNotAllowed' }
  | { kind: 'notFound' };

export class ConfigRouter<H> {
  private readonly routes: Route<H>[] = [];

  add(method: string, pattern: string, handler: H): this {
    this.routes.push({ method, pattern, segments: parsePattern(pattern), handler });
    return this;
  }

  resolve(method: string, path: string): RouteResolution<H> {
    const own = this.routes.filter((r) => r.method === method);
    const found = matchAny(own, path);
    if (found) return { kind: 'match', handler: found.route.handler, params: found.params };

    if (own.length > 0 && path !== '/') {
      const statusCode = method === 'GET' ? 301 : 307;
      const toggled = path.endsWith('/') ? path.slice(0, -1) : `${path}/`;
      if (matchAny(own, toggled)) return { kind: 'redirect', statusCode, location: toggled };
      const fixed = fixPath(own, cleanPath(path));
      if (fixed !== undefined) return { kind: 'redirect', statusCode, location: fixed };
    }

    const elsewhere = this.routes.some((r) => r.method !== method && matchRoute(r, path));
    return elsewhere ? { kind: 'methodNotAllowed' } : { kind: 'notFound' };
  }
}

function parsePattern(pattern: string): Segment[] {
  return pattern
    .slice(1)
    .split('/')
    .map((part): Segment => {
      if (part.startsWith(':')) return { kind: 'param', name: part.slice(1) };
      if (part.startsWith('*')) return { kind: 'catchAll', name: part.slice(1) };
      return { kind: 'static', text: part };
    });
}

function matchAny<H>(routes: Route<H>[], path: string) {
  for (const route of routes) {
    const params = matchRoute(route, path);
    if (params) return { route, params };
  }
  return undefined;
}

function matchRoute<H>(route: Route<H>, path: string, caseInsensitive = false): Record<string, string> | undefined {
  if (!path.startsWith('/')) return undefined;
  const parts = path.slice(1).split('/');
  const params: Record<string, string> = {};
  for (let i = 0; i < route.segments.length; i++) {
    const segment = route.segments[i]!;
    const part = parts[i];
    if (segment.kind === 'catchAll') {
      // httprouter's catch-all keeps the leading slash and needs at least that much.
      if (part === undefined) return undefined;
      params[segment.name] = `/${parts.slice(i).join('/')}`;
      return params;
    }
    if (part === undefined) return undefined;
    if (segment.kind === 'param') {
      params[segment.name] = part;
    } else if (caseInsensitive ? segment.text.toLowerCase() !== part.toLowerCase() : segment.text !== part) {
      return undefined;
    }
  }
  return parts.length === route.segments.length ? params : undefined;
}

/** The registered spelling of a path that matches case-insensitively, with or without its trailing slash. */
function fixPath<H>(routes: Route<H>[], path: string): string | undefined {
  const candidates = path === '/' ? [path] : [path, path.endsWith('/') ? path.slice(0, -1) : `${path}/`];
  for (const candidate of candidates) {
    for (const route of routes) {
      if (!matchRoute(route, candidate, true)) continue;
      const parts = candidate.slice(1).split('/');
      const spelled = route.segments.map((segment, i) => {
        if (segment.kind === 'static') return segment.text;
        return segment.kind === 'catchAll' ? parts.slice(i).join('/') : parts[i];
      });
      return `/${spelled.join('/')}`;
    }
  }
  return undefined;
}

/** Go's path.Clean semantics as httprouter's CleanPath applies them (a trailing slash is kept). */
export function cleanPath(path: string): string {
  if (path === '') return '/';
  const out: string[] = [];
  for (const part of path.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') out.pop();
    else out.push(part);
  }
  const cleaned = `/${out.join('/')}`;
  const trailing = path.endsWith('/') || path.endsWith('/.') || path.endsWith('/..');
  return trailing && cleaned !== '/' ? `${cleaned}/` : cleaned;
}
