import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { hasProgram, readEnvFile, repoRoot, SECRET_NAME, unknownVariables } from './helpers.ts';

/**
 * compose.yaml: validated by Docker Compose itself (`docker compose config`, or Debian's
 * `docker-compose`; no engine is needed for that), and read for what it promises.
 */
interface Service {
  image?: string;
  command?: string[];
  entrypoint?: string[];
  env_file?: string[];
  environment?: unknown;
  ports?: string[];
  healthcheck?: { test: string[] };
  depends_on?: Record<string, { condition: string }>;
  deploy?: { replicas?: number };
  restart?: string;
  stop_grace_period?: string;
}

const compose = parse(readFileSync(join(repoRoot, 'compose.yaml'), 'utf8'), { merge: true }) as {
  services: Record<string, Service>;
};
const services = compose.services;
const env = (name: string) =>
  Object.assign({}, ...(services[name]!.env_file ?? []).map(readEnvFile)) as Record<string, string>;
const seconds = (d: string | undefined) => Number(/^(\d+)s$/.exec(d ?? '')?.[1] ?? 10);

describe('compose.yaml', () => {
  it('is valid for Docker Compose (`config`)', async () => {
    const run = promisify(execFile);
    const command = hasProgram('docker')
      ? await run('docker', ['compose', 'version']).then(
          () => ['docker', 'compose'],
          () => undefined,
        )
      : undefined;
    const tool = command ?? (hasProgram('docker-compose') ? ['docker-compose'] : undefined);
    if (!tool) {
      // CI sets KOUKAN_REQUIRE_COMPOSE (and installs Debian's docker-compose): there it must run.
      if (process.env.KOUKAN_REQUIRE_COMPOSE) throw new Error('no docker compose on this machine');
      console.warn(
        '\n*** compose.yaml NOT validated: neither `docker compose` nor `docker-compose` here ***\n',
      );
      return;
    }
    const { stdout } = await run(tool[0]!, [...tool.slice(1), '-f', 'compose.yaml', 'config'], {
      cwd: repoRoot,
    });
    const resolved = parse(stdout) as { services: Record<string, unknown> };
    expect(Object.keys(resolved.services).sort()).toEqual(Object.keys(services).sort());
  });

  it('runs PostgreSQL, a migration step, two routers, a gateway, the console, a mail catcher and the receiver', () => {
    expect(Object.keys(services).sort()).toEqual(
      ['console', 'gateway', 'mailpit', 'migrate', 'postgres', 'receiver', 'router'].sort(),
    );
    expect(services.router!.deploy?.replicas).toBe(2);
    expect(services.migrate!.command).toEqual(['init']);
    expect(services.migrate!.restart).toBe('no');
    expect(services.migrate!.depends_on?.postgres?.condition).toBe('service_healthy');
    for (const s of ['router', 'console']) {
      expect(services[s]!.depends_on?.migrate?.condition).toBe('service_completed_successfully');
    }
    expect(services.gateway!.command).toEqual(['gateway']);
    expect(services.console!.command).toEqual(['console']);
    expect(services.receiver!.entrypoint).toContain('examples/receiver/src/main.ts');
  });

  it('has a health check on every long-running service', () => {
    for (const [name, s] of Object.entries(services)) {
      if (name === 'migrate') continue;
      expect(s.healthcheck?.test.length, name).toBeGreaterThan(1);
    }
  });

  it('publishes SMTP on 25/587/465 and never the gateway outbound API', () => {
    const published = Object.entries(services).flatMap(([name, s]) =>
      (s.ports ?? []).map((p) => ({ name, p })),
    );
    const gateway = published.filter((x) => x.name === 'gateway').map((x) => x.p);
    expect(gateway.sort()).toEqual(['25:2525', '465:2465', '587:2587']);
    // container port 8001 (the outbound API) is published by nobody
    expect(published.filter((x) => x.name === 'gateway' && /:8001$/.test(x.p))).toEqual([]);
    // HTTP ports are bound to loopback only
    for (const x of published.filter((x) => x.name !== 'gateway')) {
      expect(x.p, x.name).toMatch(/^127\.0\.0\.1:/);
    }
  });

  it('gives the components more time to stop than their own grace', () => {
    // gateway: KOUKAN_SHUTDOWN_GRACE_MS (25 s default); router: engine stop deadline (10 s)
    expect(seconds(services.gateway!.stop_grace_period)).toBeGreaterThan(25);
    expect(seconds(services.router!.stop_grace_period)).toBeGreaterThan(10);
  });

  it('keeps secrets in env files with development placeholders, none inline', () => {
    for (const [name, s] of Object.entries(services)) {
      expect(s.environment, `${name}: use an env file`).toBeUndefined();
      for (const file of s.env_file ?? []) {
        for (const [k, v] of Object.entries(readEnvFile(file))) {
          if (SECRET_NAME.test(k)) expect(v, `${file} ${k}`).toMatch(/change-?me/i);
        }
      }
    }
    // the gateway keeps nothing: it gets no database credentials
    expect(env('gateway').DATABASE_URL).toBeUndefined();
  });

  it('wires the parts together: tokens, keys, smarthost, receiver, database', () => {
    const init = env('migrate');
    const router = env('router');
    const gateway = env('gateway');
    const receiver = env('receiver');
    const postgres = env('postgres');
    expect(router.KOUKAN_SECRET_GATEWAY).toBe(gateway.KOUKAN_GATEWAY_TOKEN);
    expect(router.KOUKAN_SECRET_RECEIVER).toBe(receiver.RECEIVER_TOKEN);
    // the gateway's token goes to the gateway only, never to the receiving application
    expect(router.KOUKAN_SECRET_RECEIVER).not.toBe(gateway.KOUKAN_GATEWAY_TOKEN);
    expect(router.KOUKAN_SECRET_INBOUND).toBe(gateway.KOUKAN_GATEWAY_TOKEN);
    expect(init.KOUKAN_SMTP_MX_API_KEY).toBe(gateway.KOUKAN_SMTP_MX_API_KEY);
    expect(init.KOUKAN_SMTP_MSA_API_KEY).toBe(gateway.KOUKAN_SMTP_MSA_API_KEY);
    expect(gateway.KOUKAN_SMTP_MSA_API_KEY).not.toBe(gateway.KOUKAN_SMTP_MX_API_KEY);
    expect(init.KOUKAN_SMARTHOST).toBe('mailpit:1025');
    expect(init.KOUKAN_INBOUND_URL).toBe(`http://receiver:${receiver.RECEIVER_PORT}`);
    expect(init.KOUKAN_GATEWAY_URL).toBe('http://gateway:8001');
    expect(gateway.KOUKAN_ROUTER_URL).toBe('http://router:8000');
    const db = new URL(init.DATABASE_URL!);
    expect(db.hostname).toBe('postgres');
    expect(decodeURIComponent(db.password)).toBe(postgres.POSTGRES_PASSWORD);
    expect(db.username).toBe(postgres.POSTGRES_USER);
    expect(env('router').DATABASE_URL).toBe(init.DATABASE_URL);
  });

  it('sets only variables each component reads (its env.ts)', () => {
    const component: Record<string, string> = {
      migrate: 'cli',
      router: 'router',
      gateway: 'gateway',
      console: 'console',
      receiver: 'receiver',
    };
    for (const [service, name] of Object.entries(component)) {
      const unknown = unknownVariables(name, Object.keys(env(service)));
      if (unknown === undefined) {
        console.warn(`compose.yaml: ${name} is not in this checkout; its variables are unchecked`);
        continue;
      }
      expect(unknown, service).toEqual([]);
    }
  });
});
