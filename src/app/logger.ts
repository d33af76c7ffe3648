import { pino, type Logger } from 'pino';

export type { Logger };

/** Structured JSON logs; anything that could carry a secret is redacted by path. */
export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { service: 'signet' },
    redact: {
      paths: [
        'req.headers.authorization',
        'req.headers["x-vault-token"]',
        'req.headers["x-api-key"]',
        '*.password',
        '*.token',
        '*.privateKey',
        '*.private_key',
      ],
      censor: '[redacted]',
    },
  });
}
