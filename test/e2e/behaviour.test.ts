// The bug classes users hit, checked against the real kube-proxy in each proxy mode on a dual-stack test bed cluster
// (testkit/cluster):
// every probe on both IP families, the canary over TCP and UDP on each family, the real health-check node port of a
// LoadBalancer Service with externalTrafficPolicy: Local whose endpoints are on one node only, and the behaviour
// checks. Needs root, ip, ip6tables and the built components; mandatory under CI=true.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { down, missingPrerequisite, up, type Cluster, type ProxyMode } from '../../testkit/cluster/index.js';
import { REPO_ROOT, nodePlan } from '../../testkit/cluster/config.js';
import { apply, kubectl, kubectlJson, waitFor, netexecContainer } from '../../testkit/cluster/testing.js';
import { valueOf } from './alerts.js';
import { scrape } from './exporter-scrape.js';
import { e2eSkip } from './skip.js';

process.env.SPE_CLUSTER_DIR ??= `${REPO_ROOT}/.cache/cluster-test`;

const skipFor = (mode: ProxyMode) => e2eSkip(missingPrerequisite({ proxyMode: mode }));
const NS = 'service-proxy-exporter';
const APP_NS = 'shop';

function workloads(): object[] {
  const deployment = (name: string, replicas: number, node?: string) => ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: APP_NS },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: {
          ...(node ? { nodeSelector: { 'kubernetes.io/hostname': node } } : {}),
          containers: [netexecContainer(['netexec', '--http-port=8080'])],
        },
      },
    },
  });
  return [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: APP_NS } },
    deployment('web', 2),
    // An opted-in dual-stack Service: probed on each ClusterIP.
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: {
        name: 'web',
        namespace: APP_NS,
        annotations: { 'service-proxy-exporter.io/probe': 'true', 'service-proxy-exporter.io/path': '/hostname' },
      },
      spec: { ipFamilyPolicy: 'RequireDualStack', selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 8080 }] },
    },
    // externalTrafficPolicy: Local with its only endpoint on node-1: kube-proxy's health-check node port answers 200 on
    // node-1 and 503 on node-2, which is what a cloud load balancer steers by.
    deployment('checkout', 1, nodePlan(0).name),
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'checkout', namespace: APP_NS },
      spec: {
        type: 'LoadBalancer',
        externalTrafficPolicy: 'Local',
        selector: { app: 'checkout' },
        ports: [{ name: 'http', port: 80, targetPort: 8080 }],
      },
    },
  ];
}

for (const mode of ['iptables', 'nftables'] as const) {
  const skip = skipFor(mode);
  describe(
    `the bug classes users hit, against the real kube-proxy (${mode} mode) on a dual-stack cluster`,
    { skip, timeout: 10 * 60_000 },
    () => {
      let c: Cluster;
      let ip: string;

      before(async () => {
        c = await up({ nodes: 2, proxyMode: mode, dualStack: true }, () => undefined);
        kubectl(c, ['apply', '-k', join(REPO_ROOT, 'manifests')]);
        apply(c, workloads());
        await waitFor(
          'the exporter Ready',
          180_000,
          () => kubectlJson(c, ['-n', NS, 'get', 'deployment', 'service-proxy-exporter']).status.readyReplicas === 1,
        );
        await waitFor('workloads Ready', 120_000, () =>
          ['web', 'checkout'].every((d) => (kubectlJson(c, ['-n', APP_NS, 'get', 'deployment', d]).status.readyReplicas ?? 0) >= 1),
        );
        ip = kubectlJson(c, ['-n', NS, 'get', 'pods', '-l', 'app.kubernetes.io/component=exporter']).items[0].status.podIP;
      });

      after(async () => {
        if (!skip) await down(() => undefined);
      });

      it('probes every Service on both families and the canary over TCP and UDP on each: all ok', async () => {
        let last = '';
        const s = await waitFor('both families ok', 180_000, async () => {
          const s = await scrape(ip);
          const missing: string[] = [];
          for (const probe of ['dns_udp', 'dns_tcp', 'shop/web'])
            for (const family of ['ipv4', 'ipv6'])
              if (valueOf(s, 'service_lb_probe_verdict', { probe, family, verdict: 'ok' }) !== 1) missing.push(`${probe} ${family}`);
          for (const protocol of ['tcp', 'udp'])
            for (const family of ['ipv4', 'ipv6']) {
              const n = valueOf(s, 'service_lb_programming_duration_seconds_count', { protocol, family }) ?? 0;
              if (n < 1) missing.push(`canary ${protocol} ${family}`);
            }
          last = missing.join(', ');
          return missing.length === 0 ? s : undefined;
        }).catch((err: Error) => {
          throw new Error(`${err.message}; still missing: ${last}`);
        });
        assert.equal(valueOf(s, 'service_lb_functional'), 1);
      });

      it("agrees with the real kube-proxy's health-check node port of a Local LoadBalancer Service with endpoints on one node", async () => {
        const svc = kubectlJson(c, ['-n', APP_NS, 'get', 'service', 'checkout']);
        const hcnp = svc.spec.healthCheckNodePort as number;
        assert.ok(hcnp > 0, 'the API server allocated a healthCheckNodePort');
        // What kube-proxy itself answers on each node.
        const answers = await Promise.all([0, 1].map(async (i) => (await fetch(`http://${nodePlan(i).ipV4}:${hcnp}/healthz`)).status));
        assert.deepEqual(answers, [200, 503]);
        await waitFor('the exporter judged it consistent', 180_000, async () =>
          valueOf(await scrape(ip), 'service_lb_health_check_consistent', { probe: `${APP_NS}/checkout` }) === 1 ? true : undefined,
        );
        const s = await scrape(ip);
        const mismatches = s.filter(
          (x) => x.name === 'service_lb_health_check_mismatches_total' && x.labels.probe === `${APP_NS}/checkout`,
        );
        assert.ok(
          mismatches.every((x) => x.value === 0),
          'no mismatch against the real kube-proxy',
        );
      });

      it('session affinity and hairpin work on the real kube-proxy over both families', async () => {
        await waitFor('both behaviour checks judged', 180_000, async () => {
          const s = await scrape(ip);
          return ['session_affinity', 'hairpin'].every((check) => valueOf(s, 'service_lb_check_success', { check }) !== undefined)
            ? true
            : undefined;
        });
        const s = await scrape(ip);
        const diag = (await (await fetch(`http://${ip}:9808/diagnose`)).json()) as { checks: { id: string; summary: string }[] };
        const summary = (id: string) => diag.checks.find((x) => x.id === `datapath.behaviour.${id}`)?.summary ?? '';
        for (const check of ['session_affinity', 'hairpin']) {
          assert.equal(valueOf(s, 'service_lb_check_success', { check }), 1, summary(check));
          assert.equal(valueOf(s, 'service_lb_check_failures_total', { check }), 0, summary(check));
          assert.match(summary(check), /ipv4.*ipv6/, 'both families checked');
        }
        // the affinity Service's slices: the exporter's pod on both canary ports, per family
        const slices = kubectlJson(c, [
          '-n',
          NS,
          'get',
          'endpointslices',
          '-l',
          'kubernetes.io/service-name=service-proxy-exporter-canary-affinity',
        ]);
        assert.equal(slices.items.length, 4, 'two targets per family');
      });
    },
  );
}
