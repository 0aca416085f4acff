import pino, { type Logger } from 'pino';

export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { component: 'gateway' },
    // belt and braces: credentials never reach a log line even if someone logs a whole object
    redact: ['apiKey', 'password', 'credentials', 'authorization', '*.apiKey', '*.password'],
  });
}
