import { STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { errorEnvelope } from '../core/errors/index.js';

export interface OutsideListenerOptions {
  /** The methods this API takes, sent as `Allow` with a 405. */
  allow: readonly string[];
  /** The server's `maxHeaderSize`, named in the 431 message. */
  maxHeaderBytes: number;
}

/**
 * node:http hands some requests to no request listener: `CONNECT` goes to a `connect` event, a request it cannot
 * parse (an unknown method, a bad header, headers over `maxHeaderSize`) to `clientError`, and an `Expect` it cannot
 * meet to `checkExpectation`. Left alone, the first drops the connection and the others get a status with an empty
 * body. This answers each with its status and the APIs' error envelope, then closes the connection.
 *
 * Requests with an `Upgrade` header still reach the listener (there is no `upgrade` listener): the gateway never
 * switches protocols, so they are ordinary requests.
 */
export function answerOutsideListener(server: Server, options: OutsideListenerOptions): void {
  const allow = options.allow.join(', ');
  const methodNotAllowed = (method: string | undefined) =>
    rawResponse(405, `Method Not Allowed: ${method ?? 'the request method'} is not supported here.`, [['allow', allow]]);

  server.on('connect', (_req: IncomingMessage, socket: Duplex) => {
    socket.on('error', () => socket.destroy());
    endWith(socket, methodNotAllowed('CONNECT'));
  });

  // An `Expect` other than 100-continue: node:http would answer 417 with an empty body.
  server.on('checkExpectation', (req: IncomingMessage, res: ServerResponse) => {
    req.resume();
    const body = envelope('Expectation Failed: the only expectation this server meets is 100-continue.');
    res.writeHead(417, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), connection: 'close' });
    res.end(body);
  });

  server.on('clientError', (error: ParseError, socket: Duplex) => {
    if (error.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    // Bytes after a request (pipelined, or a body its headers did not announce) fail to parse while that request's
    // response may still be under way. That response is what the client waits for: it goes out whole, announcing
    // that the connection closes after it (so the client sends nothing more on it), and the bytes get no answer.
    const inFlight = (socket as Duplex & { _httpMessage?: ServerResponse | null })._httpMessage;
    if (inFlight && !inFlight.writableFinished) {
      if (!inFlight.headersSent) inFlight.setHeader('connection', 'close');
      else inFlight.once('finish', () => endWith(socket, ''));
      return;
    }
    const answer = answerFor(error, options.maxHeaderBytes, methodNotAllowed);
    endWith(socket, answer);
  });
}

/** How long a client may take to read the answer and close; then the connection is closed for it. */
const LINGER_MS = 2000;

function endWith(socket: Duplex, answer: string): void {
  socket.end(answer);
  const timer = setTimeout(() => socket.destroy(), LINGER_MS).unref();
  socket.once('close', () => clearTimeout(timer));
}

type ParseError = NodeJS.ErrnoException & { rawPacket?: Buffer };

function answerFor(error: ParseError, maxHeaderBytes: number, methodNotAllowed: (method: string | undefined) => string): string {
  switch (error.code) {
    case 'HPE_INVALID_METHOD':
      return methodNotAllowed(methodOf(error.rawPacket));
    case 'HPE_HEADER_OVERFLOW':
      return rawResponse(431, `Request Header Fields Too Large: the limit is ${maxHeaderBytes} bytes of headers.`);
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return rawResponse(413, 'Request body chunk extensions too large.');
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return rawResponse(408, 'Request Timeout: the request did not arrive in time.');
    default:
      return rawResponse(400, 'Bad Request: the request is not valid HTTP/1.1.');
  }
}

/** The request's method token, when the bytes start with one (never echoes anything else). */
function methodOf(packet: Buffer | undefined): string | undefined {
  const match = packet ? /^([A-Za-z0-9!#$%&'*+.^_`|~-]{1,24}) /.exec(packet.subarray(0, 32).toString('latin1')) : null;
  return match?.[1];
}

function envelope(message: string): string {
  return `${JSON.stringify(errorEnvelope(message))}\n`;
}

function rawResponse(status: number, message: string, extraHeaders: ReadonlyArray<readonly [string, string]> = []): string {
  const body = envelope(message);
  const headers = [
    ['content-type', 'application/json'],
    ['content-length', String(Buffer.byteLength(body))],
    ...extraHeaders,
    ['connection', 'close'],
  ];
  return `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\n${headers.map(([n, v]) => `${n}: ${v}\r\n`).join('')}\r\n${body}`;
}
