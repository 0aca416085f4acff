import { ConfigError } from '@koukan/db/config';
import { componentCommands, runComponent } from './commands/component.ts';
import { configExport, configImport } from './commands/config.ts';
import { demoData, demoDataUsage } from './commands/demo-data.ts';
import { domainCommand } from './commands/domain.ts';
import { init } from './commands/init.ts';
import { apiKeyCreate, migrate } from './commands/misc.ts';
import { secretList, secretRemove, secretSet } from './commands/secret.ts';
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
  secret set <name> [--file f]  store a secret (encrypted) from the file or standard input
  secret list                   the secrets' names and versions (never their values)
  secret remove <name> [--force]
  domain add <domain> [--dmarc-policy none|quarantine|reject] [--dmarc-rua mailto:…]
             [--spf "mx include:…"] [--mta-sts-mx mx1,mx2 [--mta-sts-mode testing|enforce]]
             [--tls-rpt-rua mailto:…]
                                a sending domain: DKIM keys (RSA-2048 + Ed25519) and the
                                DNS records to publish
  domain list | show <domain>   the domains, their keys and records   (--json)
  domain rotate <domain> [--publish-wait 2d] [--grace 7d]
                                new keys beside the old; they sign after --publish-wait
  domain check <domain> [--dns host:port]
                                look the records up: found / missing / different
  domain remove <domain>
  ${demoDataUsage}
                                generate realistic transactions for the console (bulk SQL)
`;

async function run(argv: string[]): Promise<number> {
  // A component validates its own environment, not the CLI's.
  if (argv[0] && componentCommands.has(argv[0])) return runComponent(argv[0]);
  const env = loadEnv();
  const logger = createLogger(env.LOG_LEVEL);
  const [command, sub, arg, arg2] = argv;
  if (command === 'domain') {
    const code = await domainCommand(env, logger, sub, argv.slice(2));
    if (code !== undefined) return code;
  }
  const grouped = ['config', 'apikey', 'secret'].includes(command ?? '');
  switch (`${command ?? ''} ${grouped ? (sub ?? '') : ''}`.trim()) {
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
    case 'demo-data':
      return demoData(env, logger, argv.slice(1));
    case 'apikey create':
      if (!arg) break;
      return apiKeyCreate(env, logger, arg, arg2);
    case 'secret set':
      if (!arg || (arg2 !== undefined && (arg2 !== '--file' || !argv[4]))) break;
      return secretSet(env, logger, arg, arg2 ? argv[4] : undefined);
    case 'secret list':
      return secretList(env, logger);
    case 'secret remove':
      if (!arg || (arg2 !== undefined && arg2 !== '--force')) break;
      return secretRemove(env, logger, arg, arg2 === '--force');
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
