// The demo's simulated data path: Services rewritten to loopback VIPs with forwarders, probed with
// the project's own probers over discovered targets; break() → VIPs refused while endpoints answer;
// heal() → back on the same ports; close() frees every port.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { slimEndpointSlice, slimService } from '../../src/cluster/slim.js';
import dnsPacket from 'dns-packet';
import { encodeQuery } from '../../src/probe/dnsmessage.js';
import { probe } from '../../src/probe/probers.js';
import { discoverTargets } from '../../src/probe/targets.js';
import type { ProbeResult, ProbeTarget } from '../../src/probe/types.js';
import { startFakeApiServer, type FakeApiServer, type K8sObject } from '../../testkit/apiserver/index.js';
import { loadInto } from '../../testkit/demo/cluster.js';
import { DEMO_ADDRESSES, startDemoDataPlane, type DemoDataPlane } from '../../testkit/dataplane/index.js';
import { DEMO_TLS_CERT, DEMO_TLS_KEY } from '../../testkit/dataplane/demo-tls/pair.js';
import { listScenarios, loadScenario } from '../../testkit/scenarios.js';

const SELF = { namespace: 'service-proxy-exporter', service: 'service-proxy-exporter' };
const DOMAIN = 'cluster.local';

function targetsOf(api: FakeApiServer, domain = DOMAIN): ProbeTarget[] {
  const found = discoverTargets({
    services: api.store.list('services').map(slimService),
    endpointSlices: api.store.list('endpointslices').map(slimEndpointSlice),
    nodes: [],
    self: SELF,
    clusterDomain: domain,
    maxTargets: 20,
  });
  return found.targets;
}

const label = (t: ProbeTarget): string => `${t.probe}/${t.path} ${t.host}:${t.port}`;

async function probeAll(targets: ProbeTarget[]): Promise<{ target: ProbeTarget; result: ProbeResult }[]> {
  return Promise.all(targets.map(async (target) => ({ target, result: await probe(target, { timeoutMs: 2000 }) })));
}

function assertAll(results: { target: ProbeTarget; result: ProbeResult }[], want: (t: ProbeTarget) => true | 'refused'): void {
  for (const { target, result } of results) {
    const w = want(target);
    if (w === true) assert.equal(result.success, true, `${label(target)} should succeed: ${result.reason} ${result.detail}`);
    else {
      assert.equal(result.success, false, `${label(target)} should fail`);
      assert.equal(result.reason, w, `${label(target)}: ${result.detail}`);
    }
  }
}

/** The exporter stand-in: /healthz 200. */
async function startSelf(): Promise<{ port: number; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    res.writeHead(req.url === '/healthz' ? 200 : 404);
    res.end('ok');
  });
  server.keepAliveTimeout = 500;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

async function canBindTcp(host: string, port: number): Promise<boolean> {
  const s = net.createServer();
  return new Promise((resolve) => {
    s.once('error', () => resolve(false));
    s.listen({ host, port, exclusive: true }, () => s.close(() => resolve(true)));
  });
}

async function canBindUdp(host: string, port: number): Promise<boolean> {
  const s = dgram.createSocket('udp4');
  return new Promise((resolve) => {
    s.once('error', () => {
      s.close();
      resolve(false);
    });
    s.bind({ address: host, port, exclusive: true }, () => s.close(() => resolve(true)));
  });
}

function udpQuery(host: string, port: number, name: string): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const s = dgram.createSocket('udp4');
    const timer = setTimeout(() => {
      s.close();
      reject(new Error('no DNS answer'));
    }, 2000);
    s.on('message', (m) => {
      clearTimeout(timer);
      s.close();
      resolve((dnsPacket.decode(m).answers ?? []).filter((a) => a.type === 'A').map((a) => String((a as { data: unknown }).data)));
    });
    s.send(encodeQuery(7, name, 'A'), port, host);
  });
}

const EXPECTED = [
  'apiserver/vip',
  'apiserver/endpoint',
  'dns_udp/vip',
  'dns_udp/endpoint',
  'dns_tcp/vip',
  'dns_tcp/endpoint',
  'me_service/vip',
  'me_service/endpoint',
  'demo/echo/vip',
  'demo/echo/endpoint',
].sort();

describe('demo data plane over a real scenario', () => {
  let api: FakeApiServer;
  let dp: DemoDataPlane;
  let self: Awaited<ReturnType<typeof startSelf>>;
  let closedDp = false;

  before(async () => {
    api = await startFakeApiServer();
    loadInto(api, loadScenario('cilium-kpr').objects);
    dp = await startDemoDataPlane(api, { clusterDomain: DOMAIN });
    self = await startSelf();
    await dp.addSelfService({ namespace: SELF.namespace, name: SELF.service, host: '0.0.0.0', port: self.port });
  });
  after(async () => {
    if (!closedDp) await dp.close();
    await self.close();
    await api.close();
  });

  it('rewrites the probed Services and their slices to loopback addresses', () => {
    const k = slimService(api.store.get('services', 'default', 'kubernetes'));
    assert.equal(k.clusterIP, DEMO_ADDRESSES.apiserverVip);
    assert.equal(k.uid, 'b0da3e51-4b1f-4fb2-bfbd-ef2cf7ba29f2', 'the scenario object is updated, not replaced');
    const dns = slimService(api.store.get('services', 'kube-system', 'kube-dns'));
    assert.equal(dns.clusterIP, DEMO_ADDRESSES.dnsVip);
    const udp = dns.ports.find((p) => p.protocol === 'UDP')!;
    const tcp = dns.ports.find((p) => p.protocol === 'TCP')!;
    assert.equal(udp.port, tcp.port, 'kube-dns serves UDP and TCP on one port number');
    assert.ok(udp.port >= 1024);
    const dnsSlices = api.store
      .list('endpointslices', 'kube-system')
      .map(slimEndpointSlice)
      .filter((s) => s.serviceName === 'kube-dns');
    assert.equal(dnsSlices.length, 1, 'the scenario slice is replaced');
    assert.deepEqual(
      dnsSlices[0]!.endpoints.map((e) => e.addresses[0]),
      [DEMO_ADDRESSES.dnsBackend],
    );
    assert.equal(dnsSlices[0]!.endpoints[0]!.ready, true);

    const targets = targetsOf(api);
    assert.deepEqual(targets.map((t) => `${t.probe}/${t.path}`).sort(), EXPECTED);
    const vips = new Set(targets.filter((t) => t.path === 'vip').map((t) => t.host));
    assert.equal(vips.size, 4, 'one VIP per Service');
    for (const t of targets) assert.match(t.host, /^127\./, label(t));
    const me = targets.find((t) => t.probe === 'me_service' && t.path === 'endpoint')!;
    assert.equal(me.host, '127.0.0.1');
    assert.equal(me.port, self.port);
  });

  it('answers every discovered VIP and endpoint target', async () => {
    assert.equal(dp.broken, false);
    assertAll(await probeAll(targetsOf(api)), () => true);
  });

  it('resolves kubernetes.default.svc to the kubernetes VIP, through the kube-dns VIP', async () => {
    const dns = slimService(api.store.get('services', 'kube-system', 'kube-dns'));
    assert.deepEqual(await udpQuery(dns.clusterIP, dns.ports[0]!.port, `kubernetes.default.svc.${DOMAIN}`), [DEMO_ADDRESSES.apiserverVip]);
  });

  it('break(): every VIP is refused while every endpoint answers; heal(): back on the same ports', async () => {
    const before = targetsOf(api);
    await dp.break();
    assert.equal(dp.broken, true);
    assertAll(await probeAll(targetsOf(api)), (t) => (t.path === 'vip' ? 'refused' : true));
    await dp.heal();
    assert.equal(dp.broken, false);
    const healed = targetsOf(api);
    assert.deepEqual(healed, before, 'same addresses and ports');
    assertAll(await probeAll(healed), () => true);
  });

  it('break/heal calls apply in order, even without awaiting each', async () => {
    void dp.break();
    void dp.heal();
    void dp.break();
    await dp.heal();
    assertAll(await probeAll(targetsOf(api)), () => true);
    void dp.heal();
    await dp.break();
    assertAll(await probeAll(targetsOf(api)), (t) => (t.path === 'vip' ? 'refused' : true));
    await dp.heal();
  });

  it('a Service registered while broken stays refused until heal', async () => {
    const other = await startSelf();
    try {
      await dp.break();
      await dp.addSelfService({ namespace: 'other', name: 'exp2', host: '127.0.0.1', port: other.port });
      const found = discoverTargets({
        services: api.store.list('services').map(slimService),
        endpointSlices: api.store.list('endpointslices').map(slimEndpointSlice),
        nodes: [],
        self: { namespace: 'other', service: 'exp2' },
        clusterDomain: DOMAIN,
        maxTargets: 20,
      }).targets.filter((t) => t.probe === 'me_service');
      assert.equal(found.length, 2);
      assertAll(await probeAll(found), (t) => (t.path === 'vip' ? 'refused' : true));
      await dp.heal();
      assertAll(await probeAll(found), () => true);
    } finally {
      await other.close();
    }
  });

  it('close() frees every VIP and backend port', async () => {
    const targets = targetsOf(api).filter((t) => t.probe !== 'me_service' || t.path === 'vip');
    closedDp = true;
    await dp.close();
    await dp.close(); // idempotent
    for (const t of targets) {
      assert.ok(await canBindTcp(t.host, t.port), `TCP ${label(t)} free`);
      if (t.kind === 'dns') assert.ok(await canBindUdp(t.host, t.port), `UDP ${label(t)} free`);
    }
    for (const e of dp.describe()) assert.ok(await canBindTcp(e.vip, e.port), `${e.service} VIP free`);
  });
});

describe('demo data plane over an empty or odd cluster', () => {
  it('creates the Services it needs, tolerates odd objects, honours the cluster domain', async () => {
    const api = await startFakeApiServer();
    const odd: K8sObject[] = [
      // kubernetes without a spec, kube-dns headless with a stray slice, a slice without labels
      { apiVersion: 'v1', kind: 'Service', metadata: { name: 'kubernetes', namespace: 'default' } },
      {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'kube-dns', namespace: 'kube-system', labels: 'nonsense' as never },
        spec: { clusterIP: 'None', ports: 'x' },
      },
      {
        apiVersion: 'discovery.k8s.io/v1',
        kind: 'EndpointSlice',
        metadata: { name: 'stray', namespace: 'kube-system', labels: { 'kubernetes.io/service-name': 'kube-dns' } },
        addressType: 'FQDN',
      },
      { apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', metadata: { name: 'nolabels', namespace: 'kube-system' } },
    ];
    for (const o of odd) api.store.apply(o);
    const dp = await startDemoDataPlane(api, { clusterDomain: 'example.test.' });
    try {
      assert.equal(api.store.get('endpointslices', 'kube-system', 'stray'), undefined);
      assert.ok(api.store.get('endpointslices', 'kube-system', 'nolabels'), 'unrelated slices are left alone');
      const targets = targetsOf(api, 'example.test').filter((t) => t.probe !== 'me_service');
      assert.deepEqual(
        targets.map((t) => `${t.probe}/${t.path}`).sort(),
        EXPECTED.filter((e) => !e.startsWith('me_service')),
      );
      assertAll(await probeAll(targets), () => true);
      // the wrong domain: the DNS server is reached but does not resolve the name
      const wrong = targetsOf(api, 'cluster.local').filter((t) => t.kind === 'dns');
      for (const { result } of await probeAll(wrong)) assert.equal(result.reason, 'dns');
    } finally {
      await dp.close();
      await api.close();
    }
  });

  it('two data planes side by side do not collide', async () => {
    const [a, b] = await Promise.all([startFakeApiServer(), startFakeApiServer()]);
    const [da, db] = await Promise.all([startDemoDataPlane(a), startDemoDataPlane(b)]);
    try {
      await da.break();
      const ta = targetsOf(a).filter((t) => t.probe !== 'me_service');
      const tb = targetsOf(b).filter((t) => t.probe !== 'me_service');
      assertAll(await probeAll(ta), (t) => (t.path === 'vip' ? 'refused' : true));
      assertAll(await probeAll(tb), () => true);
    } finally {
      await Promise.all([da.close(), db.close()]);
      await Promise.all([a.close(), b.close()]);
    }
  });
});

it('every scenario gets a working data path', async () => {
  for (const name of listScenarios()) {
    const api = await startFakeApiServer();
    const scenario = loadScenario(name);
    for (const crd of scenario.crds) api.store.install(crd.split('.')[0]!);
    loadInto(api, scenario.objects);
    const dp = await startDemoDataPlane(api);
    try {
      const targets = targetsOf(api).filter((t) => t.probe !== 'me_service');
      assert.deepEqual(
        targets.map((t) => `${t.probe}/${t.path}`).sort(),
        EXPECTED.filter((e) => !e.startsWith('me_service')),
        name,
      );
      assertAll(await probeAll(targets), () => true);
    } finally {
      await dp.close();
      await api.close();
    }
  }
});

it('demo-tls: the embedded pair is the shipped PEM files', () => {
  const file = (n: string): string => readFileSync(new URL(`../../testkit/dataplane/demo-tls/${n}`, import.meta.url), 'utf8');
  assert.equal(DEMO_TLS_CERT, file('cert.pem'));
  assert.equal(DEMO_TLS_KEY, file('key.pem'));
});
