import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ANNOTATIONS, discoverTargets, type DiscoverInput } from '../../src/probe/targets.js';
import { BUILTIN_PROBES, PROBE_PATHS, type ProbeTarget } from '../../src/probe/types.js';
import { baseCluster, node, port, service, slice } from './fixtures.js';
import { parseWebConfig } from '../../src/config/web-config.js';
import { selfProbeFor } from '../../src/app/probes.js';

const input = (over: Partial<DiscoverInput> = {}): DiscoverInput => ({
  ...baseCluster(),
  clusterDomain: 'cluster.local',
  maxTargets: 20,
  ...over,
});
const self = { namespace: 'monitoring', service: 'service-proxy-exporter' };
const find = (ts: ProbeTarget[], probe: string, path: string): ProbeTarget | undefined =>
  ts.find((t) => t.probe === probe && t.path === path);
const addr = (t: ProbeTarget | undefined): string | undefined => t && `${t.host}:${t.port}`;

describe('built-in probes', () => {
  it('apiserver: HTTPS /readyz on the VIP and on the lowest ready endpoint, any status, handshake counts', () => {
    const { targets } = discoverTargets(input());
    assert.deepEqual(find(targets, 'apiserver', 'vip'), {
      kind: 'http',
      scheme: 'https',
      httpPath: '/readyz',
      expectedStatus: 'any',
      handshakeIsSuccess: true,
      serverName: 'kubernetes.default.svc',
      probe: 'apiserver',
      path: 'vip',
      family: 'ipv4',
      host: '198.18.100.1',
      port: 443,
      service: 'default/kubernetes',
    });
    // 198.18.0.11 < 198.18.0.12, and the endpoint port is the slice's (6443), not the Service's.
    assert.equal(addr(find(targets, 'apiserver', 'endpoint')), '198.18.0.11:6443');
  });

  it('dns: UDP and TCP on the VIP and a ready CoreDNS endpoint, never the metrics port', () => {
    const { targets } = discoverTargets(input());
    for (const transport of ['udp', 'tcp'] as const) {
      const vip = find(targets, `dns_${transport}`, 'vip');
      assert.deepEqual(vip, {
        kind: 'dns',
        transport,
        queryName: 'kubernetes.default.svc.cluster.local',
        queryType: 'A',
        probe: `dns_${transport}`,
        path: 'vip',
        family: 'ipv4',
        host: '198.18.100.10',
        port: 53,
        service: 'kube-system/kube-dns',
      });
      // Not-ready and terminating endpoints are passed over; numeric order puts .5 before .10.
      assert.equal(addr(find(targets, `dns_${transport}`, 'endpoint')), '198.18.1.5:53');
    }
  });

  it('me_service: HTTP /healthz on the exporter Service, absent without self', () => {
    const without = discoverTargets(input());
    assert.equal(without.targets.filter((t) => t.probe === 'me_service').length, 0);
    assert.deepEqual(without.skipped, [{ probe: 'me_service', why: "the exporter's own Service is not configured" }]);
    const { targets } = discoverTargets(input({ self }));
    const vip = find(targets, 'me_service', 'vip');
    assert.equal(addr(vip), '198.18.100.20:9808');
    assert.equal(vip?.kind === 'http' && `${vip.scheme} ${vip.httpPath} ${vip.expectedStatus}`, 'http /healthz 2xx');
    assert.equal(addr(find(targets, 'me_service', 'endpoint')), '198.18.2.7:9808');
  });

  it('me_service follows --web-config-file: HTTPS with TLS, skipped with the reason when every client needs a certificate', () => {
    const web = (tls: string) => parseWebConfig(`tls_server_config: {cert_file: a, key_file: b${tls}}`, '/w/web.yml');
    const tls = discoverTargets(input({ self: { ...self, ...selfProbeFor(web('')) } }));
    for (const path of ['vip', 'endpoint']) {
      const t = find(tls.targets, 'me_service', path);
      assert.equal(t?.kind === 'http' && `${t.scheme} ${t.httpPath}`, 'https /healthz', path);
    }
    const mtls = discoverTargets(
      input({ self: { ...self, ...selfProbeFor(web(', client_auth_type: RequireAndVerifyClientCert, client_ca_file: ca')) } }),
    );
    assert.equal(mtls.targets.filter((t) => t.probe === 'me_service').length, 0);
    assert.match(
      mtls.skipped.find((s) => s.probe === 'me_service')?.why ?? '',
      /requires client certificates .*RequireAndVerifyClientCert/,
    );
    // basic auth alone: /healthz is open, plain HTTP as before
    const auth = parseWebConfig(`basic_auth_users: {p: "$2b$04$${'a'.repeat(53)}"}`, '/w/web.yml');
    const plain = find(discoverTargets(input({ self: { ...self, ...selfProbeFor(auth) } })).targets, 'me_service', 'vip');
    assert.equal(plain?.kind === 'http' && plain.scheme, 'http');
  });

  it('daemonset mode prefers an endpoint on its own node', () => {
    const { targets } = discoverTargets(input({ self, nodeName: 'node-a' }));
    assert.equal(addr(find(targets, 'me_service', 'endpoint')), '198.18.2.8:9808');
    assert.equal(addr(find(targets, 'dns_udp', 'endpoint')), '198.18.1.10:53');
  });

  it('the targets come in a fixed order: apiserver, dns_udp, dns_tcp, me_service, then opted-in', () => {
    const { targets } = discoverTargets(input({ self }));
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
      ],
    );
  });

  it('a Service that does not exist is not probed, only listed in skipped', () => {
    const r = discoverTargets({ services: [], endpointSlices: [], nodes: [], self, clusterDomain: 'cluster.local', maxTargets: 20 });
    assert.deepEqual(r, {
      targets: [],
      skipped: [
        { probe: 'apiserver', why: 'Service default/kubernetes not found' },
        { probe: 'dns_udp', why: 'Service kube-system/kube-dns not found' },
        { probe: 'dns_tcp', why: 'Service kube-system/kube-dns not found' },
        { probe: 'me_service', why: 'Service monitoring/service-proxy-exporter not found' },
      ],
      overLimit: false,
    });
  });

  it('no ready endpoint: the VIP is still probed, the endpoint path is skipped', () => {
    const c = baseCluster();
    c.endpointSlices = c.endpointSlices.filter((s) => s.serviceName !== 'kubernetes');
    const r = discoverTargets({ ...c, clusterDomain: 'cluster.local', maxTargets: 20 });
    assert.ok(find(r.targets, 'apiserver', 'vip'));
    assert.equal(find(r.targets, 'apiserver', 'endpoint'), undefined);
    assert.deepEqual(
      r.skipped.find((s) => s.probe === 'apiserver'),
      {
        probe: 'apiserver',
        path: 'endpoint',
        family: 'ipv4',
        why: 'Service default/kubernetes has no ready IPv4 endpoint for port https (443/TCP)',
      },
    );
  });

  it('a headless kube-dns is skipped with the reason', () => {
    const c = baseCluster();
    c.services[1] = { ...c.services[1]!, clusterIP: 'None' };
    const r = discoverTargets({ ...c, clusterDomain: 'cluster.local', maxTargets: 20 });
    assert.equal(r.targets.filter((t) => t.probe.startsWith('dns')).length, 0);
    assert.match(r.skipped.find((s) => s.probe === 'dns_udp')?.why ?? '', /headless/);
  });

  it('a renamed DNS Service can be pointed at, and a trailing dot in the domain is ignored', () => {
    const c = baseCluster();
    c.services[1] = { ...c.services[1]!, name: 'rke2-coredns' };
    c.endpointSlices[1] = { ...c.endpointSlices[1]!, serviceName: 'rke2-coredns' };
    const r = discoverTargets({
      ...c,
      clusterDomain: 'k8s.example.',
      maxTargets: 20,
      dnsService: { namespace: 'kube-system', name: 'rke2-coredns' },
    });
    const vip = find(r.targets, 'dns_tcp', 'vip');
    assert.equal(vip?.kind === 'dns' && vip.queryName, 'kubernetes.default.svc.k8s.example');
    assert.ok(find(r.targets, 'dns_tcp', 'endpoint'));
  });

  it('IPv6 cluster DNS asks AAAA and compares with an IPv6 endpoint only', () => {
    const c = baseCluster();
    c.services[0] = { ...c.services[0]!, clusterIP: 'fd00:10::1', clusterIPs: ['fd00:10::1'] };
    c.services[1] = { ...c.services[1]!, clusterIP: 'fd00:10::a', clusterIPs: ['fd00:10::a'] };
    c.endpointSlices.push(
      slice('kube-system', 'kube-dns', [{ name: 'dns', port: 53, protocol: 'UDP' }], [{ ip: 'fd00:1::5' }], 'IPv6', 'kube-dns-v6'),
    );
    const r = discoverTargets({ ...c, clusterDomain: 'cluster.local', maxTargets: 20 });
    const vip = find(r.targets, 'dns_udp', 'vip');
    assert.equal(vip?.kind === 'dns' && vip.queryType, 'AAAA');
    assert.equal(find(r.targets, 'dns_udp', 'endpoint')?.host, 'fd00:1::5');
    assert.equal(find(r.targets, 'dns_tcp', 'endpoint'), undefined);
    assert.deepEqual(new Set(r.targets.map((t) => t.family)), new Set(['ipv6']), 'a single-stack IPv6 cluster shows ipv6 only');
  });

  it('a dual-stack Service is probed on each ClusterIP, each family against an endpoint of its own family', () => {
    const c = baseCluster();
    c.services[1] = { ...c.services[1]!, clusterIPs: ['198.18.100.10', 'fd00:10::a'] };
    c.endpointSlices.push(
      slice('kube-system', 'kube-dns', [{ name: 'dns', port: 53, protocol: 'UDP' }], [{ ip: 'fd00:1::5' }], 'IPv6', 'kube-dns-v6'),
    );
    const r = discoverTargets({ ...c, clusterDomain: 'cluster.local', maxTargets: 20 });
    const udp = r.targets.filter((t) => t.probe === 'dns_udp');
    assert.deepEqual(
      udp.map((t) => [t.path, t.family, t.host]),
      [
        ['vip', 'ipv4', '198.18.100.10'],
        ['endpoint', 'ipv4', '198.18.1.5'],
        ['vip', 'ipv6', 'fd00:10::a'],
        ['endpoint', 'ipv6', 'fd00:1::5'],
      ],
    );
    // kubernetes.default is IPv4 only here: AAAA would have no answer over either family
    assert.deepEqual(
      udp.map((t) => t.kind === 'dns' && t.queryType),
      ['A', 'A', 'A', 'A'],
    );
    assert.deepEqual(
      r.targets.filter((t) => t.probe === 'dns_tcp').map((t) => [t.path, t.family]),
      [
        ['vip', 'ipv4'],
        ['endpoint', 'ipv4'],
        ['vip', 'ipv6'],
      ],
    );
    assert.ok(r.skipped.some((s) => s.probe === 'dns_tcp' && s.path === 'endpoint' && s.family === 'ipv6'));
    assert.deepEqual(
      new Set(find(r.targets, 'apiserver', 'vip') && r.targets.filter((t) => t.probe === 'apiserver').map((t) => t.family)),
      new Set(['ipv4']),
    );
  });

  it('built-in probes can be disabled', () => {
    const r = discoverTargets(input({ self, disabled: ['dns_tcp', 'apiserver'] }));
    assert.deepEqual([...new Set(r.targets.map((t) => t.probe))], ['dns_udp', 'me_service']);
    assert.deepEqual(
      r.skipped.filter((s) => s.why === 'disabled by configuration').map((s) => s.probe),
      ['dns_tcp', 'apiserver'],
    );
  });
});

describe('opted-in Services', () => {
  const annotated = (name: string, ann: Record<string, string>, over: Parameters<typeof service>[2] = {}) =>
    service('apps', name, { annotations: { [ANNOTATIONS.probe]: 'true', ...ann }, ...over });
  const run = (services: ReturnType<typeof service>[], over: Partial<DiscoverInput> = {}) =>
    discoverTargets({
      services,
      endpointSlices: [
        slice(
          'apps',
          'web',
          [
            { name: 'http', port: 8080 },
            { name: 'admin', port: 9090 },
          ],
          [{ ip: '198.18.4.1' }],
        ),
      ],
      nodes: [node('node-b', '198.18.3.2'), node('node-a', '198.18.3.1'), node('node-0', '198.18.3.9', false)],
      clusterDomain: 'cluster.local',
      maxTargets: 20,
      disabled: [...BUILTIN_PROBES],
      ...over,
    });
  const two = [port('http', 80), port('admin', 9000)];

  it('without a path: TCP connect to the first port, VIP and endpoint', () => {
    const r = run([annotated('web', {}, { ports: two })]);
    assert.deepEqual(
      r.targets.map((t) => [t.kind, t.probe, t.path, addr(t)]),
      [
        ['tcp', 'apps/web', 'vip', '198.18.100.50:80'],
        ['tcp', 'apps/web', 'endpoint', '198.18.4.1:8080'],
      ],
    );
  });

  it('port by name or number, path, scheme and expected status', () => {
    const byName = run([
      annotated(
        'web',
        { [ANNOTATIONS.port]: 'admin', [ANNOTATIONS.path]: 'status', [ANNOTATIONS.expectedStatus]: '200,204' },
        { ports: two },
      ),
    ]);
    assert.deepEqual(byName.targets[0], {
      kind: 'http',
      scheme: 'http',
      httpPath: '/status',
      expectedStatus: '200,204',
      probe: 'apps/web',
      path: 'vip',
      family: 'ipv4',
      host: '198.18.100.50',
      port: 9000,
      service: 'apps/web',
    });
    assert.equal(addr(byName.targets[1]), '198.18.4.1:9090');
    const byNumber = run([
      annotated('web', { [ANNOTATIONS.port]: '9000', [ANNOTATIONS.scheme]: 'https', [ANNOTATIONS.path]: '/' }, { ports: two }),
    ]);
    const t = byNumber.targets[0]!;
    assert.equal(t.kind === 'http' && `${t.scheme} ${t.port} ${t.expectedStatus}`, 'https 9000 2xx');
  });

  it('https without a path is a TLS handshake', () => {
    const r = run([annotated('web', { [ANNOTATIONS.scheme]: 'HTTPS' })]);
    assert.deepEqual(
      r.targets.map((t) => t.kind),
      ['tls', 'tls'],
    );
  });

  it('annotations that cannot be honoured skip the Service with the reason', () => {
    const cases: [Record<string, string>, Partial<ReturnType<typeof service>>, RegExp][] = [
      [{ [ANNOTATIONS.port]: 'nope' }, {}, /matches no port/],
      [{ [ANNOTATIONS.port]: '53' }, { ports: [port('dns', 53, 'UDP')] }, /not TCP/],
      [{ [ANNOTATIONS.scheme]: 'gopher' }, {}, /neither http nor https/],
      [{ [ANNOTATIONS.path]: '/x', [ANNOTATIONS.expectedStatus]: 'ok' }, {}, /not a status/],
      [{}, { clusterIP: 'None' }, /headless/],
      [{}, { type: 'ExternalName', clusterIP: '' }, /headless or ExternalName/],
      [{}, { ports: [] }, /no port/],
    ];
    for (const [ann, over, why] of cases) {
      const r = run([annotated('web', ann, over)]);
      assert.equal(r.targets.length, 0, JSON.stringify(ann));
      assert.equal(r.skipped.find((s) => s.probe === 'apps/web')?.path, undefined);
      assert.match(r.skipped.find((s) => s.probe === 'apps/web')?.why ?? '', why);
    }
  });

  it('only "true" opts in', () => {
    const r = run([annotated('web', { [ANNOTATIONS.probe]: 'false' }), service('apps', 'plain')]);
    assert.equal(r.targets.length, 0);
  });

  it('NodePort: deployment mode uses the first Ready node by name, daemonset mode its own node', () => {
    const np = annotated('web', {}, { type: 'NodePort', ports: [port('http', 80, 'TCP', { nodePort: 30080 })] });
    assert.equal(addr(find(run([np]).targets, 'apps/web', 'nodeport')), '198.18.3.1:30080');
    assert.equal(addr(find(run([np], { nodeName: 'node-b' }).targets, 'apps/web', 'nodeport')), '198.18.3.2:30080');
    const lb = { ...np, type: 'LoadBalancer' };
    assert.ok(find(run([lb]).targets, 'apps/web', 'nodeport'));
    const missing = run([np], { nodeName: 'node-x' });
    assert.equal(find(missing.targets, 'apps/web', 'nodeport'), undefined);
    assert.deepEqual(missing.skipped.at(-1), {
      probe: 'apps/web',
      path: 'nodeport',
      family: 'ipv4',
      why: 'node node-x not found or has no IPv4 InternalIP',
    });
    assert.equal(find(run([{ ...np, type: 'ClusterIP' }]).targets, 'apps/web', 'nodeport'), undefined);
  });

  it('dual-stack NodePort: each family on the node InternalIP of that family', () => {
    const np = annotated(
      'web',
      {},
      { type: 'NodePort', clusterIPs: ['198.18.100.50', 'fd00:100::50'], ports: [port('http', 80, 'TCP', { nodePort: 30080 })] },
    );
    const slices = [
      slice('apps', 'web', [{ name: 'http', port: 8080 }], [{ ip: '198.18.4.1' }]),
      slice('apps', 'web', [{ name: 'http', port: 8080 }], [{ ip: 'fd00:4::1' }], 'IPv6', 'web-v6'),
    ];
    const r = run([np], { endpointSlices: slices, nodes: [node('node-a', '198.18.3.1,fd00:3::1'), node('node-b', '198.18.3.2')] });
    assert.deepEqual(
      r.targets.map((t) => [t.path, t.family, addr(t)]),
      [
        ['vip', 'ipv4', '198.18.100.50:80'],
        ['endpoint', 'ipv4', '198.18.4.1:8080'],
        ['nodeport', 'ipv4', '198.18.3.1:30080'],
        ['vip', 'ipv6', 'fd00:100::50:80'],
        ['endpoint', 'ipv6', 'fd00:4::1:8080'],
        ['nodeport', 'ipv6', 'fd00:3::1:30080'],
      ],
    );
    // a node without an IPv6 InternalIP cannot carry the ipv6 node port: skipped, saying so
    const v4only = run([np], { endpointSlices: slices, nodes: [node('node-a', '198.18.3.1')] });
    assert.equal(v4only.targets.filter((t) => t.path === 'nodeport').length, 1);
    assert.ok(v4only.skipped.some((s) => s.path === 'nodeport' && s.family === 'ipv6' && /IPv6 InternalIP/.test(s.why)));
  });

  // With a traffic policy of Local the proxy answers only on nodes hosting a ready endpoint and drops
  // the traffic elsewhere, by design: probing from such a node would page for a proxy that works.
  const webOn = (...nodes: string[]) => [
    slice(
      'apps',
      'web',
      [{ name: 'http', port: 8080 }],
      nodes.map((n, i) => ({ ip: `198.18.4.${i + 1}`, node: n })),
    ),
  ];

  it('externalTrafficPolicy Local: the node port is probed on a node hosting a ready endpoint, or skipped saying why', () => {
    const np = annotated(
      'web',
      {},
      { type: 'NodePort', externalTrafficPolicy: 'Local', ports: [port('http', 80, 'TCP', { nodePort: 30080 })] },
    );
    // node-a comes first by name but hosts no endpoint: node-b does
    assert.equal(addr(find(run([np], { endpointSlices: webOn('node-b') }).targets, 'apps/web', 'nodeport')), '198.18.3.2:30080');
    // the not-Ready node-0 hosts one: not a candidate
    const none = run([np], { endpointSlices: webOn('node-0') });
    assert.equal(find(none.targets, 'apps/web', 'nodeport'), undefined);
    assert.ok(find(none.targets, 'apps/web', 'vip'), 'the VIP is still probed');
    assert.deepEqual(none.skipped.at(-1), {
      probe: 'apps/web',
      path: 'nodeport',
      family: 'ipv4',
      why: 'externalTrafficPolicy is Local and no Ready node with an IPv4 InternalIP hosts a ready endpoint',
    });
    // daemonset mode: only its own node, and only when that node hosts an endpoint
    assert.equal(
      addr(find(run([np], { endpointSlices: webOn('node-a'), nodeName: 'node-a' }).targets, 'apps/web', 'nodeport')),
      '198.18.3.1:30080',
    );
    const elsewhere = run([np], { endpointSlices: webOn('node-b'), nodeName: 'node-a' });
    assert.equal(find(elsewhere.targets, 'apps/web', 'nodeport'), undefined);
    assert.match(elsewhere.skipped.at(-1)!.why, /^externalTrafficPolicy is Local and node node-a has no ready IPv4 endpoint/);
    // Cluster (the default) keeps the first Ready node by name
    const cluster = { ...np, externalTrafficPolicy: undefined };
    assert.equal(addr(find(run([cluster], { endpointSlices: webOn('node-b') }).targets, 'apps/web', 'nodeport')), '198.18.3.1:30080');
  });

  it('internalTrafficPolicy Local: the VIP is probed only from a node hosting a ready endpoint (daemonset mode)', () => {
    const svc = annotated('web', {}, { internalTrafficPolicy: 'Local', ports: [port('http', 80)] });
    const dep = run([svc], { endpointSlices: webOn('node-b') });
    assert.deepEqual(dep.targets, [], 'deployment mode does not know its node: neither path is probed');
    assert.match(dep.skipped.at(-1)!.why, /^internalTrafficPolicy is Local: the VIP answers only on nodes with a ready endpoint/);
    assert.equal(dep.skipped.at(-1)!.path, undefined, 'the whole probe is skipped');
    const mine = run([svc], { endpointSlices: webOn('node-a', 'node-b'), nodeName: 'node-b' });
    assert.deepEqual(
      mine.targets.map((t) => [t.path, addr(t)]),
      [
        ['vip', '198.18.100.50:80'],
        ['endpoint', '198.18.4.2:8080'],
      ],
      'from a node with an endpoint: the VIP, and the endpoint on this node',
    );
    const other = run([svc], { endpointSlices: webOn('node-a'), nodeName: 'node-b' });
    assert.deepEqual(other.targets, []);
    assert.match(other.skipped.at(-1)!.why, /^internalTrafficPolicy is Local and node node-b has no ready endpoint for port http/);
  });

  it('cuts at maxTargets after sorting, deterministically, and says overLimit', () => {
    const many = Array.from({ length: 25 }, (_, i) => annotated(`svc-${String(i).padStart(2, '0')}`, {}));
    const reversed = [...many].reverse();
    const r = run(reversed, { maxTargets: 20 });
    assert.equal(r.overLimit, true);
    const probes = [...new Set(r.targets.map((t) => t.probe))];
    assert.deepEqual(
      probes,
      many.slice(0, 20).map((s) => `apps/${s.name}`),
    );
    assert.deepEqual(
      r.skipped.filter((s) => /over the limit/.test(s.why)).map((s) => s.probe),
      many.slice(20).map((s) => `apps/${s.name}`),
    );
    assert.deepEqual(run(many, { maxTargets: 20 }), r);
    assert.equal(run(many, { maxTargets: 25 }).overLimit, false);
  });

  it('label values stay bounded: builtins plus at most maxTargets Services, paths from the closed set', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 40 }), fc.integer({ min: 0, max: 30 }), fc.boolean(), (n, max, nodePort) => {
        const c = baseCluster();
        for (let i = 0; i < n; i++) {
          c.services.push(
            service(`ns${i % 3}`, `s${i}`, {
              type: nodePort ? 'NodePort' : 'ClusterIP',
              annotations: { [ANNOTATIONS.probe]: 'true' },
              ports: [port('http', 80, 'TCP', { nodePort: 30000 + i })],
            }),
          );
        }
        const r = discoverTargets({ ...c, self, clusterDomain: 'cluster.local', maxTargets: max });
        const probes = new Set(r.targets.map((t) => t.probe));
        assert.ok(probes.size <= BUILTIN_PROBES.length + max);
        assert.ok(r.targets.every((t) => (PROBE_PATHS as readonly string[]).includes(t.path)));
        assert.equal(r.overLimit, n > max);
      }),
      { numRuns: 200 },
    );
  });
});
