// The real cluster (testkit/cluster), brought up from nothing in each proxy mode and checked as a user would: Nodes
// Ready, the kube-proxy DaemonSet on every node, a Service of agnhost netexec answering through its VIP from a pod on
// the other node, DNS through the kube-dns VIP, kube-proxy's own /livez and /metrics, the API server's services proxy
// reaching a pod, and `down` leaving nothing. Needs root, ip, iptables/nft and the built components; skipped with a
// message otherwise, mandatory under CI=true.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { after, describe, it } from 'node:test';
import { down, missingPrerequisite, up, type Cluster, type ProxyMode } from '../../testkit/cluster/index.js';
import { BRIDGE, NAME_PREFIX, NET, REPO_ROOT, nodePlan } from '../../testkit/cluster/config.js';
import { apply, httpGetIn, kubectl, kubectlJson, nodeIn, podNetns, waitFor, netexecContainer } from '../../testkit/cluster/testing.js';
import { e2eSkip } from './skip.js';

// A cluster of the test run's own, apart from one a developer may have up (`npm run cluster -- up`).
process.env.SPE_CLUSTER_DIR ??= `${REPO_ROOT}/.cache/cluster-test`;

const skip = e2eSkip(missingPrerequisite({ proxyMode: 'nftables' }));

const NS = 'testbed-e2e';
const AGNHOST = 'registry.k8s.io/e2e-test-images/agnhost:2.53';

function echoObjects(): object[] {
  const labels = { app: 'echo' };
  return [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } },
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'echo', namespace: NS },
      spec: {
        replicas: 1,
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: {
            nodeSelector: { 'kubernetes.io/hostname': nodePlan(0).name },
            containers: [netexecContainer(['netexec', '--http-port=8080', '--udp-port=8081'])],
          },
        },
      },
    },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'echo', namespace: NS },
      spec: { selector: labels, ports: [{ name: 'http', port: 80, targetPort: 8080 }] },
    },
    {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'client', namespace: NS },
      spec: {
        nodeName: nodePlan(1).name,
        containers: [{ name: 'pause', image: AGNHOST, args: ['pause'] }],
      },
    },
  ];
}

function leftovers(pgid: number | undefined): string[] {
  const found: string[] = [];
  const netnses = existsSync('/run/netns') ? readdirSync('/run/netns').filter((n) => n.startsWith(`${NAME_PREFIX}-`)) : [];
  if (netnses.length) found.push(`namespaces ${netnses.join(', ')}`);
  if (spawnSync('ip', ['link', 'show', BRIDGE], { stdio: 'ignore' }).status === 0) found.push(`link ${BRIDGE}`);
  const routes = execFileSync('ip', ['route', 'show'], { encoding: 'utf8' });
  if (routes.includes('198.18.') || routes.includes('198.19.')) found.push(`routes: ${routes.trim()}`);
  if (pgid !== undefined && spawnSync('pgrep', ['-g', String(pgid)], { stdio: 'ignore' }).status === 0)
    found.push(`processes in group ${pgid}`);
  return found;
}

async function checkCluster(c: Cluster, mode: ProxyMode): Promise<void> {
  const nodes = kubectlJson(c, ['get', 'nodes']).items;
  assert.equal(nodes.length, 2);
  for (const n of nodes)
    assert.ok(
      n.status.conditions.some((x: any) => x.type === 'Ready' && x.status === 'True'),
      `${n.metadata.name} Ready`,
    );

  const ds = kubectlJson(c, ['-n', 'kube-system', 'get', 'daemonset', 'kube-proxy']);
  assert.equal(ds.status.desiredNumberScheduled, 2);
  assert.equal(ds.status.numberReady, 2);
  const cm = kubectlJson(c, ['-n', 'kube-system', 'get', 'configmap', 'kube-proxy']);
  assert.match(cm.data['config.conf'], new RegExp(`mode: ${mode}`));

  apply(c, echoObjects());
  await waitFor('echo ready', 120_000, () => kubectlJson(c, ['-n', NS, 'get', 'deployment', 'echo']).status.readyReplicas === 1);
  await waitFor('client running', 60_000, () => kubectlJson(c, ['-n', NS, 'get', 'pod', 'client']).status.phase === 'Running');
  const echoPod = kubectlJson(c, ['-n', NS, 'get', 'pods', '-l', 'app=echo']).items[0];
  assert.equal(echoPod.spec.nodeName, nodePlan(0).name);
  const vip = kubectlJson(c, ['-n', NS, 'get', 'service', 'echo']).spec.clusterIP;

  // Through the VIP from a pod on the other node: the real kube-proxy's rules in node-2's namespace.
  const clientNs = await podNetns(NS, 'client');
  const answer = await waitFor('echo through its VIP', 30_000, () => {
    const r = httpGetIn(clientNs, `http://${vip}/hostname`);
    return r.startsWith('200 ') ? r : undefined;
  });
  assert.equal(answer, `200 ${echoPod.metadata.name}`);

  // DNS through the kube-dns VIP, answered by CoreDNS from the API.
  const resolved = nodeIn(
    clientNs,
    `import { Resolver } from 'node:dns/promises'; const r = new Resolver({ timeout: 2000, tries: 2 }); r.setServers(['${NET.dnsServiceV4}']);
     console.log((await r.resolve4('kubernetes.default.svc.cluster.local')).join(','));`,
  );
  assert.equal(resolved, NET.kubernetesServiceV4);

  // kube-proxy's own endpoints, as served on each node.
  for (const i of [0, 1]) {
    const nodeIp = nodePlan(i).ipV4;
    const livez = await fetch(`http://${nodeIp}:10256/livez`);
    assert.equal(livez.status, 200, `kube-proxy /livez on ${nodePlan(i).name}`);
    const metrics = await (await fetch(`http://${nodeIp}:10249/metrics`)).text();
    assert.match(metrics, /^kubeproxy_sync_proxy_rules_last_timestamp_seconds(\{[^}]*\})? \S+$/m);
  }

  // The API server reaches the pod through the services proxy (host → pod routing).
  assert.equal(kubectl(c, ['get', '--raw', `/api/v1/namespaces/${NS}/services/echo:http/proxy/hostname`]), echoPod.metadata.name);
  const version = JSON.parse(kubectl(c, ['version', '-o', 'json']));
  assert.equal(version.serverVersion.gitVersion, 'v1.37.2');
}

describe('the real cluster', { skip, timeout: 20 * 60_000 }, () => {
  after(async () => {
    if (!skip) await down(() => undefined);
  });

  for (const mode of ['iptables', 'nftables'] as const) {
    it(`comes up from nothing with kube-proxy in ${mode} mode, serves Services and DNS, and goes down leaving nothing`, async () => {
      await down(() => undefined);
      const c = await up({ nodes: 2, proxyMode: mode, dualStack: false }, () => undefined);
      const { readState } = await import('../../testkit/cluster/state.js');
      const pgid = readState()?.pid;
      await checkCluster(c, mode);
      await down(() => undefined);
      assert.deepEqual(leftovers(pgid), []);
    });
  }

  it('`npm run cluster -- up` prints KUBECONFIG and KUBECTL alone on lines, and a second up prints the same', () => {
    const once = () => {
      const r = spawnSync('npm', ['run', '-s', 'cluster', '--', 'up', '--nodes', '1'], {
        cwd: REPO_ROOT,
        encoding: 'utf8',
        timeout: 10 * 60_000,
      });
      assert.equal(r.status, 0, r.stderr);
      return r.stdout;
    };
    const first = once();
    assert.match(first, /^KUBECONFIG=\/\S+\nKUBECTL=\/\S+\n$/);
    assert.equal(once(), first);
    const r = spawnSync('npm', ['run', '-s', 'cluster', '--', 'up', '--proxy-mode', 'ipvs'], { cwd: REPO_ROOT, encoding: 'utf8' });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /--proxy-mode must be one of iptables, nftables/);
  });
});
