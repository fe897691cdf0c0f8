import type { CorsConfig } from '../model/types.js';
import { canonicalHeaderKey } from '../go/index.js';

/** The fields of a stored CORS configuration that evaluation reads. */
export type CorsPolicy = Pick<CorsConfig, 'allowedOrigins' | 'allowedMethods' | 'allowedHeaders' | 'allowCredentials'>;

/** `http://*.example.com` split around its `*`. */
export interface OriginPattern {
  readonly prefix: string;
  readonly suffix: string;
}

/**
 * A CORS configuration normalised once, at config time (docs/compatibility.md#cors): origins lower-cased and wildcard
 * patterns split, methods upper-cased, header names canonicalised. The stored configuration itself is never changed.
 */
export interface CompiledCors {
  /** `allowedOrigins` contains `*`. */
  readonly anyOrigin: boolean;
  readonly origins: ReadonlySet<string>;
  readonly originPatterns: readonly OriginPattern[];
  /** `allowedHeaders` contains `*`. */
  readonly anyHeader: boolean;
  /** Canonical names, `Origin` included whenever a list was given. */
  readonly headers: ReadonlySet<string>;
  readonly methods: ReadonlySet<string>;
  readonly allowCredentials: boolean;
  /** `Access-Control-Allow-Origin` is the literal `*` (any origin allowed and credentials off), else the echo. */
  readonly allowOriginStar: boolean;
}

// rs/cors defaults for empty lists. The config API already fills these in (docs/compatibility.md#cors-configurations);
// they only matter for a configuration built elsewhere.
const DEFAULT_METHODS = ['GET', 'POST', 'HEAD'];
const DEFAULT_HEADERS = ['Origin', 'Accept', 'Content-Type'];

export function compileCors(config: CorsPolicy): CompiledCors {
  const origins = new Set<string>();
  const originPatterns: OriginPattern[] = [];
  let anyOrigin = config.allowedOrigins.length === 0;
  for (const entry of config.allowedOrigins) {
    const origin = entry.toLowerCase();
    if (origin === '*') {
      anyOrigin = true;
      break;
    }
    const star = origin.indexOf('*');
    if (star >= 0) originPatterns.push({ prefix: origin.slice(0, star), suffix: origin.slice(star + 1) });
    else origins.add(origin);
  }

  const headerList = config.allowedHeaders.length === 0 ? DEFAULT_HEADERS : [...config.allowedHeaders, 'Origin'];
  const anyHeader = config.allowedHeaders.includes('*');
  const methodList = config.allowedMethods.length === 0 ? DEFAULT_METHODS : config.allowedMethods;

  return Object.freeze({
    anyOrigin,
    origins: anyOrigin ? new Set<string>() : origins,
    originPatterns: Object.freeze(anyOrigin ? [] : originPatterns),
    anyHeader,
    headers: new Set(anyHeader ? [] : headerList.map(canonicalHeaderKey)),
    methods: new Set(methodList.map(upperAscii)),
    allowCredentials: config.allowCredentials,
    allowOriginStar: anyOrigin && !config.allowCredentials,
  });
}

/** Upper-cases ASCII letters only, so a method echoed back stays a valid header value. */
export function upperAscii(text: string): string {
  return text.replace(/[a-z]+/g, (letters) => letters.toUpperCase());
}
