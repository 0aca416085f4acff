import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { hasProgram, repoRoot, SECRET_NAME, unknownVariables } from './helpers.ts';

/**
 * The Kubernetes manifests in deploy/ (a kustomize base), checked as the cluster would get
 * them: `kubectl kustomize deploy` builds them (kubectl's client-side `apply --dry-run=client`
 * needs an API server even so, so it cannot run here), then every object is read.
 */
// biome-ignore lint/suspicious/noExplicitAny: manifests are untyped YAML
type Obj = any;

const deployDir = join(repoRoot, 'deploy');
const kubectl = hasProgram('kubectl');

function build(): Obj[] {
  if (kubectl) {
    const out = execFileSync('kubectl', ['kustomize', deployDir], { encoding: 'utf8' });
    return parseAllDocuments(out).map((d) => d.toJS());
  }
  if (process.env.KOUKAN_REQUIRE_KUBECTL) throw new Error('kubectl is missing on this machine');
  console.warn(
    '\n*** kubectl missing: deploy/ read file by file, `kubectl kustomize` NOT run ***\n',
  );
  const k = parse(readFileSync(join(deployDir, 'kustomization.yaml'), 'utf8'));
  return (k.resources as string[]).flatMap((f) =>
    parseAllDocuments(readFileSync(join(deployDir, f), 'utf8')).map((d) => d.toJS()),
  );
}

const objects = build();
const byKind = (kind: string) => objects.filter((o) => o.kind === kind);
const named = (kind: string, name: string) =>
  objects.find((o) => o.kind === kind && o.metadata.name === name);
const workloads = [...byKind('Deployment'), ...byKind('Job')];
const podSpec = (w: Obj) => w.spec.template.spec;
/** The component a container runs: `koukan <args[0]>`; init runs the CLI. */
const component = (c: Obj) => (c.args[0] === 'init' ? 'cli' : c.args[0]);

describe('deploy/ (Kubernetes)', () => {
  it('has the router, gateway and console Deployments, the init Job, Services and PDBs', () => {
    expect(
      byKind('Deployment')
        .map((d) => d.metadata.name)
        .sort(),
    ).toEqual(['koukan-console', 'koukan-gateway', 'koukan-router']);
    expect(byKind('Job').map((j) => podSpec(j).containers[0].args)).toEqual([['init']]);
    expect(named('Deployment', 'koukan-router').spec.replicas).toBeGreaterThanOrEqual(2);
    expect(byKind('PodDisruptionBudget')).toHaveLength(2);
    for (const pdb of byKind('PodDisruptionBudget')) {
      const target = byKind('Deployment').find(
        (d) =>
          JSON.stringify(d.spec.selector.matchLabels) ===
          JSON.stringify(pdb.spec.selector.matchLabels),
      );
      expect(target, pdb.metadata.name).toBeTruthy();
      expect(pdb.spec.minAvailable).toBeLessThan(target.spec.replicas);
    }
    if (kubectl) {
      for (const o of objects.filter((x) => x.kind !== 'Namespace')) {
        expect(o.metadata.namespace, o.metadata.name).toBe('koukan');
      }
    }
  });

  it('every container: requests and limits, non-root, read-only root, no capability, no escalation', () => {
    expect(workloads.length).toBe(4);
    for (const w of workloads) {
      const pod = podSpec(w);
      expect(pod.securityContext.runAsNonRoot, w.metadata.name).toBe(true);
      expect(pod.securityContext.runAsUser).toBeGreaterThan(0);
      expect(pod.securityContext.seccompProfile.type).toBe('RuntimeDefault');
      expect(pod.automountServiceAccountToken).toBe(false);
      for (const c of [...(pod.initContainers ?? []), ...pod.containers]) {
        const at = `${w.metadata.name}/${c.name}`;
        expect(c.resources.requests.cpu, at).toBeTruthy();
        expect(c.resources.requests.memory, at).toBeTruthy();
        expect(c.resources.limits.memory, at).toBeTruthy();
        expect(c.securityContext.allowPrivilegeEscalation, at).toBe(false);
        expect(c.securityContext.readOnlyRootFilesystem, at).toBe(true);
        expect(c.securityContext.capabilities.drop, at).toEqual(['ALL']);
        expect(c.securityContext.privileged ?? false, at).toBe(false);
        // a read-only root needs a writable /tmp (tsx's cache)
        expect(
          c.volumeMounts.map((m: Obj) => m.mountPath),
          at,
        ).toContain('/tmp');
        // no port below 1024: nothing needs NET_BIND_SERVICE
        for (const p of c.ports ?? []) expect(p.containerPort, at).toBeGreaterThan(1024);
      }
    }
  });

  it('router and gateway: readiness on /readyz, liveness on /healthz, on a port they serve', () => {
    for (const name of ['koukan-router', 'koukan-gateway']) {
      const [c] = podSpec(named('Deployment', name)).containers;
      const ports = new Set(c.ports.map((p: Obj) => p.name));
      expect(c.readinessProbe.httpGet.path, name).toBe('/readyz');
      expect(c.livenessProbe.httpGet.path, name).toBe('/healthz');
      expect(ports.has(c.readinessProbe.httpGet.port), name).toBe(true);
      expect(ports.has(c.livenessProbe.httpGet.port), name).toBe(true);
    }
    const [console_] = podSpec(named('Deployment', 'koukan-console')).containers;
    expect(console_.readinessProbe).toBeTruthy();
    expect(console_.livenessProbe).toBeTruthy();
  });

  it('gives each component longer to stop than its own grace, after the preStop pause', () => {
    const gatewayConfig = named('ConfigMap', 'koukan-gateway').data;
    const grace = {
      // apps/gateway/src/env.ts KOUKAN_SHUTDOWN_GRACE_MS, as configured
      'koukan-gateway': Number(gatewayConfig.KOUKAN_SHUTDOWN_GRACE_MS) / 1000 + 2,
      // apps/router/src/engine/engine.ts stop(): deadlineMs 10 s after the HTTP server closed
      'koukan-router': 10,
    };
    const engine = readFileSync(join(repoRoot, 'apps/router/src/engine/engine.ts'), 'utf8');
    expect(engine).toContain('stopOptions.deadlineMs ?? 10_000');
    for (const [name, own] of Object.entries(grace)) {
      const pod = podSpec(named('Deployment', name));
      const preStop = Number(pod.containers[0].lifecycle.preStop.exec.command[1]);
      expect(pod.terminationGracePeriodSeconds, name).toBeGreaterThan(preStop + own + 5);
    }
  });

  it('Services: SMTP 25/587/465 on the gateway; router, console and outbound API internal', () => {
    const smtp = named('Service', 'koukan-gateway');
    expect(smtp.spec.type).toBe('LoadBalancer');
    expect(smtp.spec.ports.map((p: Obj) => p.port).sort()).toEqual([25, 465, 587]);
    const gatewayPorts = podSpec(named('Deployment', 'koukan-gateway')).containers[0].ports;
    for (const p of smtp.spec.ports) {
      expect(gatewayPorts.map((x: Obj) => x.name)).toContain(p.targetPort);
      expect(p.targetPort).not.toBe('api');
    }
    for (const s of byKind('Service').filter((x) => x !== smtp)) {
      expect(s.spec.type, s.metadata.name).toBe('ClusterIP');
    }
    expect(named('Service', 'koukan-gateway-api').spec.ports[0].targetPort).toBe('api');
  });

  it('configuration from ConfigMaps, secrets from the Secret template (placeholders only)', () => {
    const secret = named('Secret', 'koukan');
    const values = { ...(secret.stringData ?? {}) };
    for (const [k, v] of Object.entries(values)) expect(v, k).toMatch(/^CHANGE-ME/);
    for (const cm of byKind('ConfigMap')) {
      for (const k of Object.keys(cm.data)) expect(k, cm.metadata.name).not.toMatch(SECRET_NAME);
    }
    for (const w of workloads) {
      for (const c of podSpec(w).containers) {
        for (const e of c.env ?? []) {
          // a credential is never a literal value in a manifest
          if (SECRET_NAME.test(e.name)) expect(e.valueFrom?.secretKeyRef, e.name).toBeTruthy();
          const ref = e.valueFrom?.secretKeyRef;
          if (ref) {
            expect(ref.name).toBe('koukan');
            expect(Object.keys(values), `${w.metadata.name} ${e.name}`).toContain(ref.key);
          }
        }
        for (const from of c.envFrom ?? []) {
          expect(named('ConfigMap', from.configMapRef.name), from.configMapRef.name).toBeTruthy();
        }
      }
    }
  });

  it('DATABASE_URL is env[0] where the database is used (deploy/README.md patches it for CloudNativePG), and only there', () => {
    for (const w of workloads) {
      const [c] = podSpec(w).containers;
      const uses = c.env.some((e: Obj) => e.name === 'DATABASE_URL');
      expect(uses, w.metadata.name).toBe(w.metadata.name !== 'koukan-gateway');
      if (uses) expect(c.env[0].name, w.metadata.name).toBe('DATABASE_URL');
    }
  });

  it('every variable a container gets is one its component reads (its env.ts)', () => {
    for (const w of workloads) {
      for (const c of podSpec(w).containers) {
        const names = [
          ...(c.env ?? []).map((e: Obj) => e.name),
          ...(c.envFrom ?? []).flatMap((f: Obj) =>
            Object.keys(named('ConfigMap', f.configMapRef.name).data),
          ),
        ];
        const unknown = unknownVariables(component(c), names);
        if (unknown === undefined) {
          console.warn(`deploy/: ${component(c)} is not in this checkout; variables unchecked`);
          continue;
        }
        expect(unknown, `${w.metadata.name}/${c.name}`).toEqual([]);
      }
    }
  });
});
