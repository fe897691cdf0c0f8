import { pino, type DestinationStream, type Logger, type LevelWithSilent } from 'pino';
import PinoPretty from 'pino-pretty';

export type { Logger };
export type LogFormat = 'text' | 'json';

export interface LoggerOptions {
  /** @default 'info' */
  level?: LevelWithSilent;
  /** `text` is human-readable (pino-pretty), `json` one object per line. @default 'json' */
  format?: LogFormat;
}

/** The gateway's structured logger: JSON lines by default, human-readable text in dev mode. */
export function createLogger(options: LoggerOptions = {}): Logger {
  const level = options.level ?? 'info';
  if (options.format === 'text') return pino({ level }, prettyStdout());
  return pino({ level, base: { service: 'event-gateway' } });
}

/**
 * Human-readable lines on stdout, formatted by pino-pretty in this thread rather than in a transport's worker
 * thread, whose start would delay the gateway's. The formatter is built with the first line, and lines are written
 * synchronously, so none is lost when the process exits.
 */
function prettyStdout(): DestinationStream {
  const out = pino.destination({ dest: 1, sync: true });
  let format: ((line: string) => string) | undefined;
  return {
    write(line: string): void {
      format ??= PinoPretty.prettyFactory({
        colorize: process.stdout.isTTY,
        translateTime: 'SYS:HH:MM:ss.l',
        ignore: 'pid,hostname',
      });
      out.write(format(line));
    },
  };
}
