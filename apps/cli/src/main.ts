import { ConfigError } from '@koukan/db/config';
import { configExport, configImport } from './commands/config.ts';
import { demoData, demoDataUsage } from './commands/demo-data.ts';
import { apiKeyCreate, migrate } from './commands/misc.ts';
import { start } from './commands/start.ts';
import { loadEnv } from './env.ts';
import { createLogger } from './logger.ts';

const usage = `usage: koukan <command>
  start                         run everything (embedded PostgreSQL unless DATABASE_URL is set)
  migrate                       apply database migrations
  config import <file.yaml>     upsert senders and chains from a file
  config export [file.yaml]     write the senders and chains as YAML (stdout by default)
  apikey create <sender> [name] create an API key for a sender and print it once
  ${demoDataUsage}
                                generate realistic transactions for the console (bulk SQL)
`;

async function run(argv: string[]): Promise<number> {
  const env = loadEnv();
  const logger = createLogger(env.LOG_LEVEL);
  const [command, sub, arg, arg2] = argv;
  switch (
    `${command ?? ''} ${command === 'config' || command === 'apikey' ? (sub ?? '') : ''}`.trim()
  ) {
    case 'start':
      return start(env, logger);
    case 'migrate':
      return migrate(env, logger);
    case 'config import':
      if (!arg) break;
      return configImport(env, logger, arg);
    case 'config export':
      return configExport(env, logger, arg);
    case 'demo-data':
      return demoData(env, logger, argv.slice(1));
    case 'apikey create':
      if (!arg) break;
      return apiKeyCreate(env, logger, arg, arg2);
  }
  process.stderr.write(usage);
  return 2;
}

run(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(
      `${err instanceof ConfigError || err instanceof Error ? err.message : String(err)}\n`,
    );
    process.exitCode = 1;
  },
);
