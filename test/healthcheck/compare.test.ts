// The health-check node port comparison: which Services and nodes are asked, and when a node's answer
// disagrees with its ready endpoints (kube-proxy's contract: pkg/proxy/healthcheck/service_health.go).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { judgeHealthCheck, judgeService, planHealthChecks, readHealthBody, type HealthCheckInput } from '../../src/healthcheck/compare.js';
import { node, port, service, slice } from '../probe/fixtures.js';

const kubeProxyBody = (n: number, healthy = true) =>
  JSON.stringify({ service: { namespace: 'apps', name: 'web' }, localEndpoints: n, serviceProxyHealthy: healthy });

const lb = (name: string, over: Parameters<typeof service>[2] = {}) =>
  service('apps', name, {
    type: 'LoadBalancer',
    externalTrafficPolicy: 'Local',
    healthCheckNodePort: 32000,
    ports: [port('http', 80, 'TCP', { nodePort: 30080 }), port('https', 443, 'TCP', { nodePort: 30443 })],
    ...over,
  });

const input = (over: Partial<HealthCheckInput> = {}): HealthCheckInput => ({
  services: [lb('web')],
  endpointSlices: [
    slice(
      'apps',
      'web',
      [
        { name: 'http', port: 8080 },
        { name: 'https', port: 8443 },
      ],
      [
        { ip: '198.18.4.1', node: 'node-a' },
        { ip: '198.18.4.2', node: 'node-a' },
        { ip: '198.18.4.3', node: 'node-b', ready: false },
      ],
    ),
  ],
  nodes: [node('node-b', '198.18.3.2'), node('node-a', '198.18.3.1'), node('node-c', '198.18.3.3', false)],
  maxTargets: 20,
  ...over,
});

describe('planHealthChecks', () => {
  it('asks every Ready node about every Local LoadBalancer Service, expecting its distinct ready local endpoints', () => {
    const plan = planHealthChecks(input());
    assert.deepEqual(plan.services, [
      {
        probe: 'apps/web',
        asks: [
          // two ready pods, two ports: kube-proxy counts endpoint IPs, not IP:port pairs
          { node: 'node-a', address: '198.18.3.1', port: 32000, localEndpoints: [2] },
          // a not-ready endpoint does not count: the node must fail the check
          { node: 'node-b', address: '198.18.3.2', port: 32000, localEndpoints: [0] },
        ],
      },
    ]);
  });

  it('daemonset mode asks its own node only', () => {
    assert.deepEqual(
      planHealthChecks(input({ nodeName: 'node-b' })).services[0]!.asks.map((a) => a.node),
      ['node-b'],
    );
  });

  it('leaves out Services without a health-check node port (Cluster policy, NodePort, ClusterIP)', () => {
    const services = [
      lb('cluster', { externalTrafficPolicy: undefined }),
      lb('np', { type: 'NodePort' }),
      lb('nohc', { healthCheckNodePort: undefined }),
      service('apps', 'plain'),
    ];
    assert.deepEqual(planHealthChecks(input({ services })).services, []);
  });

  it('is bounded by maxTargets, sorted by namespace/name, and says which were left out', () => {
    const plan = planHealthChecks(input({ services: [lb('c'), lb('a'), lb('b')], maxTargets: 2 }));
    assert.deepEqual(
      plan.services.map((s) => s.probe),
      ['apps/a', 'apps/b'],
    );
    assert.deepEqual(
      plan.skipped.map((s) => s.probe),
      ['apps/c'],
    );
  });

  it('a dual-stack Service accepts either family count (kube-proxy runs one proxier per family)', () => {
    const slices = [
      ...input().endpointSlices,
      slice('apps', 'web', [{ name: 'http', port: 8080 }], [{ ip: 'fd00:4::1', node: 'node-a' }], 'IPv6', 'web-v6'),
    ];
    const a = planHealthChecks(input({ endpointSlices: slices })).services[0]!.asks[0]!;
    assert.deepEqual(a.localEndpoints, [2, 1]);
    assert.equal(judgeHealthCheck(a, { status: 200, body: kubeProxyBody(1) }).agreed, true);
    assert.equal(judgeHealthCheck(a, { status: 200, body: kubeProxyBody(2) }).agreed, true);
    assert.equal(judgeHealthCheck(a, { status: 200, body: kubeProxyBody(3) }).kind, 'serves_without_endpoint');
  });
});

describe('judgeHealthCheck', () => {
  const withEp = { localEndpoints: [1] };
  const without = { localEndpoints: [0] };
  it('agrees with kube-proxy: 200 where an endpoint runs, 503 where none does', () => {
    assert.equal(judgeHealthCheck(withEp, { status: 200, body: kubeProxyBody(1) }).agreed, true);
    assert.equal(judgeHealthCheck(without, { status: 503, body: kubeProxyBody(0) }).agreed, true);
  });
  it('200 without a local endpoint is serves_without_endpoint: the load balancer black-holes traffic', () => {
    const j = judgeHealthCheck(without, { status: 200, body: '' });
    assert.equal(j.agreed, false);
    assert.equal(j.kind, 'serves_without_endpoint');
  });
  it('503 with a local endpoint is refuses_with_endpoint', () => {
    assert.equal(judgeHealthCheck(withEp, { status: 503, body: kubeProxyBody(0) }).kind, 'refuses_with_endpoint');
    assert.equal(
      judgeHealthCheck(withEp, { status: 404, body: 'not found' }).kind,
      'refuses_with_endpoint',
      'any non-200 takes the node out',
    );
  });
  it('503 from a node whose proxy reports itself unhealthy agrees: it is drained on purpose', () => {
    assert.equal(judgeHealthCheck(withEp, { status: 503, body: kubeProxyBody(1, false) }).agreed, true);
  });
  it('a 200 whose localEndpoints count is wrong disagrees, by direction', () => {
    assert.equal(judgeHealthCheck({ localEndpoints: [2] }, { status: 200, body: kubeProxyBody(5) }).kind, 'serves_without_endpoint');
    assert.equal(judgeHealthCheck({ localEndpoints: [2] }, { status: 200, body: kubeProxyBody(1) }).kind, 'refuses_with_endpoint');
  });
  it('a body without localEndpoints (another proxy) is judged on the status alone', () => {
    assert.equal(judgeHealthCheck({ localEndpoints: [2] }, { status: 200, body: 'OK' }).agreed, true);
  });
  it('no answer is neither agreement nor a mismatch', () => {
    const j = judgeHealthCheck(withEp, { unreachable: 'timeout' });
    assert.equal(j.unreachable, true);
    assert.equal(j.kind, undefined);
  });
});

describe('readHealthBody', () => {
  it("reads kube-proxy's fields and nothing it cannot trust", () => {
    assert.deepEqual(readHealthBody(kubeProxyBody(3)), { localEndpoints: 3, serviceProxyHealthy: true });
    assert.deepEqual(readHealthBody('{"localEndpoints":-1,"serviceProxyHealthy":"yes"}'), {});
    assert.deepEqual(readHealthBody('not json'), {});
    assert.deepEqual(readHealthBody('null'), {});
  });
});

describe('judgeService', () => {
  const svc = planHealthChecks(input()).services[0]!;
  it('is consistent when every answering node agrees; unreachable nodes do not count', () => {
    const v = judgeService(svc, [{ status: 200, body: kubeProxyBody(2) }, { unreachable: 'timeout' }]);
    assert.equal(v.consistent, true);
    assert.deepEqual(
      v.nodes.map((n) => [n.node, n.agreed, n.unreachable ?? false]),
      [
        ['node-a', true, false],
        ['node-b', true, true],
      ],
    );
  });
  it('is inconsistent when a node serves without an endpoint (a proxy answering 200 everywhere)', () => {
    const v = judgeService(svc, [
      { status: 200, body: 'ok' },
      { status: 200, body: 'ok' },
    ]);
    assert.equal(v.consistent, false);
    assert.deepEqual(
      v.nodes.map((n) => n.kind),
      [undefined, 'serves_without_endpoint'],
    );
  });
  it('has no verdict when no node answered', () => {
    assert.equal(judgeService(svc, [{ unreachable: 'refused' }, { unreachable: 'refused' }]).consistent, undefined);
  });
});
