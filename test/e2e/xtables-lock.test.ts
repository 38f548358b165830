// The xtables lock held on the exporter's node (kubernetes#105742: a process holding /run/xtables.lock stalls
// kube-proxy's iptables-restore, and kube-proxy's syncs with it). On the real cluster (testkit/cluster) kube-proxy runs
// the machine's `iptables`, and kube-proxy passes `-w` to iptables-restore instead of taking the lock itself when the
// binary supports it (iptables ≥ 1.6.2). Debian's default is iptables-nft, which accepts `-w` and never takes the
// lock: so the lock held has no effect, which is what this asserts (docs/detection.md "The xtables lock held").
// With the legacy backend the test does not apply and says so. Needs root, ip, iptables, nsenter and the built
// components; mandatory under CI=true.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { down, missingPrerequisite, up, type Cluster } from '../../testkit/cluster/index.js';
import { REPO_ROOT, nodePlan } from '../../testkit/cluster/config.js';
import { kubectl, kubectlJson, waitFor, pidOf } from '../../testkit/cluster/testing.js';
import { parseExposition, valueOf, type Sample } from './alerts.js';
import { e2eSkip } from './skip.js';

process.env.SPE_CLUSTER_DIR ??= `${REPO_ROOT}/.cache/cluster-test`;

const iptablesVersion = spawnSync('iptables', ['--version'], { encoding: 'utf8' }).stdout ?? '';
const skip =
  e2eSkip(missingPrerequisite({ proxyMode: 'iptables' })) ??
  (/nf_tables/.test(iptablesVersion)
    ? undefined
    : `the xtables-lock finding is for the iptables-nft backend; this machine's iptables is "${iptablesVersion.trim()}"`);

const NS = 'service-proxy-exporter';
const HOLD_MS = 60_000;

async function get(url: string): Promise<{ status: number; body: string }> {
  const res = await fetch(url, { signal: AbortSignal.timeout(3000) });
  return { status: res.status, body: await res.text() };
}

const metrics = async (url: string): Promise<Sample[]> => parseExposition((await get(url)).body);
const count = (s: Sample[], name: string) => s.filter((x) => x.name === name).reduce((a, x) => a + x.value, 0);

describe('the xtables lock held on the exporter node, kube-proxy in iptables mode (iptables-nft)', { skip, timeout: 10 * 60_000 }, () => {
  let c: Cluster;
  let exporter: string;
  let node: ReturnType<typeof nodePlan>;

  before(async () => {
    c = await up({ nodes: 2, proxyMode: 'iptables', dualStack: false }, () => undefined);
    kubectl(c, ['apply', '-k', join(REPO_ROOT, 'manifests')]);
    // A change every 5 s so the hold spans many (the flag's environment variable; no manifest edited).
    kubectl(c, ['-n', NS, 'set', 'env', 'deployment/service-proxy-exporter', 'SERVICE_PROXY_EXPORTER_CANARY_INTERVAL=5s']);
    kubectl(c, ['-n', NS, 'rollout', 'status', 'deployment/service-proxy-exporter', '--timeout=300s']);
    const pod = await waitFor('one exporter pod', 120_000, () => {
      const pods = kubectlJson(c, ['-n', NS, 'get', 'pods', '-l', 'app.kubernetes.io/component=exporter']).items.filter(
        (p: any) => !p.metadata.deletionTimestamp && p.status.podIP,
      );
      return pods.length === 1 ? pods[0] : undefined;
    });
    exporter = `http://${pod.status.podIP}:9808/metrics`;
    node = nodePlan(Number(String(pod.spec.nodeName).replace('node-', '')) - 1);
    await waitFor(
      'a first canary observation',
      180_000,
      async () => count(await metrics(exporter), 'service_lb_programming_duration_seconds_count') >= 1,
    );
  });

  after(async () => {
    if (!skip) await down(() => undefined);
  });

  it("kube-proxy keeps syncing, its /healthz and /livez stay 200 and the canary does not pend while the node's lock is held", async () => {
    const lockFile = join(c.dir, 'nodes', node.name, 'run', 'xtables.lock');
    // Its own process group: `sleep` inherits the locked descriptor, and both go at the end.
    const holder = spawn('flock', [lockFile, 'sleep', String(HOLD_MS / 1000 + 30)], { stdio: 'ignore', detached: true });
    try {
      // The lock kube-proxy's container sees is the one held: a lock-taking iptables in its mount namespace waits.
      const kp = pidOf(node.netns, 'kube-proxy');
      await waitFor('the lock held', 10_000, () => {
        const r = spawnSync('nsenter', ['-t', String(kp), '-m', '-n', 'iptables-legacy', '-w', '1', '-t', 'nat', '-S'], {
          encoding: 'utf8',
        });
        return r.status === 4 && /holding the xtables lock/.test(r.stderr);
      });
      const proxy = `http://${node.ipV4}`;
      const p0 = await metrics(`${proxy}:10249/metrics`);
      const e0 = count(await metrics(exporter), 'service_lb_programming_duration_seconds_count');
      const statuses = new Set<string>();
      let maxPending = 0;
      const end = Date.now() + HOLD_MS;
      while (Date.now() < end) {
        statuses.add(`healthz ${(await get(`${proxy}:10256/healthz`)).status}`);
        statuses.add(`livez ${(await get(`${proxy}:10256/livez`)).status}`);
        const s = await metrics(exporter);
        maxPending = Math.max(maxPending, ...s.filter((x) => x.name === 'service_lb_programming_pending_seconds').map((x) => x.value));
        await sleep(2000);
      }
      const p1 = await metrics(`${proxy}:10249/metrics`);
      const e1 = count(await metrics(exporter), 'service_lb_programming_duration_seconds_count');
      const syncs =
        count(p1, 'kubeproxy_sync_proxy_rules_duration_seconds_count') - count(p0, 'kubeproxy_sync_proxy_rules_duration_seconds_count');
      const lastSyncAge = Date.now() / 1000 - (valueOf(p1, 'kubeproxy_sync_proxy_rules_last_timestamp_seconds') ?? 0);
      process.stdout.write(
        `# xtables lock held ${HOLD_MS / 1000} s on ${node.name}: ${[...statuses].sort().join(', ')}; kube-proxy syncs ${syncs}, last sync ${lastSyncAge.toFixed(1)} s before the end; canary changes ${e1 - e0}, max pending ${maxPending.toFixed(1)} s\n`,
      );
      assert.deepEqual([...statuses].sort(), ['healthz 200', 'livez 200']);
      assert.ok(syncs >= 5, `kube-proxy synced ${syncs} times while the lock was held`);
      assert.ok(e1 - e0 >= 5, `${e1 - e0} canary changes programmed while the lock was held`);
      assert.ok(maxPending < 5, `canary pending ${maxPending} s`);
    } finally {
      process.kill(-holder.pid!, 'SIGTERM');
    }
  });
});
