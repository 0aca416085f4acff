import pino, { type Logger } from 'pino';

/** The console's logger; secrets are redacted wherever they might appear. */
export function createLogger(level: string): Logger {
  return pino({
    name: 'console',
    level,
    redact: {
      paths: [
        'password',
        '*.password',
        'temporaryPassword',
        '*.temporaryPassword',
        'headers.cookie',
        'req.headers.cookie',
        'secret',
      ],
      censor: '[redacted]',
    },
  });
}
