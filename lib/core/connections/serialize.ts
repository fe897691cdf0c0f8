import { BadRequestError } from '../errors/index.js';
import { SECRET_MARKER } from '../model/serialize.js';
import { CONNECTION_INVALID } from './parse.js';
import type { Connection } from './types.js';

/** Source fields whose values are secrets. The password in an AMQP `url` is one too. */
const SECRET_FIELDS: ReadonlySet<string> = new Set(['awsSecretAccessKey', 'awsSessionToken']);

/**
 * The connections API representation: keys in the original's order, `target` and `metadata` omitted when absent,
 * `source` as given except secrets, which read {@link SECRET_MARKER}.
 */
export function connectionJson(c: Connection): Connection {
  const source: Record<string, string> = {};
  for (const [key, value] of Object.entries(c.source as unknown as Record<string, string>)) {
    if (SECRET_FIELDS.has(key) && value !== '') source[key] = SECRET_MARKER;
    else if (c.type === 'amqp' && key === 'url') source[key] = maskUrlPassword(value);
    else source[key] = value;
  }
  return {
    space: c.space,
    connectionId: c.connectionId,
    ...(c.target !== undefined ? { target: c.target } : {}),
    eventType: c.eventType,
    type: c.type,
    source: source as unknown as Connection['source'],
    ...(c.metadata && Object.keys(c.metadata).length > 0 ? { metadata: { ...c.metadata } } : {}),
  } as Connection;
}

/**
 * Puts stored secrets back where an update carries {@link SECRET_MARKER} (a client sending back what it was shown). A
 * marker with nothing stored to keep is a 400: storing the marker as a real secret would surprise the client.
 */
export function mergeConnectionSecrets(incoming: Connection, stored: Connection | undefined): Connection {
  const storedSource = (stored?.source ?? {}) as unknown as Readonly<Record<string, string>>;
  const merged: Record<string, string> = {};
  for (const [key, value] of Object.entries(incoming.source as unknown as Record<string, string>)) {
    if (SECRET_FIELDS.has(key) && value === SECRET_MARKER) {
      const kept = storedSource[key];
      if (kept === undefined || kept === '') throw keptSecretMissing(key);
      merged[key] = kept;
    } else if (incoming.type === 'amqp' && key === 'url' && urlPassword(value) === SECRET_MARKER) {
      const kept = stored?.type === 'amqp' ? urlPassword(storedSource['url'] ?? '') : undefined;
      if (kept === undefined || kept === '') throw keptSecretMissing('url');
      merged[key] = withUrlPassword(value, kept);
    } else {
      merged[key] = value;
    }
  }
  return { ...incoming, source: merged as unknown as Connection['source'] } as Connection;
}

function keptSecretMissing(field: string): BadRequestError {
  return new BadRequestError(
    `${CONNECTION_INVALID}"source.${field}" is "${SECRET_MARKER}", but there is no stored secret to keep: send the value itself.`,
  );
}

/** The userinfo of `scheme://user:password@host…` as [start, end) of the password, or undefined. */
function passwordSpan(url: string): [number, number] | undefined {
  const scheme = url.indexOf('://');
  if (scheme < 0) return undefined;
  const start = scheme + 3;
  let end = url.length;
  for (const stop of ['/', '?', '#']) {
    const i = url.indexOf(stop, start);
    if (i >= 0 && i < end) end = i;
  }
  const at = url.lastIndexOf('@', end - 1);
  if (at < start) return undefined;
  const colon = url.indexOf(':', start);
  if (colon < 0 || colon > at) return undefined;
  return [colon + 1, at];
}

function urlPassword(url: string): string | undefined {
  const span = passwordSpan(url);
  return span && url.slice(span[0], span[1]);
}

function withUrlPassword(url: string, password: string): string {
  const span = passwordSpan(url);
  return span ? url.slice(0, span[0]) + password + url.slice(span[1]) : url;
}

/** `amqp://user:secret@host/vhost` → `amqp://user:********@host/vhost`; a URL without a password is unchanged. */
export function maskUrlPassword(url: string): string {
  const password = urlPassword(url);
  return password ? withUrlPassword(url, SECRET_MARKER) : url;
}
