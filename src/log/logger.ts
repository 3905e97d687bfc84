import { pino, type Logger } from 'pino';

export type { Logger };

/** The process logger: JSON lines on stderr (stdout stays free for command output). */
export function createLogger(level = process.env.KPLEX_LOG_LEVEL ?? 'info'): Logger {
  return pino({ level, base: { svc: 'kplex' } }, pino.destination(2));
}
