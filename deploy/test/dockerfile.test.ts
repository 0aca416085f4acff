import { readdirSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from './helpers.ts';

/**
 * The Dockerfile, read as a file (no Docker engine runs where the tests run): what it promises
 * — multi-stage, production dependencies only, non-root, a health check, no secret baked in —
 * and what the image relies on: every path it copies exists, every package the runtime code
 * imports is a production dependency of its workspace (so `npm ci --omit=dev` is enough).
 */
interface Instruction {
  op: string;
  args: string;
}
interface Stage {
  from: string;
  name?: string;
  body: Instruction[];
}

function parseDockerfile(text: string): Stage[] {
  const lines = text
    .replace(/\\\r?\n/g, ' ')
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  const stages: Stage[] = [];
  for (const line of lines) {
    const [op, ...rest] = line.split(/\s+/);
    const args = rest.join(' ');
    if (op!.toUpperCase() === 'FROM') {
      const m = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args);
      stages.push({ from: m![1]!, name: m![2], body: [] });
    } else if (stages.length) stages.at(-1)!.body.push({ op: op!.toUpperCase(), args });
  }
  return stages;
}

const dockerfile = readFileSync(join(repoRoot, 'Dockerfile'), 'utf8');
const stages = parseDockerfile(dockerfile);
const runtime = stages.at(-1)!;
const ops = (stage: Stage, op: string) => stage.body.filter((i) => i.op === op);

describe('Dockerfile', () => {
  it('is multi-stage, and the image is the last stage, built from a pinned Node.js major', () => {
    expect(stages.length).toBeGreaterThanOrEqual(3);
    expect(new Set(stages.map((s) => s.name)).size).toBe(stages.length);
    const arg = /ARG NODE_IMAGE=(\S+)/.exec(dockerfile)?.[1];
    expect(arg).toMatch(/^node:20[.-]/); // the Node.js the project runs and tests on
    for (const s of stages) expect(s.from).toBe(['$', '{NODE_IMAGE}'].join(''));
  });

  it('runs as a non-root numeric user (Kubernetes runAsNonRoot can verify it)', () => {
    const users = ops(runtime, 'USER');
    expect(users).toHaveLength(1);
    const [uid, gid] = users[0]!.args.split(':').map(Number);
    expect(uid).toBeGreaterThan(0);
    expect(gid).toBeGreaterThan(0);
    // nothing runs after USER as root again
    const afterUser = runtime.body.slice(runtime.body.indexOf(users[0]!));
    expect(afterUser.filter((i) => i.op === 'RUN')).toEqual([]);
  });

  it('has a health check whose script exists and starts without tsx', () => {
    const [check] = ops(runtime, 'HEALTHCHECK');
    expect(check?.args).toMatch(
      /--interval=\S+ .*CMD \["node", "apps\/cli\/bin\/healthcheck.js"\]/,
    );
    const script = readFileSync(join(repoRoot, 'apps/cli/bin/healthcheck.js'), 'utf8');
    expect(script).not.toMatch(/from '[^.]|require\(/); // no dependency to load
  });

  it('installs production dependencies only, with the lock, in the stage the image copies', () => {
    const copies = ops(runtime, 'COPY').filter((c) => c.args.startsWith('--from='));
    const sources = copies.map((c) => /--from=(\S+)/.exec(c.args)![1]);
    const modules = stages.find((s) => s.name === sources[0])!;
    expect(ops(modules, 'RUN').map((r) => r.args)).toContainEqual(
      expect.stringMatching(/^npm ci --omit=dev\b/),
    );
    // the full install (dev dependencies) only feeds the build output, never node_modules
    const build = stages.find((s) => ops(s, 'RUN').some((r) => /^npm ci --no-audit/.test(r.args)));
    expect(build?.name).toBe('build');
    const fromBuild = copies.filter((c) => c.args.includes('--from=build'));
    expect(fromBuild.map((c) => c.args)).toEqual(['--from=build /out/ ./']);
  });

  it('bakes in no secret: no credential variable, no secret file in the build context', () => {
    const env = [...ops(runtime, 'ENV'), ...stages.flatMap((s) => ops(s, 'ARG'))];
    for (const i of env) {
      expect(i.args).not.toMatch(/TOKEN|SECRET|PASSWORD|API_KEY|DATABASE_URL|PRIVATE/i);
    }
    const ignore = readFileSync(join(repoRoot, '.dockerignore'), 'utf8').split('\n');
    for (const pattern of ['**/node_modules', '.git', '**/.env', '**/.env.*', '**/*.pem']) {
      expect(ignore).toContain(pattern);
    }
    expect(ignore).toContain('compose.env');
    // …and nothing the image needs is ignored
    for (const needed of ['apps', 'packages', 'examples', 'package-lock.json', 'package.json']) {
      expect(ignore).not.toContain(needed);
    }
  });

  it('copies only paths that exist, and its entry point is the koukan command', () => {
    for (const c of ops(runtime, 'COPY').filter((i) => !i.args.startsWith('--from='))) {
      const paths = c.args.split(/\s+/).slice(0, -1);
      for (const p of paths) expect(statSync(join(repoRoot, p)), p).toBeTruthy();
    }
    const [entry] = ops(runtime, 'ENTRYPOINT');
    expect(JSON.parse(entry!.args)).toEqual(['node', '--import', 'tsx', 'apps/cli/src/main.ts']);
    const cli = JSON.parse(readFileSync(join(repoRoot, 'apps/cli/package.json'), 'utf8'));
    expect(Object.keys(cli.dependencies)).toContain('tsx');
    // the SMTP listeners need no capability: every exposed port is unprivileged
    for (const port of ops(runtime, 'EXPOSE')[0]!.args.split(/\s+/)) {
      expect(Number(port)).toBeGreaterThan(1024);
    }
  });
});

/** Runtime sources of a workspace: no tests, test helpers, benchmarks. */
function runtimeSources(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (!['testing', 'bench', 'node_modules', '__tests__'].includes(entry.name)) {
        out.push(...runtimeSources(path));
      }
    } else if (/\.(ts|tsx|js|mjs)$/.test(entry.name) && !/(\.test\.|test-helpers)/.test(path)) {
      out.push(path);
    }
  }
  return out;
}

function runtimeImports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specs = new Set<string>();
  const patterns = [
    /^\s*import\s+(?!type\s)(?:[^'";]*?\s+from\s+)?['"]([^'"]+)['"]/gm,
    /^\s*export\s+(?!type\s)[^'";]*?\s+from\s+['"]([^'"]+)['"]/gm,
    /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g,
  ];
  for (const re of patterns) for (const m of text.matchAll(re)) specs.add(m[1]!);
  return [...specs]
    .filter((s) => !s.startsWith('.') && !s.startsWith('node:') && !builtinModules.includes(s))
    .map((s) => (s.startsWith('@') ? s.split('/').slice(0, 2).join('/') : s.split('/')[0]!));
}

describe('the image runs on production dependencies', () => {
  const workspaces = [
    'apps/cli',
    'apps/router',
    'apps/gateway',
    'packages/db',
    'packages/chain',
    'packages/services',
    'examples/receiver',
  ];
  for (const ws of workspaces) {
    it(`${ws}: every package its runtime code imports is in its dependencies`, () => {
      const manifest = JSON.parse(readFileSync(join(repoRoot, ws, 'package.json'), 'utf8'));
      const deps = new Set(Object.keys(manifest.dependencies ?? {}));
      const missing = runtimeSources(join(repoRoot, ws, 'src')).flatMap((f) =>
        runtimeImports(f)
          .filter((p) => !deps.has(p) && p !== manifest.name)
          .map((p) => `${f.slice(repoRoot.length)}: ${p}`),
      );
      expect(missing).toEqual([]);
    });
  }
});
