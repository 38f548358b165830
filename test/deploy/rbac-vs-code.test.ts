// The ClusterRole in manifests/ versus what the code actually requests. For every scenario fixture, in
// both install modes, the real `serve` code path (command line = the rendered workload's args and env,
// parsed by the CLI's own parser) runs against the project's fake API server enforcing the ClusterRole
// (a request outside it gets 403 as from a real API server). Then `diagnose` runs against it too.
// Every recorded request must be allowed by the role, none may get 403, and every permission in the
// role (each group × resource × verb, each resourceName) must be used by some request: a new read in
// the code without a rule fails here, and so does a rule the code no longer needs.
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { parseCommandLine } from '../../src/cli/args.js';
import { resolveSettings } from '../../src/config/load.js';
import { openConnection } from '../../src/cluster/kubeconfig.js';
import { silentLogger } from '../../src/log.js';
import { runExporter } from '../../src/app/run.js';
import { startSimulatedCluster, type SimulatedCluster } from '../../testkit/demo/cluster.js';
import { startDemoDataPlane } from '../../testkit/dataplane/index.js';
import { listScenarios } from '../../testkit/scenarios.js';
import { authorize, requestName } from '../../testkit/apiserver/rbac.js';
import type { RecordedRequest } from '../../testkit/apiserver/index.js';
import { INSTALLS, ROOT, canaryRoleRules, clusterRoleRules, find, one, render, type Rule } from './helpers.js';
import { AFFINITY_NAME, AFFINITY_SLICE_NAMES, affinitySliceName } from '../../src/canary/objects.js';

const execFileP = promisify(execFile);

/**
 * Paths every authenticated user may GET on a real cluster (the default system:discovery,
 * system:basic-user and system:public-info-viewer ClusterRoles): discovery, version, health.
 */
const DEFAULT_NON_RESOURCE = [
  /^\/api\/?$/,
  /^\/api\/v1\/?$/,
  /^\/apis(\/[^/]+(\/[^/]+)?)?\/?$/,
  /^\/version\/?$/,
  /^\/(healthz|livez|readyz)(\/.*)?$/,
  /^\/openapi(\/.*)?$/,
];

interface Run {
  label: string;
  requests: RecordedRequest[];
}

const MODES = ['deployment', 'daemonset'] as const;
type Mode = (typeof MODES)[number];

const rendered = { deployment: render(INSTALLS.deployment.dir), daemonset: render(INSTALLS.daemonset.dir) };
const rules: Rule[] = clusterRoleRules(rendered.deployment);
/** The canary's namespaced Role (manifests/base/canary-role.yaml): its writes, in the exporter's namespace only. */
const roleRules: Rule[] = canaryRoleRules(rendered.deployment);
const NAMESPACE = 'service-proxy-exporter';
const CANARY = 'service-proxy-exporter-canary';
/**
 * The canary Service as shipped, with a ClusterIP. There is no service proxy here, so the "VIP" is the
 * pod IP on the first canary port: a slice pointing there looks programmed and the writer flips it (a
 * merge patch); one pointing at the other port stays pending and the writer holds.
 */
const canaryService = () => {
  const svc = find(rendered.deployment, 'Service', CANARY)[0] as any;
  return { ...svc, spec: { ...svc.spec, clusterIP: '127.0.0.2', ports: [{ ...svc.spec.ports[0], port: 9810 }] } };
};

/** The session-affinity canary Service as shipped, with a ClusterIP (nothing answers there: its rounds do not judge). */
const affinityService = () => {
  const svc = find(rendered.deployment, 'Service', AFFINITY_NAME)[0] as any;
  return { ...svc, spec: { ...svc.spec, clusterIP: '127.0.0.3' } };
};

/** The workload's container: args and literal env, with $(VAR) expanded as the kubelet does. */
function containerCommandLine(mode: Mode, downward: Record<string, string>): { argv: string[]; env: Record<string, string> } {
  const w = one(rendered[mode], mode === 'deployment' ? 'Deployment' : 'DaemonSet');
  const c = w.spec.template.spec.containers[0];
  const env: Record<string, string> = {};
  for (const e of c.env ?? []) {
    if (typeof e.value === 'string') env[e.name] = e.value;
    else {
      const field = e.valueFrom?.fieldRef?.fieldPath as string | undefined;
      assert.ok(field && downward[field] !== undefined, `env ${e.name}: downward API field ${field} is simulated`);
      env[e.name] = downward[field];
    }
  }
  const argv = (c.args as string[]).map((a) => a.replace(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (m, v: string) => env[v] ?? m));
  return { argv, env };
}

async function waitFor(what: string, ms: number, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + ms;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      if (await check()) return;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.fail(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}

async function softWait(ms: number, check: () => Promise<boolean>): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

/** `serve` as the manifests run it, against a simulated cluster, until ready and one probe round has run. */
async function runServe(cluster: SimulatedCluster, mode: Mode, nodeName: string): Promise<void> {
  const { argv, env } = containerCommandLine(mode, {
    'metadata.namespace': 'service-proxy-exporter',
    'metadata.name': `service-proxy-exporter-${mode}-test`,
    'spec.nodeName': nodeName,
    'status.podIP': '127.0.0.2',
    // dual-stack: the second family's canary slice is written and watched too
    'status.podIPs': '127.0.0.2,::1',
  });
  // test-only additions: where the API is, a loopback port, quick probe rounds, quiet logs
  const args = parseCommandLine([
    ...argv,
    `--kubeconfig=${cluster.kubeconfigPath}`,
    '--listen=127.0.0.1:0',
    '--probe-interval=1s',
    '--probe-timeout=500ms',
    '--log-level=error',
    '--canary-interval=1s',
  ]);
  assert.equal(args.command, 'serve');
  const settings = resolveSettings(args.flags, env);
  const conn = await openConnection(settings.kubeconfig, env);
  const running = await runExporter({ settings, conn, log: silentLogger() });
  try {
    // a source that gets 403 never syncs: stop waiting early, the requests then say why
    await waitFor(`${mode}: /readyz 200`, 20_000, async () => {
      if (cluster.api.requests.some((r) => r.status === 403)) return true;
      return (await fetch(`${running.url}/readyz`)).status === 200;
    });
    assertWithinRole(cluster.api.requests);
    const diag = await fetch(`${running.url}/diagnose`);
    assert.equal(diag.status, 200, '/diagnose');
    await diag.arrayBuffer();
    // let a probe round run (it reads Services and EndpointSlices). Not an assertion: a probe engine that
    // reads nothing shows up below as an unused ClusterRole permission.
    await softWait(3_000, async () => /^service_lb_probes_total\{/m.test(await (await fetch(`${running.url}/metrics`)).text()));
    // and let the canary write: take the Lease, fix or create the slice, flip it once (a merge patch)
    await softWait(6_000, async () => cluster.api.requests.some((r) => r.resource === 'endpointslices' && r.verb === 'patch'));
  } finally {
    await running.stop();
    conn.close();
  }
}

/** `diagnose` through the real command line, against the same simulated cluster. */
async function runDiagnose(cluster: SimulatedCluster): Promise<void> {
  const main = path.join(ROOT, 'src', 'cli', 'main.ts');
  const env = { ...process.env, KUBECONFIG: '', KUBERNETES_SERVICE_HOST: '' };
  try {
    await execFileP(
      process.execPath,
      ['--import', 'tsx', main, 'diagnose', `--kubeconfig=${cluster.kubeconfigPath}`, '--output=json', '--probe-timeout=500ms'],
      { cwd: ROOT, env, timeout: 60_000 },
    );
  } catch (err) {
    const e = err as { code?: number; stderr?: string };
    // 1 means "problems found", a finding about the cluster; 2 means it could not run
    assert.equal(e.code, 1, `diagnose could not run (exit ${e.code}): ${e.stderr ?? ''}`);
  }
}

function isNonResource(r: RecordedRequest): boolean {
  return r.resource === '';
}

function describeRequest(r: RecordedRequest): string {
  const q = [r.labelSelector && `labelSelector=${r.labelSelector}`, r.fieldSelector && `fieldSelector=${r.fieldSelector}`]
    .filter(Boolean)
    .join('&');
  return `${r.verb} ${r.path}${q ? `?${q}` : ''} → ${r.status}`;
}

function attrs(r: RecordedRequest) {
  return {
    verb: r.verb as 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch',
    group: r.group,
    resource: r.resource,
    ...(r.namespace ? { namespace: r.namespace } : {}),
    ...(r.name ? { name: r.name } : {}),
    ...(r.fieldSelector ? { fieldSelector: r.fieldSelector } : {}),
  };
}

/** Every recorded request is allowed by the role (and by a real cluster's defaults for non-resource paths). */
function assertWithinRole(requests: RecordedRequest[]): void {
  assert.ok(requests.length > 0, 'the code talked to the API server');
  const forbidden = requests.filter((r) => r.status === 403);
  assert.deepEqual(forbidden.map(describeRequest), [], 'requests the ClusterRole denied');
  for (const r of requests) {
    if (isNonResource(r)) {
      assert.equal(r.method, 'GET', describeRequest(r));
      assert.ok(
        DEFAULT_NON_RESOURCE.some((re) => re.test(r.path)),
        `${describeRequest(r)}: not a path every user may read`,
      );
    } else {
      const byRole = r.namespace === NAMESPACE && authorize(roleRules as never, attrs(r) as never);
      if (byRole) continue;
      assert.ok(['get', 'list', 'watch'].includes(r.verb), `${describeRequest(r)}: read-only outside the canary Role`);
      assert.ok(authorize(rules as never, attrs(r) as never), `${describeRequest(r)}: outside the ClusterRole and the canary Role`);
    }
  }
}

/** Permissions of the role (group × resource × verb, and each resourceName) no request used. */
function unusedPermissions(requests: RecordedRequest[], rules: Rule[]): string[] {
  const all = requests.filter((r) => !isNonResource(r) && r.status !== 403);
  const unused: string[] = [];
  for (const rule of rules) {
    for (const group of rule.apiGroups) {
      for (const resource of rule.resources) {
        for (const verb of rule.verbs) {
          const matching = all.filter((r) => r.group === group && r.resource === resource && r.verb === verb);
          if (!rule.resourceNames?.length) {
            if (matching.length === 0) unused.push(`${verb} ${group || 'core'}/${resource}`);
            continue;
          }
          for (const name of rule.resourceNames) {
            if (!matching.some((r) => requestName(attrs(r) as never) === name))
              unused.push(`${verb} ${group || 'core'}/${resource} "${name}"`);
          }
        }
      }
    }
  }
  return unused;
}

describe('RBAC versus code: the exporter needs exactly the ClusterRole', () => {
  const runs: Run[] = [];
  const scenarios = listScenarios();
  const expectedRuns = scenarios.length * (MODES.length + 1);

  before(() => {
    assert.ok(scenarios.length > 0, 'scenario fixtures exist');
  });

  /** A fresh simulated cluster enforcing the ClusterRole; its requests are recorded as a run. */
  async function withCluster(label: string, fn: (cluster: SimulatedCluster) => Promise<void>): Promise<void> {
    const scenario = label.split('/')[0]!;
    const cluster = await startSimulatedCluster(scenario);
    // the scenario's ClusterIPs lead nowhere here: the probed Services go to a loopback data plane
    const dataPlane = await startDemoDataPlane(cluster.api);
    try {
      cluster.api.setRbac(rules as never, [{ namespace: NAMESPACE, rules: roleRules as never }]);
      // the canary Service as the manifests ship it; daemonset runs also find a slice a previous writer left
      cluster.api.store.apply(canaryService() as never);
      cluster.api.store.apply(affinityService() as never);
      if (label.endsWith('serve-daemonset')) {
        // a previous writer's affinity slice: rewritten whole (update)
        cluster.api.store.apply({
          apiVersion: 'discovery.k8s.io/v1',
          kind: 'EndpointSlice',
          metadata: {
            name: affinitySliceName('ipv4', 0),
            namespace: NAMESPACE,
            labels: { 'kubernetes.io/service-name': AFFINITY_NAME, 'endpointslice.kubernetes.io/managed-by': 'service-proxy-exporter.io' },
          },
          addressType: 'IPv4',
          endpoints: [{ addresses: ['10.9.9.9'], conditions: { ready: true } }],
          ports: [{ name: 'canary', port: 9810, protocol: 'TCP' }],
        } as never);
        cluster.api.store.apply({
          apiVersion: 'discovery.k8s.io/v1',
          kind: 'EndpointSlice',
          metadata: {
            name: CANARY,
            namespace: NAMESPACE,
            labels: { 'kubernetes.io/service-name': CANARY, 'endpointslice.kubernetes.io/managed-by': 'service-proxy-exporter.io' },
          },
          addressType: 'IPv4',
          endpoints: [{ addresses: ['10.9.9.9'], conditions: { ready: true } }],
          ports: [{ name: 'canary', port: 9810, protocol: 'TCP' }],
        } as never);
      }
      try {
        await fn(cluster);
      } finally {
        // what was requested counts for the usage check even when the run failed
        runs.push({ label, requests: [...cluster.api.requests] });
      }
      assertWithinRole(cluster.api.requests);
    } finally {
      await dataPlane.close();
      await cluster.close();
    }
  }

  for (const scenario of scenarios) {
    for (const mode of MODES) {
      it(`${scenario}: serve in ${mode} mode gets no 403, every request within the role`, async () => {
        await withCluster(`${scenario}/serve-${mode}`, async (cluster) => {
          const node = cluster.scenario.objects.find((o: Record<string, any>) => o.kind === 'Node')?.metadata?.name as string | undefined;
          assert.ok(node || mode === 'deployment', 'daemonset mode needs a Node in the scenario');
          await runServe(cluster, mode, node ?? '');
        });
      });
    }
    it(`${scenario}: diagnose gets no 403, every request within the role`, async () => {
      await withCluster(`${scenario}/diagnose`, runDiagnose);
    });
  }

  it('every permission in the ClusterRole is used by some request', () => {
    const unused = unusedPermissions(
      runs.flatMap((r) => r.requests),
      rules,
    );
    const incomplete = runs.length === expectedRuns ? '' : ` (only ${runs.length} of ${expectedRuns} runs started: see the failures above)`;
    assert.deepEqual(
      unused,
      [],
      `ClusterRole permissions no request used${incomplete}: remove them from manifests/base/clusterrole.yaml or find the code that lost them`,
    );
  });

  it('every permission in the canary Role is used by some request', () => {
    // Not exercised here, by the same code path as the primary slice's: the second slice of an IPv6-primary
    // pod (named after IPv4, its second family), and the whole-object rewrite (update) of the IPv6 slice,
    // which a takeover by another pod's IPv6 does (every run here is ::1, so its slice is patched); and the rewrite of
    // the affinity slices other than the IPv4 first one, which a daemonset run finds left by a previous writer.
    const affinityRewrites = AFFINITY_SLICE_NAMES.filter((n) => n !== affinitySliceName('ipv4', 0)).map(
      (n) => `update discovery.k8s.io/endpointslices "${n}"`,
    );
    const unused = unusedPermissions(
      runs.flatMap((r) => r.requests.filter((q) => q.namespace === NAMESPACE)),
      roleRules,
    ).filter(
      (u) =>
        !u.endsWith('"service-proxy-exporter-canary-ipv4"') &&
        u !== 'update discovery.k8s.io/endpointslices "service-proxy-exporter-canary-ipv6"' &&
        !affinityRewrites.includes(u),
    );
    assert.deepEqual(
      unused,
      [],
      'canary Role permissions no request used: remove them from manifests/base/canary-role.yaml or find the code that lost them',
    );
  });
});
