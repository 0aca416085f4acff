import { ConfigError } from '@koukan/db/config';
import { componentCommands, runComponent } from './commands/component.ts';
import { configExport, configImport } from './commands/config.ts';
import { init } from './commands/init.ts';
import { apiKeyCreate, migrate } from './commands/misc.ts';
import { start } from './commands/start.ts';
import { loadEnv } from './env.ts';
import { createLogger } from './logger.ts';

const usage = `usage: koukan <command>
  start                         run everything (embedded PostgreSQL unless DATABASE_URL is set)
  migrate                       apply database migrations
  init                          migrate, import the configuration, register seed keys (containers)
  router | gateway | console    run one component in this process (reads its own environment)
  config import <file.yaml>     upsert senders and chains from a file
  config export [file.yaml]     write the senders and chains as YAML (stdout by default)
  apikey create <sender> [name] create an API key for a sender and print it once
`;

async function run(argv: string[]): Promise<number> {
  // A component validates its own environment, not the CLI's.
  if (argv[0] && componentCommands.has(argv[0])) return runComponent(argv[0]);
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
    case 'init':
      return init(env, logger);
    case 'config import':
      if (!arg) break;
      return configImport(env, logger, arg);
    case 'config export':
      return configExport(env, logger, arg);
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
