// Daemonset mode as a user installs it — `kubectl apply -k manifests/overlays/daemonset`, unchanged — on the real
// cluster (testkit/cluster, 2 nodes, kube-proxy in iptables mode): one replica per node, each reporting its own node,
// and the API load each replica puts on the real API server, counted from the server's audit log (every request of
// the exporter's ServiceAccount, the bound token naming the pod in `user.extra`), compared with the deployment's.
// Needs root, ip, iptables and the built components; mandatory under CI=true.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { down, missingPrerequisite, up, type Cluster } from '../../testkit/cluster/index.js';
import { REPO_ROOT, nodePlan } from '../../testkit/cluster/config.js';
import { apply, kubectl, kubectlJson, waitFor, pidOf, netexecContainer } from '../../testkit/cluster/testing.js';
import { valueOf } from './alerts.js';
import { exporterLog, scrape, until, verdict } from './exporter-scrape.js';
import { e2eSkip } from './skip.js';

process.env.SPE_CLUSTER_DIR ??= `${REPO_ROOT}/.cache/cluster-test`;

const skip = e2eSkip(missingPrerequisite({ proxyMode: 'iptables' }));

const NS = 'service-proxy-exporter';
const ECHO_NS = 'echo';
const SELECTOR = 'app.kubernetes.io/component=exporter';
/** How long after a replica's first request its API load is counted: start-up, then steady state. */
const START_WINDOW_MS = 20_000;
const STEADY_WINDOW_MS = 40_000;

/**
 * One echo endpoint, on node-1 only, behind a NodePort Service with externalTrafficPolicy Local: its node port answers
 * only on node-1, so only node-1's replica may probe it (README "Traffic policies").
 */
function echoObjects(): object[] {
  const labels = { app: 'echo' };
  return [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ECHO_NS } },
    {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'echo', namespace: ECHO_NS, labels },
      spec: {
        nodeName: nodePlan(0).name,
        containers: [netexecContainer(['netexec', '--http-port=8080'])],
      },
    },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: {
        name: 'echo',
        namespace: ECHO_NS,
        // Daemonset replicas see only labelled Services (docs/deploy.md "Opting Services in").
        labels: { 'service-proxy-exporter.io/probe': 'true' },
        annotations: { 'service-proxy-exporter.io/probe': 'true', 'service-proxy-exporter.io/path': '/hostname' },
      },
      spec: {
        type: 'NodePort',
        externalTrafficPolicy: 'Local',
        selector: labels,
        ports: [{ name: 'http', port: 80, targetPort: 8080 }],
      },
    },
  ];
}

interface Replica {
  name: string;
  ip: string;
  node: string;
}

function replicas(c: Cluster): Replica[] {
  return kubectlJson(c, ['-n', NS, 'get', 'pods', '-l', SELECTOR])
    .items.filter((p: any) => !p.metadata.deletionTimestamp && p.status.podIP)
    .map((p: any) => ({ name: p.metadata.name, ip: p.status.podIP, node: p.spec.nodeName }))
    .sort((a: Replica, b: Replica) => a.node.localeCompare(b.node));
}

interface AuditRequest {
  at: number;
  verb: string;
  resource: string;
  uri: string;
  pod: string;
  node: string;
}

/** Every request of the exporter's ServiceAccount, once each (a watch has a ResponseStarted and a ResponseComplete). */
function auditRequests(c: Cluster): AuditRequest[] {
  const f = join(c.dir, 'logs', 'audit.log');
  if (!existsSync(f)) return [];
  const seen = new Set<string>();
  const out: AuditRequest[] = [];
  for (const line of readFileSync(f, 'utf8').split('\n')) {
    if (!line) continue;
    const e = JSON.parse(line) as {
      auditID: string;
      verb: string;
      requestURI: string;
      requestReceivedTimestamp: string;
      objectRef?: { resource?: string; subresource?: string };
      user: { username: string; extra?: Record<string, string[]> };
    };
    if (e.user.username !== `system:serviceaccount:${NS}:service-proxy-exporter` || seen.has(e.auditID)) continue;
    seen.add(e.auditID);
    out.push({
      at: Date.parse(e.requestReceivedTimestamp),
      verb: e.verb,
      resource: [e.objectRef?.resource, e.objectRef?.subresource].filter(Boolean).join('/') || e.requestURI,
      uri: decodeURIComponent(e.requestURI),
      pod: e.user.extra?.['authentication.kubernetes.io/pod-name']?.[0] ?? '',
      node: e.user.extra?.['authentication.kubernetes.io/node-name']?.[0] ?? '',
    });
  }
  return out;
}

interface Load {
  start: number;
  steady: number;
  byVerb: Record<string, number>;
  /** "verb resource": count, over both windows */
  table: Record<string, number>;
  requests: AuditRequest[];
}

/** A pod's requests in its first START_WINDOW_MS and the STEADY_WINDOW_MS after. */
function loadOf(all: AuditRequest[], pod: string): Load {
  const mine = all.filter((r) => r.pod === pod).sort((a, b) => a.at - b.at);
  assert.ok(mine.length > 0, `no audited request names pod ${pod}`);
  const t0 = mine[0]!.at;
  const requests = mine.filter((r) => r.at - t0 < START_WINDOW_MS + STEADY_WINDOW_MS);
  const load: Load = { start: 0, steady: 0, byVerb: {}, table: {}, requests };
  for (const r of requests) {
    if (r.at - t0 < START_WINDOW_MS) load.start++;
    else load.steady++;
    load.byVerb[r.verb] = (load.byVerb[r.verb] ?? 0) + 1;
    load.table[`${r.verb} ${r.resource}`] = (load.table[`${r.verb} ${r.resource}`] ?? 0) + 1;
  }
  return load;
}

function report(label: string, l: Load): void {
  const rows = Object.entries(l.table)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
  process.stdout.write(
    `# ${label}: ${l.start} requests in the first ${START_WINDOW_MS / 1000} s, ${l.steady} in the next ${STEADY_WINDOW_MS / 1000} s; ${rows}\n`,
  );
}

/** Wait until the audit log holds a full window after `pod`'s first request. */
async function windowDone(c: Cluster, pod: string): Promise<void> {
  await waitFor(`${pod}'s API-load window`, START_WINDOW_MS + STEADY_WINDOW_MS + 120_000, () => {
    const mine = auditRequests(c).filter((r) => r.pod === pod);
    return mine.length > 0 && Date.now() - Math.min(...mine.map((r) => r.at)) > START_WINDOW_MS + STEADY_WINDOW_MS + 1000;
  });
}

describe('daemonset mode deployed unchanged on the real cluster (2 nodes, kube-proxy iptables)', { skip, timeout: 15 * 60_000 }, () => {
  let c: Cluster;
  let reps: Replica[];

  before(async () => {
    c = await up({ nodes: 2, proxyMode: 'iptables', dualStack: false }, () => undefined);
    apply(c, echoObjects());
    kubectl(c, ['apply', '-k', join(REPO_ROOT, 'manifests', 'overlays', 'daemonset')]);
    await waitFor('a Ready replica on each node', 180_000, () => {
      const ds = kubectlJson(c, ['-n', NS, 'get', 'daemonset', 'service-proxy-exporter']).status;
      return ds.desiredNumberScheduled === 2 && ds.numberReady === 2;
    });
    reps = replicas(c);
  });

  after(async () => {
    if (!skip) await down(() => undefined);
  });

  it('runs one replica per node, each on its own node, kube-proxy detected and load-balancing working', async () => {
    assert.deepEqual(
      reps.map((r) => r.node),
      [nodePlan(0).name, nodePlan(1).name],
    );
    for (const r of reps) {
      const s = await until(r.ip, `${r.name} every verdict ok`, 120_000, (s) => {
        for (const probe of ['apiserver', 'dns_udp', 'dns_tcp', 'me_service', 'echo/echo'])
          if (verdict(s, probe, 'ok') !== 1) return `${probe} not ok`;
        return valueOf(s, 'proxy_provider_agent_health', { state: 'healthy' }) === undefined ? 'no agent health yet' : undefined;
      });
      assert.equal(valueOf(s, 'proxy_provider', { type: 'kube-proxy' }), 1, r.node);
      assert.equal(valueOf(s, 'proxy_provider_info', { type: 'kube-proxy', mode: 'iptables', version: 'v1.37.2', flavor: 'kubeadm' }), 1);
      assert.equal(valueOf(s, 'service_lb_functional'), 1, r.node);
      // Its own node's agent only: one, not the cluster's two.
      assert.equal(valueOf(s, 'proxy_provider_agents', { state: 'ready' }), 1, `${r.node}: agents counted`);
      assert.equal(valueOf(s, 'proxy_provider_agent_health', { state: 'healthy' }), 1, `${r.node}: agent health`);
      const started = exporterLog(c, r.name)
        .split('\n')
        .flatMap((l) => {
          try {
            return [JSON.parse(l) as { message?: string; node?: string; mode?: string }];
          } catch {
            return []; // Node's own warnings on stderr
          }
        })
        .find((l) => l.message === 'exporter starting');
      assert.equal(started?.mode, 'daemonset');
      assert.equal(started?.node, r.node, 'the replica runs for the node it is scheduled on');
    }
  });

  it("probes node ports from its own node: only the replica on the echo pod's node probes the Local node port", async () => {
    const [one, two] = reps as [Replica, Replica];
    const s1 = await until(one.ip, 'node-1 probes the node port', 60_000, (s) =>
      valueOf(s, 'service_lb_probe_success', { probe: 'echo/echo', path: 'nodeport' }) === 1 ? undefined : 'no nodeport success',
    );
    assert.equal(valueOf(s1, 'service_lb_probe_success', { probe: 'echo/echo', path: 'vip' }), 1);
    const s2 = await scrape(two.ip);
    assert.equal(valueOf(s2, 'service_lb_probe_success', { probe: 'echo/echo', path: 'vip' }), 1, 'the VIP works from node-2 too');
    assert.equal(
      valueOf(s2, 'service_lb_probe_success', { probe: 'echo/echo', path: 'nodeport' }),
      undefined,
      'node-2 has no local endpoint: its node port drops on purpose, so it is not probed',
    );
  });

  it("each replica's agent health is its own node's kube-proxy: node-2's frozen shows on node-2's replica only", async () => {
    const [one, two] = reps as [Replica, Replica];
    const pid = pidOf(nodePlan(1).netns, 'kube-proxy');
    process.kill(pid, 'SIGSTOP');
    try {
      await until(two.ip, "node-2's replica sees its kube-proxy go", 90_000, (s) =>
        (valueOf(s, 'proxy_provider_agent_health', { state: 'unreachable' }) ?? 0) +
          (valueOf(s, 'proxy_provider_agent_health', { state: 'unhealthy' }) ?? 0) ===
        1
          ? undefined
          : 'still healthy',
      );
      const s1 = await scrape(one.ip);
      assert.equal(valueOf(s1, 'proxy_provider_agent_health', { state: 'healthy' }), 1, "node-1's replica: its own agent is fine");
      assert.equal(valueOf(s1, 'proxy_provider_agent_health', { state: 'unreachable' }) ?? 0, 0);
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    await until(two.ip, 'healthy again', 90_000, (s) =>
      valueOf(s, 'proxy_provider_agent_health', { state: 'healthy' }) === 1 ? undefined : 'not yet',
    );
  });

  it('per-replica API load at the real API server: own node only, by selector; the deployment for comparison', async () => {
    for (const r of reps) await windowDone(c, r.name);
    const all = auditRequests(c);
    for (const r of reps) {
      const l = loadOf(all, r.name);
      report(`daemonset replica on ${r.node}`, l);
      assert.ok(
        l.requests.every((q) => q.node === r.node),
        'the bound token names the node',
      );
      // Nodes and agent pods only through its own node's field selector: nothing that grows with the cluster.
      for (const q of l.requests.filter(
        (q) => (q.verb === 'list' || q.verb === 'watch') && (q.resource === 'nodes' || q.resource === 'pods'),
      )) {
        const own = q.resource === 'nodes' ? `metadata.name=${r.node}` : `spec.nodeName=${r.node}`;
        assert.ok(q.uri.includes(own), `${r.node}: ${q.verb} ${q.uri} is not limited to its node`);
      }
      for (const q of l.requests.filter((q) => (q.verb === 'list' || q.verb === 'watch') && q.resource === 'services')) {
        assert.match(q.uri, /fieldSelector=[^&]*metadata\.name=|labelSelector=service-proxy-exporter\.io\/probe/, `${r.node}: ${q.uri}`);
      }
    }

    // The deployment's single replica, counted the same way.
    kubectl(c, ['-n', NS, 'delete', 'daemonset', 'service-proxy-exporter', '--wait=true']);
    kubectl(c, ['apply', '-k', join(REPO_ROOT, 'manifests')]);
    await waitFor(
      'the deployment Ready',
      180_000,
      () => kubectlJson(c, ['-n', NS, 'get', 'deployment', 'service-proxy-exporter']).status.readyReplicas === 1,
    );
    const [dep] = replicas(c);
    assert.ok(dep);
    await windowDone(c, dep.name);
    const d = loadOf(auditRequests(c), dep.name);
    report('deployment replica', d);
    assert.ok(
      d.requests.some((q) => q.verb === 'list' && q.resource === 'nodes' && !q.uri.includes('fieldSelector')),
      'the deployment lists every node (the contrast the daemonset avoids)',
    );
  });
});
