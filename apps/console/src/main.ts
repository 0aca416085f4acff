/**
 * The console's process, as `npm start` (and a container) runs it: makes sure the session
 * secret and a first admin exist, builds the Next.js app when there is no build or the sources
 * are newer than it, then serves it (src/serve.ts: Next.js behind a server that decides the
 * client's address; `--dev`: next dev).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createDb } from '@koukan/db';
import { consoleUrl, parseEnv, trustedOrigins } from './env.ts';
import { createAuth } from './server/auth/auth.ts';
import { ensureSecretFile } from './server/auth/secret.ts';
import { ensureFirstAdmin } from './server/auth/users.ts';
import { createLogger } from './server/logger.ts';

const appDir = fileURLToPath(new URL('../', import.meta.url));
const repoRoot = join(appDir, '../../');
const nextBin = createRequire(import.meta.url).resolve('next/dist/bin/next');

function newestMtime(path: string): number {
  if (!existsSync(path)) return 0;
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = st.mtimeMs;
  for (const entry of readdirSync(path)) {
    if (entry === 'node_modules' || entry === '.next' || entry.endsWith('.test.ts')) continue;
    newest = Math.max(newest, newestMtime(join(path, entry)));
  }
  return newest;
}

/** A build is needed when none exists or any source it contains is newer. */
export function needsBuild(): boolean {
  const buildId = join(appDir, '.next/BUILD_ID');
  if (!existsSync(buildId)) return true;
  const built = statSync(buildId).mtimeMs;
  const sources = [
    join(appDir, 'src'),
    join(appDir, 'next.config.ts'),
    join(appDir, 'package.json'),
    ...['ui', 'services', 'db', 'chain'].map((p) => join(repoRoot, 'packages', p, 'src')),
  ];
  return sources.some((s) => newestMtime(s) > built);
}

async function main(): Promise<number> {
  const dev = process.argv.includes('--dev');
  const env = parseEnv(process.env);
  const logger = createLogger(env.LOG_LEVEL);
  const secret = env.BETTER_AUTH_SECRET ?? ensureSecretFile(env.KOUKAN_DATA_DIR);
  const url = consoleUrl(env);

  const db = createDb({
    url: env.DATABASE_URL,
    poolSize: 1,
    applicationName: 'koukan-console-setup',
  });
  try {
    const auth = createAuth({
      db: db.db,
      secret,
      baseURL: url,
      trustedOrigins: trustedOrigins(env),
      sessionTtlSeconds: 3600,
      logger,
    });
    const admin = await ensureFirstAdmin(auth, {
      ...(env.KOUKAN_ADMIN_EMAIL && { email: env.KOUKAN_ADMIN_EMAIL }),
      ...(env.KOUKAN_ADMIN_PASSWORD && { password: env.KOUKAN_ADMIN_PASSWORD }),
    });
    const lines = ['', `Console: ${url}`];
    if (admin?.generated) {
      lines.push(
        `  first admin created: ${admin.email}`,
        `  password (shown once, stored hashed): ${admin.password}`,
        '  Sign in, then invite users under Users.',
      );
    } else if (admin) {
      lines.push(`  first admin created: ${admin.email} (password from KOUKAN_ADMIN_PASSWORD)`);
    } else {
      lines.push('  sign in with an existing console account');
    }
    process.stdout.write(`${lines.join('\n')}\n\n`);
  } finally {
    await db.close();
  }

  const childEnv = {
    ...process.env,
    BETTER_AUTH_SECRET: secret,
    NEXT_TELEMETRY_DISABLED: '1',
    NODE_ENV: (dev ? 'development' : 'production') as 'development' | 'production',
  };
  if (!dev && needsBuild()) {
    process.stdout.write('Building the console (next build; once, ~1–2 minutes)…\n');
    const build = spawnSync(process.execPath, [nextBin, 'build'], {
      cwd: appDir,
      env: childEnv,
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    if (build.status !== 0) {
      logger.error({ code: build.status }, 'next build failed');
      return 1;
    }
  }
  const serve = ['--import', 'tsx', join(appDir, 'src/serve.ts'), ...(dev ? ['--dev'] : [])];
  const child = spawn(process.execPath, serve, {
    cwd: appDir,
    env: childEnv,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => child.kill(signal));
  return new Promise((resolve) => child.on('exit', (code) => resolve(code ?? 0)));
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().then(
    (code) => process.exit(code),
    (err) => {
      console.error(err instanceof Error ? err.message : err);
      process.exit(1);
    },
  );
}
