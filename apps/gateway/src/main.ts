import { loadEnv } from './env.ts';
import { startGateway } from './gateway.ts';
import { createLogger } from './logger.ts';

const env = loadEnv();
const logger = createLogger(env.LOG_LEVEL);

try {
  const gateway = await startGateway(env, logger);
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      logger.info({ signal }, 'signal received');
      void gateway.stop().then(() => process.exit(0));
    });
  }
} catch (err) {
  logger.fatal({ err }, 'gateway failed to start');
  process.exit(1);
}
