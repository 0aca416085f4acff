import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { promisify } from 'node:util';
import { findApiKey, getChainByName } from '@koukan/db';
import { createTestDatabase, type TestDatabase } from '@koukan/db/testing';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runComponent } from './commands/component.ts';
import { cleanEnv, repoRoot, spawnTsx } from './testing/stack.ts';

/**
 * The per-component commands containers run (`koukan router|gateway|console|init`), as
 * processes against a real PostgreSQL (DATABASE_URL, else an embedded one).
 */
const main = 'apps/cli/src/main.ts';
const run = promisify(execFile);
const mxKey = 'kk_ComposeMx1_MMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMM';
const msaKey = 'kk_ComposeMs1_SSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSS';

function koukan(args: string[], env: Record<string, string>) {
  return run(process.execPath, ['--import', 'tsx', main, ...args], {
    cwd: repoRoot,
    env: { ...cleanEnv(), LOG_LEVEL: 'warn', ...env },
  }).then(
    (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
    (e: { code: number; stdout: string; stderr: string }) => e,
  );
}

describe('koukan init', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase({ migrate: false });
  });
  afterAll(() => db?.destroy());

  it('migrates, imports the default chains for a container network, registers the MX and MSA gateway keys; twice', async () => {
    const env = {
      DATABASE_URL: db.url,
      KOUKAN_GATEWAY_URL: 'http://gateway:8001',
      KOUKAN_SMARTHOST: 'mailpit:1025',
      KOUKAN_INBOUND_URL: 'http://receiver:8080',
      KOUKAN_SMTP_MX_API_KEY: mxKey,
      KOUKAN_SMTP_MSA_API_KEY: msaKey,
    };
    const first = await koukan(['init'], env);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('first start: true');
    // No seed key given: a sandbox key is generated and shown once.
    expect(first.stdout).toMatch(/"sandbox" sender[^\n]*\n +kk_[A-Za-z0-9]{10}_/);

    const mxOutput = await getChainByName(db.db, 'smtp-mx-output');
    expect(mxOutput?.filters.at(-1)).toMatchObject({
      filter: 'rest_output',
      url: 'http://receiver:8080',
      sender: 'inbound',
      api_key_ref: 'receiver',
    });
    const submission = await getChainByName(db.db, 'submission');
    expect(submission?.filters).toContainEqual(
      expect.objectContaining({ filter: 'rest_output', url: 'http://gateway:8001' }),
    );
    expect(JSON.stringify(submission?.filters)).toContain('mailpit:1025');
    // gateway keys: the listeners' creates carry the SMTP session facts
    for (const [key, sender] of [
      [mxKey, 'smtp-mx'],
      [msaKey, 'smtp-msa'],
    ]) {
      const registered = await findApiKey(db.db, key!);
      expect(registered.map((r) => [r.sender.name, r.apiKey.gateway])).toEqual([[sender, true]]);
    }

    // A database of an older release, where the MX key was registered as a plain key.
    await db.pool.query(`update api_keys set gateway = false where prefix = 'kk_ComposeMx1'`);
    // Before every rollout: the second run upgrades that key, adds none and still succeeds.
    const second = await koukan(['init'], env);
    expect(second.code).toBe(0);
    expect(second.stdout).toContain('first start: false');
    expect(second.stdout).not.toContain('kk_');
    for (const key of [mxKey, msaKey]) {
      expect((await findApiKey(db.db, key)).map((r) => r.apiKey.gateway)).toEqual([true]);
    }
  });

  it('refuses KOUKAN_INBOUND_URL together with KOUKAN_INBOUND_LMTP', async () => {
    const other = await createTestDatabase({ migrate: false });
    try {
      const r = await koukan(['init'], {
        DATABASE_URL: other.url,
        KOUKAN_INBOUND_URL: 'http://receiver:8080',
        KOUKAN_INBOUND_LMTP: 'mailbox:24',
      });
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('give one of KOUKAN_INBOUND_URL and KOUKAN_INBOUND_LMTP');
    } finally {
      await other.destroy();
    }
  });
});

describe('koukan router | gateway | console', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(() => db?.destroy());

  it('router: serves on its own environment and exits 0 on SIGTERM', async () => {
    const { child, output: out } = spawnTsx([main, 'router'], {
      ...cleanEnv(),
      DATABASE_URL: db.url,
      KOUKAN_ROUTER_PORT: '0',
      KOUKAN_ENGINE: 'false',
      LOG_LEVEL: 'info',
    });
    await expect
      .poll(() => /"address":"(http:\/\/[^"]+)"/.exec(out())?.[1], { timeout: 60_000 })
      .toBeTruthy();
    const address = /"address":"(http:\/\/[^"]+)"/.exec(out())![1]!;
    const ready = await fetch(`${address}/readyz`);
    expect(ready.status).toBe(200);
    child.kill('SIGTERM');
    const [code] = await once(child, 'exit');
    expect(code).toBe(0);
    expect(out()).toContain('router stopped');
  });

  it('router: exits 1 when its database is unreachable', async () => {
    const r = await koukan(['router'], { DATABASE_URL: 'postgres://koukan@127.0.0.1:1/none' });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('router failed to start');
  });

  it('gateway: exits 1 with the offending variable when its environment is invalid', async () => {
    // The CLI's own environment is not checked: only the component's.
    const r = await koukan(['gateway'], { KOUKAN_GATEWAY_PORT: '70000', KOUKAN_SMARTHOST: 'x' });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('invalid gateway environment');
    expect(r.stderr).toContain('KOUKAN_GATEWAY_PORT');
  });

  it('a component missing from the build: says which, and exits 1', async () => {
    // The console while apps/console is not built: here, a checkout without any component.
    const written: string[] = [];
    const write = vi.spyOn(process.stderr, 'write').mockImplementation((s) => {
      written.push(String(s));
      return true;
    });
    try {
      expect(await runComponent('console', `${tmpdir()}/`)).toBe(1);
      expect(await runComponent('router', `${tmpdir()}/`)).toBe(1);
    } finally {
      write.mockRestore();
    }
    expect(written.join('')).toContain(
      'koukan console: apps/console/src/main.ts is not in this build (the console is not built yet)',
    );
    expect(written.join('')).toContain(
      'koukan router: apps/router/src/main.ts is not in this build',
    );
    await expect(runComponent('mailer')).rejects.toThrow('unknown component "mailer"');
  });
});
