import { pino, type Logger, type LevelWithSilent } from 'pino';

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
  if (options.format === 'text') {
    return pino({
      level,
      transport: { target: 'pino-pretty', options: { colorize: process.stdout.isTTY, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' } },
    });
  }
  return pino({ level, base: { service: 'event-gateway' } });
}
