import pino, { type Logger } from 'pino';

export type { Logger };

/** The root logger. Secrets never reach it: redact the fields that could carry them. */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { app: 'dangjian-bot' },
      redact: { paths: ['appSecret', '*.appSecret', 'app_secret', '*.app_secret', 'tenant_access_token', '*.tenant_access_token', 'headers.authorization', '*.headers.authorization', 'encryptKey'], censor: '[redacted]' },
    },
    destination ?? pino.destination(2),
  );
}

export const silentLogger: Logger = pino({ enabled: false });
