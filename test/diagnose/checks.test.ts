// Every runbook check against the scenario fixtures, as pure functions of snapshot + verdict + probes.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { listScenarios, loadScenario } from '../../testkit/scenarios.js';
import { CHECK_GROUPS, CHECK_STATUSES, exitCodeOf, slimEvent } from '../../src/diagnose/index.js';
import { CONFIG_CHECKS } from '../../src/detect/types.js';
import type { ProbeView } from '../../src/app/probes.js';
import { classifyRound, functional } from '../../src/probe/differential.js';
import type { TargetResult } from '../../src/probe/types.js';
import { NOW, check, failing, inputFor, reportFor, warningEvent } from './fixtures.js';
import { buildReport } from '../../src/diagnose/report.js';

describe('diagnose checks over every scenario', () => {
  for (const name of listScenarios()) {
    it(`${name}: well-formed, grouped, unique ids, and every raised config issue explained by a non-ok check`, () => {
      const r = reportFor(name);
      const ids = r.checks.map((c) => c.id);
      assert.equal(new Set(ids).size, ids.length, `duplicate ids: ${ids}`);
      const groups = r.checks.map((c) => CHECK_GROUPS.indexOf(c.group));
      assert.deepEqual(
        groups,
        [...groups].sort((a, b) => a - b),
        'grouped provider → agents → config → datapath',
      );
      for (const c of r.checks) {
        assert.ok(CHECK_STATUSES.includes(c.status), c.id);
        assert.ok(c.summary.length > 0, c.id);
        if (c.status === 'fail') assert.ok(c.next || c.runbook || c.group === 'datapath', `${c.id}: a failure says what to do next`);
      }
      assert.equal(r.provider.type, loadScenario(name).expected.provider);
      const expectedIssues = loadScenario(name).expected.issues;
      assert.deepEqual(
        r.provider.issues,
        [...expectedIssues].sort((a, b) => CONFIG_CHECKS.indexOf(a as never) - CONFIG_CHECKS.indexOf(b as never)),
      );
      if (expectedIssues.length)
        assert.ok(
          r.checks.some((c) => c.group === 'config' || c.group === 'agents' || c.group === 'provider') && r.status !== 'ok',
          `${name}: issues ${expectedIssues} leave the report ok`,
        );
      assert.equal(exitCodeOf(r), r.checks.some((c) => c.status === 'fail') ? 1 : 0);
    });
  }
});

describe('healthy clusters', () => {
  for (const name of ['cilium-kpr', 'k3s', 'gke-dataplane-v2', 'calico-ebpf', 'cilium-legacy-strict', 'cilium-with-kube-proxy']) {
    it(`${name}: no check fails (exit 0)`, () => {
      const r = reportFor(name);
      assert.deepEqual(failing(r), []);
      assert.equal(exitCodeOf(r), 0);
    });
  }
});

describe('kube-proxy-crashloop', () => {
  const r = reportFor('kube-proxy-crashloop');
  it('fails agents.pods naming the pods, CrashLoopBackOff, restart counts and the last termination', () => {
    const c = check(r, 'agents.pods');
    assert.equal(c.status, 'fail');
    assert.match(c.summary, /2 of 4 kube-proxy pods not Ready \(CrashLoopBackOff\)/);
    const pods = c.evidence.notReady as {
      pod: string;
      node: string;
      containers: { waitingReason: string; restartCount: number; lastTerminationReason: string }[];
    }[];
    assert.deepEqual(pods.map((p) => p.node).sort(), ['k8s-worker-2', 'k8s-worker-3']);
    for (const p of pods) {
      assert.match(c.summary, new RegExp(p.pod.split('/')[1]!));
      assert.equal(p.containers[0]!.waitingReason, 'CrashLoopBackOff');
      assert.ok(p.containers[0]!.restartCount >= 14);
      assert.equal(p.containers[0]!.lastTerminationReason, 'Error');
    }
    assert.ok(c.details!.some((d) => /CrashLoopBackOff, 1[45] restarts, last exit Error \(code 1\)/.test(d)));
    const first = pods[0]!.pod.split('/')[1]!;
    assert.equal(c.next, `kubectl -n kube-system describe pod ${first}`);
    assert.ok(
      c.more!.includes(
        `kubectl -n kube-system logs ${first} -c kube-proxy --previous --tail=500 | grep -Ei 'panic|fatal|error|iptables|ipvs|nftables|connection refused|timeout'`,
      ),
    );
    assert.equal(c.runbook, 'KubeProxyDown');
  });
  it('fails agents.daemonset: desired 4, ready 2', () => {
    const c = check(r, 'agents.daemonset');
    assert.equal(c.status, 'fail');
    assert.equal(c.evidence.desired, 4);
    assert.equal(c.evidence.ready, 2);
    assert.equal(c.next, 'kubectl -n kube-system get pods -l k8s-app=kube-proxy -o wide');
  });
  it('reads mode and clusterCIDR from the kube-proxy ConfigMap', () => {
    const mode = check(r, 'config.kube_proxy_mode');
    assert.equal(mode.status, 'ok');
    assert.equal(mode.evidence.effectiveMode, 'iptables');
    assert.equal(mode.evidence.configMode, '');
    const cidr = check(r, 'config.kube_proxy_cluster_cidr');
    assert.equal(cidr.status, 'ok');
    assert.match(String(cidr.evidence.clusterCIDR), /^\d+\.\d+\.\d+\.\d+\/\d+$/);
    assert.equal(check(r, 'config.kube_proxy_metrics_bind').status, 'warn', 'kubeadm binds metrics to 127.0.0.1');
  });
  it('lists recent Warning events of the failing pods, and ignores old ones and other pods', () => {
    const pod = (check(r, 'agents.pods').evidence.notReady as { pod: string }[])[0]!.pod.split('/')[1]!;
    const events = [
      warningEvent('kube-system', pod, 'BackOff', 'Back-off restarting failed container kube-proxy in pod', '2025-11-08T11:58:00Z', 61),
      warningEvent('kube-system', pod, 'Failed', 'old', '2025-11-08T09:00:00Z'),
      warningEvent('default', 'web-1', 'BackOff', 'not an agent', '2025-11-08T11:59:00Z'),
    ].map(slimEvent);
    const c = check(reportFor('kube-proxy-crashloop', { events }), 'agents.events');
    assert.equal(c.status, 'warn');
    assert.equal((c.evidence.events as unknown[]).length, 1);
    assert.match(c.details![0]!, /BackOff \(x61\): Back-off restarting failed container/);
    assert.equal(
      c.next,
      `kubectl -n kube-system get events --field-selector involvedObject.name=${pod},type=Warning --sort-by=.lastTimestamp`,
    );
    assert.equal(
      check(reportFor('kube-proxy-crashloop', { events: undefined, eventsNote: 'listing events is forbidden' }), 'agents.events').status,
      'skipped',
    );
  });
});

describe('Cilium', () => {
  it('cilium-partial-1.18: the legacy value fails with the fix, agents and NotReady nodes fail too', () => {
    const r = reportFor('cilium-partial-1.18');
    const c = check(r, 'config.cilium_kpr_value');
    assert.equal(c.status, 'fail');
    assert.match(c.summary, /"partial", a legacy value Cilium v1\.18\.3 no longer accepts/);
    assert.match(c.summary, /Set it to "true"/);
    assert.equal(c.next, `kubectl -n kube-system get cm cilium-config -o jsonpath='{.data.kube-proxy-replacement}'`);
    assert.equal(c.evidence.value, 'partial');
    assert.equal(check(r, 'agents.pods').status, 'fail');
    const nodes = check(r, 'agents.nodes');
    assert.equal(nodes.status, 'fail');
    assert.match(nodes.summary, /NotReady/);
    assert.match(nodes.next!, /^kubectl describe node /);
    assert.equal(exitCodeOf(r), 1);
  });
  it('cilium-version-skew: fails naming both versions and the stuck rollout', () => {
    const r = reportFor('cilium-version-skew');
    const c = check(r, 'config.cilium_version_skew');
    assert.equal(c.status, 'fail');
    assert.match(c.summary, /v1\.18\.3 on 3, v1\.17\.4 on 1/);
    assert.equal(c.next, 'kubectl -n kube-system rollout status ds/cilium --timeout=10s');
    assert.deepEqual(Object.keys(c.evidence.versions as object), ['v1.17.4', 'v1.18.3']);
    assert.equal(check(r, 'agents.daemonset').status, 'warn', 'all Ready, one not up to date');
  });
  it('cilium-kpr-no-healthz: warns about the healthz bind, without failing', () => {
    const r = reportFor('cilium-kpr-no-healthz');
    assert.equal(check(r, 'config.cilium_kpr_healthz').status, 'warn');
    assert.equal(exitCodeOf(r), 0);
    assert.equal(check(reportFor('cilium-kpr'), 'config.cilium_kpr_healthz').status, 'ok');
  });
  it('migration-conflict: the conflict fails and points at the kube-proxy DaemonSet; agents of both are judged', () => {
    const r = reportFor('migration-conflict');
    const c = check(r, 'provider.conflict');
    assert.equal(c.status, 'fail');
    assert.equal(c.next, 'kubectl -n kube-system get ds kube-proxy -o wide');
    assert.ok(c.more![0]!.includes('exec ds/cilium -c cilium-agent -- cilium-dbg status'));
    assert.ok(
      r.checks.some((x) => x.id === 'agents.pods.kube-proxy'),
      'the second component gets its own id',
    );
  });
});

describe('missing agents, none, unknown', () => {
  it('kube-proxy-missing-agents: names the node and the DaemonSet to describe', () => {
    const r = reportFor('kube-proxy-missing-agents');
    const c = check(r, 'agents.missing');
    assert.equal(c.status, 'fail');
    assert.match(c.summary, /k8s-worker-3/);
    assert.equal(c.next, 'kubectl -n kube-system describe ds kube-proxy');
    assert.equal(check(r, 'agents.daemonset').status, 'fail');
  });
  it('none: the provider check fails', () => {
    const c = check(reportFor('none'), 'provider.verdict');
    assert.equal(c.status, 'fail');
    assert.equal(c.runbook, 'ServiceProxyMissing');
  });
  it('unknown: an unreadable required source fails provider.verdict and provider.sources', () => {
    const input = inputFor('cilium-kpr');
    input.snapshot!.sources.daemonsets = 'forbidden';
    input.sources.daemonsets = { state: 'forbidden', error: 'HTTP 403: daemonsets is forbidden' };
    const r = buildReport({ ...input, verdict: { ...input.verdict!, provider: 'unknown', findings: [] } });
    assert.equal(check(r, 'provider.verdict').status, 'fail');
    assert.equal(check(r, 'provider.sources').status, 'fail');
    assert.match(check(r, 'provider.sources').next!, /kubectl auth can-i list daemonsets/);
  });
});

describe('data path', () => {
  const result = (
    probe: string,
    path: 'vip' | 'endpoint',
    host: string,
    success: boolean,
    reason?: 'timeout' | 'refused',
  ): TargetResult => ({
    target: { probe, path, family: 'ipv4', host, port: 443, kind: 'tcp', service: 'default/kubernetes' },
    result: success ? { success, durationSeconds: 0.002 } : { success, durationSeconds: 1, reason: reason!, detail: 'no answer' },
  });
  const view = (results: TargetResult[]): ProbeView => ({
    schedule: { effectiveMs: 15000, adjusted: false },
    targets: results.map((r) => r.target),
    skipped: [{ probe: 'me_service', why: "the exporter's own Service is not configured" }],
    overLimit: false,
    lastRound: {
      at: '2025-11-08T11:59:50.000Z',
      durationSeconds: 1.01,
      functional: functional(results),
      results,
      classifications: classifyRound(results),
    },
  });

  it("a backend down next to a working apiserver: datapath.probes ok, naming it as the backend's failure, not the proxy's", () => {
    const probes = view([
      result('apiserver', 'vip', '10.96.0.1', true),
      result('apiserver', 'endpoint', '198.18.0.10', true),
      result('apps/web', 'vip', '10.96.0.30', false, 'refused'),
      result('apps/web', 'endpoint', '198.18.0.30', false, 'refused'),
    ]);
    const r = reportFor('cilium-kpr', { probes, probesSkipped: undefined });
    assert.equal(check(r, 'datapath.probes').status, 'ok');
    assert.match(check(r, 'datapath.probes').summary, /service proxy delivers.*apps\/web.*not the proxy/);
    assert.equal(check(r, 'datapath.probe.apps/web').evidence.verdict, 'backend_down');
  });

  it('VIP fails while the endpoint answers: proxy_broken fails with the provider command', () => {
    const probes = view([result('apiserver', 'vip', '10.96.0.1', false, 'timeout'), result('apiserver', 'endpoint', '198.18.0.10', true)]);
    const r = reportFor('cilium-kpr', { probes, probesSkipped: undefined });
    const c = check(r, 'datapath.probe.apiserver');
    assert.equal(c.status, 'fail');
    assert.equal(c.evidence.verdict, 'proxy_broken');
    assert.equal(c.next, 'kubectl -n kube-system exec ds/cilium -c cilium-agent -- cilium-dbg service list | grep -F 10.96.0.1:443');
    assert.equal(check(r, 'datapath.probes').status, 'fail');
    assert.match(check(r, 'datapath.probes').details!.join('\n'), /not probed: me_service/);
  });
  it('all VIPs answer: ok; skipped when probes did not run, with the reason', () => {
    const probes = view([result('apiserver', 'vip', '10.96.0.1', true), result('apiserver', 'endpoint', '198.18.0.10', true)]);
    const r = reportFor('kube-proxy-crashloop', { probes, probesSkipped: undefined });
    assert.equal(check(r, 'datapath.probes').status, 'ok');
    assert.equal(check(r, 'datapath.probe.apiserver').status, 'ok');
    const skipped = check(reportFor('cilium-kpr', { probesSkipped: 'disabled with --no-probes' }), 'datapath.probes');
    assert.equal(skipped.status, 'skipped');
    assert.match(skipped.summary, /--no-probes/);
    assert.equal(check(reportFor('cilium-kpr', { probesSkipped: undefined }), 'datapath.probes').status, 'skipped', 'no round yet');
  });
});

describe('report', () => {
  it('carries schemaVersion 1, counts that add up, and the sources', () => {
    const r = reportFor('cilium-kpr');
    assert.equal(r.schemaVersion, 1);
    assert.equal(r.counts.ok + r.counts.warn + r.counts.fail + r.counts.skipped, r.checks.length);
    assert.equal(r.sources.daemonsets!.state, 'synced');
    assert.equal(r.generatedAt, new Date(NOW).toISOString());
  });
});
