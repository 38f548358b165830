// The probes against a real kernel data plane: a ClusterIP programmed exactly as kube-proxy's
// iptables mode does, then broken (rules flushed), healed, and a backend blackholed. Needs root;
// skipped with a message otherwise, and a failure under CI=true (see dataplaneSkip).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { discoverTargets } from '../../src/probe/targets.js';
import type { ProbeTarget } from '../../src/probe/types.js';
import { ANNOTATIONS } from '../../src/probe/targets.js';
import { port, service, slice } from '../probe/fixtures.js';
import {
  blackhole,
  createNetnsPair,
  dataplaneSkip,
  flushKubeProxyRules,
  kubeServicePorts,
  natTable,
  runProbesInNamespace,
  startBackends,
  syncKubeProxyRules,
  type NetnsPair,
} from './netns.js';

const skip = await dataplaneSkip();
const SERVER = '198.18.0.2';
const TIMEOUT_MS = 1000;

/** The cluster as the API server would describe it: Service VIPs whose endpoints live in the server namespace. */
function cluster() {
  const services = [
    service('default', 'kubernetes', { clusterIP: '198.18.100.1', ports: [port('https', 443)] }),
    service('kube-system', 'kube-dns', { clusterIP: '198.18.100.10', ports: [port('dns', 53, 'UDP'), port('dns-tcp', 53, 'TCP')] }),
    service('monitoring', 'service-proxy-exporter', { clusterIP: '198.18.100.20', ports: [port('metrics', 9808)] }),
    service('apps', 'web', {
      clusterIP: '198.18.100.30',
      ports: [port('http', 80)],
      annotations: { [ANNOTATIONS.probe]: 'true', [ANNOTATIONS.path]: '/' },
    }),
  ];
  const endpointSlices = [
    slice('default', 'kubernetes', [{ name: 'https', port: 6443 }], [{ ip: SERVER }]),
    slice(
      'kube-system',
      'kube-dns',
      [
        { name: 'dns', port: 53, protocol: 'UDP' },
        { name: 'dns-tcp', port: 53 },
      ],
      [{ ip: SERVER }],
    ),
    slice('monitoring', 'service-proxy-exporter', [{ name: 'metrics', port: 9808 }], [{ ip: SERVER }]),
    slice('apps', 'web', [{ name: 'http', port: 8081 }], [{ ip: SERVER }]),
  ];
  return { services, endpointSlices };
}

const summary = (rs: { target: ProbeTarget; result: { success: boolean; reason?: string } }[]): string[] =>
  rs.map((r) => `${r.target.probe}/${r.target.path}=${r.result.success ? 'ok' : r.result.reason}`);

describe('probes on a kube-proxy iptables data plane', { skip }, () => {
  let pair: NetnsPair | undefined;
  const { services, endpointSlices } = cluster();
  const kubeProxy = kubeServicePorts(services, endpointSlices);
  const { targets, skipped } = discoverTargets({
    services,
    endpointSlices,
    nodes: [],
    self: { namespace: 'monitoring', service: 'service-proxy-exporter' },
    clusterDomain: 'cluster.local',
    maxTargets: 20,
  });
  const round = () => runProbesInNamespace(pair!.client, targets, { timeoutMs: TIMEOUT_MS, concurrency: targets.length });

  before(async () => {
    pair = await createNetnsPair({ serverIP: SERVER });
    await startBackends(pair, { http: [9808, 8081], https: [{ port: 6443, status: 403 }], dns: { port: 53, address: '198.18.100.1' } });
    await syncKubeProxyRules(pair.client, kubeProxy);
  });
  after(async () => {
    await pair?.destroy();
  });

  it('discovers a VIP and an endpoint target for every probe', () => {
    assert.deepEqual(skipped, []);
    assert.deepEqual(
      targets.map((t) => `${t.probe}/${t.path}`),
      [
        'apiserver/vip',
        'apiserver/endpoint',
        'dns_udp/vip',
        'dns_udp/endpoint',
        'dns_tcp/vip',
        'dns_tcp/endpoint',
        'me_service/vip',
        'me_service/endpoint',
        'apps/web/vip',
        'apps/web/endpoint',
      ],
    );
  });

  it('with the rules in place every VIP answers and Service load-balancing is functional', async () => {
    const out = await round();
    assert.deepEqual(
      summary(out.round.results).filter((s) => !s.endsWith('=ok')),
      [],
      await natTable(pair!.client),
    );
    assert.equal(out.functional, true);
    assert.deepEqual(new Set(Object.values(out.verdicts).map((v) => v.verdict)), new Set(['ok']));
  });

  it('after the rules are flushed the VIPs fail while the endpoints answer: proxy_broken', async () => {
    await flushKubeProxyRules(pair!.client);
    const out = await round();
    for (const { target, result } of out.round.results) {
      const label = `${target.probe}/${target.path}: ${result.reason} ${result.detail ?? ''}`;
      if (target.path === 'vip') {
        assert.equal(result.success, false, label);
        assert.ok(['timeout', 'refused', 'unreachable'].includes(result.reason!), label);
      } else {
        assert.equal(result.success, true, label);
      }
    }
    assert.equal(out.functional, false);
    for (const [probe, v] of Object.entries(out.verdicts)) {
      assert.equal(v.verdict, 'proxy_broken', probe);
      assert.match(v.explanation, /service proxy/);
    }
  });

  it('once the rules are back, it is functional again', async () => {
    await syncKubeProxyRules(pair!.client, kubeProxy);
    const out = await round();
    assert.deepEqual(
      summary(out.round.results).filter((s) => !s.endsWith('=ok')),
      [],
    );
    assert.equal(out.functional, true);
  });

  it('a blackholed backend gives reason timeout and the round still completes', async () => {
    const unblock = await blackhole(pair!.client, { ip: SERVER, port: 8081 });
    try {
      const out = await round();
      assert.equal(out.round.aborted, false);
      assert.equal(out.round.results.length, targets.length);
      assert.deepEqual(
        summary(out.round.results).filter((s) => !s.endsWith('=ok')),
        ['apps/web/vip=timeout', 'apps/web/endpoint=timeout'],
      );
      assert.equal(out.verdicts['apps/web']?.verdict, 'backend_down');
      assert.equal(out.verdicts.apiserver?.verdict, 'ok');
    } finally {
      await unblock();
    }
  });
});
