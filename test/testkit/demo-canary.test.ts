// The demo's simulated service proxy programs the canary: it follows the canary EndpointSlice on
// the fake API server and, after its delay, forwards the canary VIP to the slice's current target;
// freeze stops programming while forwarding goes on, thaw catches up. The slice is written here the
// way the exporter's canary writer writes it (over the API).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import request from 'supertest';
import { silentLogger } from '../../src/log.js';
import { startFakeApiServer, type FakeApiServer } from '../../testkit/apiserver/index.js';
import { DEMO_ADDRESSES, DEMO_CANARY, startDemoDataPlane, type DemoDataPlane } from '../../testkit/dataplane/index.js';
import { startDemo } from '../../testkit/demo/demo.js';

const NS = 'service-proxy-exporter';
const SLICES = `/apis/discovery.k8s.io/v1/namespaces/${NS}/endpointslices`;
const DELAY_MS = 300;

/** A canary port as the exporter serves it: every connection answered with the port's identity. */
async function identityServer(): Promise<{ port: number; close(): Promise<void> }> {
  const server = net.createServer((c) => c.end(`${(server.address() as net.AddressInfo).port}\n`));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { port: (server.address() as net.AddressInfo).port, close: () => new Promise((r) => server.close(() => r())) };
}

function connect(host: string, port: number): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port });
    let data = '';
    s.setTimeout(1000, () => {
      s.destroy();
      resolve('ETIMEDOUT');
    });
    s.on('data', (d) => (data += d.toString()));
    s.on('end', () => resolve(data.trim()));
    s.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? String(e)));
  });
}

/** Connects every 25 ms until the VIP answers `want` (bounded); returns how long that took. */
async function until(host: string, port: number, want: string, ms = 5000): Promise<number> {
  const start = Date.now();
  let last = '';
  while (Date.now() - start < ms) {
    last = await connect(host, port);
    if (last === want) return Date.now() - start;
    await new Promise((r) => setTimeout(r, 25));
  }
  assert.fail(`the VIP still answers ${last}, not ${want}`);
}

function slice(port: number, extra: Record<string, unknown> = {}) {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {
      name: DEMO_CANARY.name,
      namespace: NS,
      labels: { 'kubernetes.io/service-name': DEMO_CANARY.name, 'endpointslice.kubernetes.io/managed-by': 'service-proxy-exporter.io' },
      ...extra,
    },
    addressType: 'IPv4',
    endpoints: [{ addresses: ['127.0.0.1'], conditions: { ready: true } }],
    ports: [{ name: 'canary', port, protocol: 'TCP' }],
  };
}

async function write(api: FakeApiServer, method: 'POST' | 'PUT', body: unknown): Promise<void> {
  const res = await fetch(`${api.url}${SLICES}${method === 'PUT' ? `/${DEMO_CANARY.name}` : ''}`, {
    method,
    body: JSON.stringify(body),
    headers: { 'Content-Type': 'application/json' },
  });
  assert.ok(res.ok, `${method}: ${res.status} ${await res.text()}`);
}

describe('demo data plane: the canary', { timeout: 30_000 }, () => {
  let api: FakeApiServer;
  let plane: DemoDataPlane;
  let a: { port: number; close(): Promise<void> };
  let b: { port: number; close(): Promise<void> };
  before(async () => {
    api = await startFakeApiServer();
    plane = await startDemoDataPlane(api, { canary: { namespace: NS, delayMs: DELAY_MS } });
    a = await identityServer();
    b = await identityServer();
  });
  after(async () => {
    await plane.close();
    await api.close();
    await a.close();
    await b.close();
  });

  it('writes the selectorless canary Service in the exporter namespace, on a loopback VIP', () => {
    const svc = api.store.get('services', NS, DEMO_CANARY.name) as any;
    assert.ok(svc, 'canary Service exists');
    assert.equal(svc.spec.clusterIP, DEMO_ADDRESSES.canaryVip);
    assert.equal(svc.spec.selector, undefined);
    assert.deepEqual(
      svc.spec.ports.map((p: any) => [p.name, p.protocol]),
      [
        ['canary', 'TCP'],
        ['canary-udp', 'UDP'],
      ],
    );
    assert.equal(svc.spec.ports[0].port, plane.canary()!.port);
    assert.equal(svc.spec.ports[1].port, plane.canary()!.port, 'one port number for TCP and UDP');
    assert.equal(api.store.list('endpointslices', NS).length, 0, 'no one writes the slice but the exporter');
  });

  it('without a slice the VIP resets; a new slice is forwarded to after the delay', async () => {
    const { vip, port } = plane.canary()!;
    assert.equal(await connect(vip, port), 'ECONNRESET');
    await write(api, 'POST', slice(a.port));
    assert.equal(plane.canary()!.programmed, undefined, 'not before the delay');
    assert.equal(plane.canary()!.desired, `127.0.0.1:${a.port}`);
    await until(vip, port, String(a.port));
    assert.ok(Date.now() - plane.canary()!.programmedAt! < 5000);
  });

  it('a port flip reaches the VIP after the delay, not before', async () => {
    const { vip, port } = plane.canary()!;
    const current = api.store.get('endpointslices', NS, DEMO_CANARY.name)!;
    const t0 = Date.now();
    await write(api, 'PUT', slice(b.port, { resourceVersion: current.metadata!.resourceVersion }));
    assert.equal(plane.canary()!.programmed, `127.0.0.1:${a.port}`);
    await until(vip, port, String(b.port));
    const took = plane.canary()!.programmedAt! - t0;
    assert.ok(took >= DELAY_MS - 20 && took < DELAY_MS + 2000, `programmed after ${took} ms`);
  });

  it('frozen: the change waits and the old target keeps answering; thawed: programmed at once', async () => {
    const { vip, port } = plane.canary()!;
    plane.freeze();
    assert.equal(plane.frozen, true);
    await write(api, 'PUT', slice(a.port));
    // an absence: well past the delay, nothing was re-pointed
    await new Promise((r) => setTimeout(r, DELAY_MS * 3));
    assert.equal(await connect(vip, port), String(b.port), 'forwarding goes on to what was programmed');
    assert.equal(plane.canary()!.desired, `127.0.0.1:${a.port}`);
    assert.equal(plane.canary()!.programmed, `127.0.0.1:${b.port}`);
    plane.thaw();
    assert.equal(plane.canary()!.programmed, `127.0.0.1:${a.port}`);
    assert.equal(await connect(vip, port), String(a.port));
  });

  it('break stops the canary VIP like every other; heal brings it back on the same port', async () => {
    const { vip, port } = plane.canary()!;
    await plane.break();
    assert.equal(await connect(vip, port), 'ECONNREFUSED');
    await plane.heal();
    assert.equal(plane.canary()!.port, port);
    assert.equal(await connect(vip, port), String(a.port));
  });
});

describe('demo: /demo/freeze and /demo/thaw', { timeout: 60_000 }, () => {
  /** A sample of the demo's /metrics, polled until `pred` holds (bounded). */
  async function metric(url: string, series: string, pred: (v: number | undefined) => boolean, ms = 20_000): Promise<number | undefined> {
    const end = Date.now() + ms;
    let v: number | undefined;
    while (Date.now() < end) {
      const text = await (await fetch(`${url}/metrics`)).text();
      const line = text.split('\n').find((l) => l.startsWith(`${series} `));
      v = line === undefined ? undefined : Number(line.slice(series.length + 1));
      if (pred(v)) return v;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.fail(`${series} is ${v} after ${ms} ms`);
  }

  it('the exporter measures the demo proxy: observations, a growing pending after /demo/freeze, 0 after /demo/thaw', async () => {
    const demo = await startDemo({
      listen: '127.0.0.1:0',
      probeInterval: '1s',
      flags: { 'probe-timeout': '500ms', 'canary-interval': '1s' },
      log: silentLogger(),
      canaryDelayMs: 100,
    });
    try {
      const svc = demo.cluster.api.store.get('services', 'service-proxy-exporter', DEMO_CANARY.name);
      assert.ok(svc, 'canary Service in the exporter namespace');
      const state = (await request(demo.url).get('/demo').expect(200)).body;
      assert.equal(state.frozen, false);
      assert.equal(state.canary.service, `service-proxy-exporter/${DEMO_CANARY.name}`);
      // the exporter's writer moves the slice; the demo proxy follows after 100 ms; the observer times it
      await metric(demo.url, 'service_lb_programming_duration_seconds_count{protocol="tcp",family="ipv4"}', (v) => (v ?? 0) >= 2);
      assert.equal(await metric(demo.url, 'service_proxy_exporter_canary_writer', (v) => v === 1), 1);
      const frozen = (await request(demo.url).post('/demo/freeze').expect(200)).body;
      assert.equal(frozen.frozen, true);
      const pending = await metric(demo.url, 'service_lb_programming_pending_seconds{protocol="tcp",family="ipv4"}', (v) => (v ?? 0) > 2);
      assert.ok(pending! > 2);
      assert.equal(await metric(demo.url, 'service_lb_functional', (v) => v !== undefined), 1, 'forwarding goes on while frozen');
      const thawed = (await request(demo.url).post('/demo/thaw').expect(200)).body;
      assert.equal(thawed.frozen, false);
      await metric(demo.url, 'service_lb_programming_pending_seconds{protocol="tcp",family="ipv4"}', (v) => v === 0, 5_000);
      const page = await (await fetch(`${demo.url}/`)).text();
      assert.match(page, /Service programming/);
    } finally {
      await demo.close();
    }
  });

  it('/demo/stale-conntrack: the UDP flow pends while TCP follows every flip; /demo/flush-conntrack: it follows again', async () => {
    const demo = await startDemo({
      listen: '127.0.0.1:0',
      probeInterval: '1s',
      flags: { 'probe-timeout': '500ms', 'canary-interval': '1s' },
      log: silentLogger(),
      canaryDelayMs: 100,
    });
    const UDP = 'service_lb_programming_pending_seconds{protocol="udp",family="ipv4"}';
    const TCP_COUNT = 'service_lb_programming_duration_seconds_count{protocol="tcp",family="ipv4"}';
    try {
      // healthy: the proxy clears the flow's entry on each change, so UDP follows too
      await metric(demo.url, 'service_lb_programming_duration_seconds_count{protocol="udp",family="ipv4"}', (v) => (v ?? 0) >= 2);
      const on = (await request(demo.url).post('/demo/stale-conntrack').expect(200)).body;
      assert.equal(on.staleConntrack, true);
      const tcpBefore = (await metric(demo.url, TCP_COUNT, (v) => v !== undefined))!;
      assert.ok((await metric(demo.url, UDP, (v) => (v ?? 0) > 3))! > 3);
      assert.ok((await metric(demo.url, TCP_COUNT, (v) => v !== undefined))! >= tcpBefore + 2, 'TCP kept following the flips');
      const page = await (await fetch(`${demo.url}/`)).text();
      assert.match(page, /UDP flow answers from/);
      const off = (await request(demo.url).post('/demo/flush-conntrack').expect(200)).body;
      assert.equal(off.staleConntrack, false);
      // at most one flip later (1 s) the flow's answers move
      await metric(demo.url, UDP, (v) => v === 0, 5_000);
    } finally {
      await demo.close();
    }
  });
});
