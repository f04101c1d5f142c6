/** The root logger: JSON lines (pino), with secrets redacted wherever they appear in a log object. */
import { pino, type Logger, type DestinationStream } from 'pino';

/**
 * Paths whose values never reach a log line. A second line of defence: messages are scrubbed where
 * they are made (`src/http/scrub.ts`), since a credential quoted inside a message has no path.
 */
export const REDACTED_PATHS = [
  '*.token',
  '*.bearerToken',
  '*.auth',
  '*.headers.cookie',
  '*.headers.Cookie',
  '*.password',
  '*.authorization',
  '*.Authorization',
  '*.headers.authorization',
  '*.headers.Authorization',
  '*.secretRef',
  '*.address',
  'data',
  '*.data',
  'stringData',
  '*.stringData',
];

export interface LoggerOptions {
  level?: string;
  /** Where lines go; stdout by default. */
  destination?: DestinationStream;
}

/** Creates the one root logger of a process; pieces get `child({ canary: 'ns/name' })` loggers. */
export function createLogger(options: LoggerOptions = {}): Logger {
  return pino(
    {
      level: options.level ?? 'info',
      base: { app: 'fledge' },
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    options.destination,
  );
}
