// The canary's parts together against the fake API server (testkit/apiserver), with a loopback forwarder standing in
// for the service proxy (it follows the canary slice after a delay, and can be frozen). The real
// data plane (iptables DNAT in a netns) is test/dataplane/canary.test.ts.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import winston from 'winston';
import { Canary } from '../../src/app/canary.js';
import { askIdentity, listenCanaryPorts } from '../../src/canary/listeners.js';
import {
  AFFINITY_NAME,
  affinitySliceName,
  nextTarget,
  parseIdentity,
  serviceFamilies,
  sliceBody,
  sliceIsOurs,
  sliceName,
  sliceTarget,
} from '../../src/canary/objects.js';
import { affinityPlan, hairpinPlan, judgeAffinity, judgeHairpin, combine } from '../../src/canary/checks.js';
import { FlowTracker, ProgrammingTracker } from '../../src/canary/tracker.js';
import { canaryPodIps } from '../../src/app/canary.js';
import {
  connectTo,
  startFakeApiServer,
  WRITE_VERBS,
  type FakeApiConnection,
  type FakeApiServer,
  type K8sObject,
} from '../../testkit/apiserver/index.js';

const NAME = 'service-proxy-exporter-canary';

const canaryService = (port: number): K8sObject => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: NAME, namespace: 'ns' },
  spec: { clusterIP: '127.0.0.1', ports: [{ name: 'canary', port, protocol: 'TCP' }] },
});
const sliceOf = (api: FakeApiServer): K8sObject | undefined => api.store.get('endpointslices', 'ns', NAME);
const sliceWrites = (api: FakeApiServer): number =>
  api.requests.filter((r) => r.resource === 'endpointslices' && r.method !== 'GET').length;

describe('canary pieces', () => {
  it('a canary port answers every connection with its identity', async () => {
    const [p1, p2] = await freePorts(2);
    const l = await listenCanaryPorts('127.0.0.1', [p1!, p2!]);
    try {
      assert.deepEqual(await askIdentity('127.0.0.1', p1!, 1000), { port: p1 });
      assert.deepEqual(await askIdentity('127.0.0.1', p2!, 1000), { port: p2 });
      assert.deepEqual(await askIdentity('127.0.0.1', (await freePorts(1))[0]!, 1000), { error: 'ECONNREFUSED' });
    } finally {
      await l.close();
    }
  });

  it('a canary port answers a UDP datagram with its identity, to the sender', async () => {
    const [p1] = await freePorts(1);
    const l = await listenCanaryPorts(['127.0.0.1'], [p1!]);
    const s = dgram.createSocket('udp4');
    try {
      const answer = new Promise<string>((resolve) => s.once('message', (m) => resolve(m.toString())));
      s.send('hello', p1!, '127.0.0.1');
      assert.equal(parseIdentity(await answer), p1);
    } finally {
      s.close();
      await l.close();
    }
  });

  it('a flip moves TCP and UDP together; a dual-stack pod gets one slice per family', () => {
    assert.deepEqual(sliceBody({ address: '198.18.0.1', port: 9811 }).ports, [
      { name: 'canary', port: 9811, protocol: 'TCP' },
      { name: 'canary-udp', port: 9811, protocol: 'UDP' },
    ]);
    assert.equal(sliceName(0, '198.18.0.1'), NAME, 'the primary family keeps the name an upgrade finds');
    assert.equal(sliceName(1, 'fd00::1'), `${NAME}-ipv6`);
    assert.deepEqual(canaryPodIps({ podIp: '198.18.0.1', podIps: ['198.18.0.1', 'fd00::1'] }), ['198.18.0.1', 'fd00::1']);
    assert.deepEqual(canaryPodIps({ podIp: '', podIps: ['fd00::1', '198.18.0.1'] }), ['fd00::1', '198.18.0.1']);
    assert.deepEqual(serviceFamilies({ spec: { clusterIP: '198.18.100.50', clusterIPs: ['198.18.100.50', 'fd00:100::50'] } }), [
      { family: 'ipv4', clusterIp: '198.18.100.50' },
      { family: 'ipv6', clusterIp: 'fd00:100::50' },
    ]);
  });

  it('UDP flow tracker: a change is taken only when the answers move off the port they came from', () => {
    const t = new FlowTracker();
    t.baseline({ address: 'a', port: 1 });
    assert.equal(t.answer(1, 500), undefined);
    t.change({ address: 'a', port: 2 }, 1_000);
    assert.equal(t.answer(1, 1_200), undefined, 'still the old target');
    assert.equal(t.answer(2, 1_500), 0.5, 'moved: taken');
    assert.equal(t.pendingSeconds(2_000), 0);
    // stuck on 2 (a conntrack entry survives): the canary flips to 1, then back to 2
    t.change({ address: 'a', port: 1 }, 3_000);
    assert.equal(t.answer(2, 3_500), undefined);
    t.change({ address: 'a', port: 2 }, 4_000);
    assert.equal(t.answer(2, 4_500), undefined, 'a flip back to where the flow is stuck is not taken');
    assert.equal(t.pendingSeconds(10_000), 7, 'pending from the first change it missed');
    t.change({ address: 'a', port: 1 }, 11_000);
    assert.equal(t.answer(1, 12_000), 9, 'the answers moved at last');
    assert.equal(t.view.changes, 4);
  });

  it('parses only its own identity line', () => {
    assert.equal(parseIdentity('service-proxy-exporter-canary 9811\n'), 9811);
    assert.equal(parseIdentity('HTTP/1.1 400 Bad Request\r\n'), undefined);
  });

  it('the next target is this pod on the other port; a foreign slice starts at the first port', () => {
    assert.deepEqual(nextTarget({ address: '10.0.0.9', port: 9810 }, '10.0.0.1', [9810, 9811]), { address: '10.0.0.1', port: 9811 });
    assert.deepEqual(nextTarget({ address: '10.0.0.1', port: 80 }, '10.0.0.1', [9810, 9811]), { address: '10.0.0.1', port: 9810 });
    assert.deepEqual(nextTarget(undefined, '10.0.0.1', [9810, 9811]), { address: '10.0.0.1', port: 9810 });
  });

  it('tracker: pending from the oldest unshown change, 0 once shown, absent before the first', () => {
    const t = new ProgrammingTracker();
    t.baseline({ address: 'a', port: 1 });
    assert.equal(t.pendingSeconds(0), undefined);
    assert.equal(t.change({ address: 'a', port: 1 }, 0), false, 'same target is no change');
    assert.equal(t.change({ address: 'a', port: 2 }, 1_000), true);
    assert.equal(t.answer(1, 1_500), undefined, 'old target answering does not count');
    assert.equal(t.pendingSeconds(3_000), 2);
    t.change({ address: 'a', port: 1 }, 4_000);
    assert.equal(t.pendingSeconds(5_000), 4, 'a newer change keeps the older arrival');
    assert.equal(t.answer(1, 6_000), 5);
    assert.equal(t.pendingSeconds(7_000), 0);
    assert.equal(t.view.changes, 2);
  });
});

describe('canary against the fake API server and a loopback service proxy', () => {
  let api: FakeApiServer;
  let client: FakeApiConnection;
  let proxy: FakeProxy;
  let ports: [number, number];
  before(async () => {
    api = await startFakeApiServer();
    client = await connectTo(api.url);
    proxy = await fakeProxy(api, 300);
    const p = await freePorts(2);
    ports = [p[0]!, p[1]!];
    api.store.apply(canaryService(proxy.port));
  });
  after(async () => {
    await proxy.close();
    client.close();
    await api.close();
  });

  function canary(opts: { intervalMs?: number; podIp?: string; podIps?: string[]; identity?: string; podName?: string } = {}) {
    const log = capture();
    const rec = { programmed: [] as number[], changes: 0, errors: [] as string[], checkFailures: [] as string[] };
    const c = new Canary({
      conn: client.conn,
      log: log.logger,
      settings: {
        serviceNamespace: 'ns',
        podIp: opts.podIp ?? '127.0.0.1',
        ...(opts.podIps ? { podIps: opts.podIps } : {}),
        canaryPorts: ports,
        canaryIntervalMs: opts.intervalMs ?? 1_000,
        canaryPollMs: 50,
        probeTimeoutMs: 500,
        probeIntervalMs: 200,
      },
      recorder: {
        init() {},
        change: () => rec.changes++,
        programmed: (s) => rec.programmed.push(s),
        writeError: (r, why) => rec.errors.push(`${r}/${why}`),
        checkFailed: (check) => rec.checkFailures.push(check),
      },
      identity: opts.identity ?? 'replica-a',
      ...(opts.podName ? { podName: opts.podName } : {}),
      timing: {
        leaseDurationMs: 1_000,
        renewPeriodMs: 250,
        renewDeadlineMs: 700,
        retryPeriodMs: 100,
        forbiddenBackoff: { initialMs: 500, maxMs: 2_000 },
      },
      reflector: { backoff: { initialMs: 20, maxMs: 200 } },
    });
    return { c, rec, log };
  }

  it('creates the slice, flips it every interval, and measures each change from watch to VIP', async () => {
    api.store.apply({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'exporter-0', namespace: 'ns' },
      spec: { nodeName: 'node-7' },
    } as never);
    const { c, rec } = canary({ podName: 'exporter-0' });
    const written: (string | undefined)[] = [];
    api.store.subscribe((e) => {
      if (e.resource.includes('endpointslices') && e.type !== 'DELETED')
        written.push((e.object as { endpoints?: { nodeName?: string }[] }).endpoints?.[0]?.nodeName);
    });
    const startedAt = Date.now();
    c.start();
    try {
      await until('three programmed changes', 8_000, () => rec.programmed.length >= 3);
      const slice = sliceOf(api)!;
      assert.deepEqual(slice.metadata!.labels, {
        'kubernetes.io/service-name': NAME,
        'endpointslice.kubernetes.io/managed-by': 'service-proxy-exporter.io',
      });
      assert.equal((slice.metadata!.ownerReferences as { kind: string }[])[0]!.kind, 'Service');
      assert.equal((slice as { addressType?: string }).addressType, 'IPv4');
      // kube-proxy times a slice change from this annotation and skips slices without it
      const annotations = (slice.metadata!.annotations ?? {}) as Record<string, string>;
      const changed = Date.parse(String(annotations['endpoints.kubernetes.io/last-change-trigger-time']));
      assert.ok(changed > startedAt && changed <= Date.now(), 'the last flip stamped its trigger time');
      assert.equal(sliceTarget(slice)!.address, '127.0.0.1');
      // its node, looked up by pod name: kube-proxy (nftables) masquerades hairpin traffic only to local endpoints
      assert.ok(written.length >= 3);
      assert.deepEqual(new Set(written), new Set(['node-7']), 'every write, the creation included, names the node');
      assert.ok(ports.includes(sliceTarget(slice)!.port));
      for (const s of rec.programmed) assert.ok(s >= 0.3 && s < 0.3 + 0.05 + 0.3, `latency ${s} s for a 300 ms proxy delay`);
      assert.equal(c.view.writer, true);
      assert.ok(!c.view.pendingSeconds, 'nothing pending');
      assert.ok(rec.changes >= 3);
      assert.equal(c.view.pendingSeconds, 0);
    } finally {
      await c.stop();
    }
  });

  it('a dual-stack pod with a single-stack canary Service: the IPv6 slice moves along, nothing pends for it, flips go on', async () => {
    const { c, rec } = canary({ podIps: ['127.0.0.1', '::1'] });
    c.start();
    try {
      await until('three programmed changes', 8_000, () => rec.programmed.length >= 3);
      const v6 = api.store.get('endpointslices', 'ns', `${NAME}-ipv6`)!;
      assert.equal((v6 as { addressType?: string }).addressType, 'IPv6');
      assert.deepEqual(sliceTarget(v6), { address: '::1', port: sliceTarget(sliceOf(api))!.port });
      assert.deepEqual(
        c.view.flows!.map((x) => `${x.protocol}/${x.family}`),
        ['tcp/ipv4'],
        'no series for a family the Service has no ClusterIP of, no UDP without canary-udp',
      );
    } finally {
      await c.stop();
    }
  });

  it('frozen proxy: pending grows and the writer holds its next flip; thawed: programmed within a poll', async () => {
    const { c, rec } = canary({ intervalMs: 1_000 });
    c.start();
    try {
      await until('programmed once', 5_000, () => rec.programmed.length >= 1);
      proxy.freeze();
      const changesAtFreeze = rec.changes;
      await until('a pending change', 3_000, () => (c.view.pendingSeconds ?? 0) > 0);
      const writesBefore = sliceWrites(api);
      await new Promise((r) => setTimeout(r, 2_500)); // more than two intervals
      assert.ok(c.view.pendingSeconds! > 2, `pending ${c.view.pendingSeconds}`);
      assert.equal(rec.changes, changesAtFreeze + 1, 'no flip while the change is pending');
      assert.equal(sliceWrites(api), writesBefore);
      const before = rec.programmed.length;
      const thawedAt = Date.now();
      proxy.thaw();
      await until('programmed after thaw', 2_000, () => rec.programmed.length > before);
      assert.ok(Date.now() - thawedAt < 50 + 150, `seen ${Date.now() - thawedAt} ms after thaw`);
      assert.ok(rec.programmed.at(-1)! > 2.5, 'the latency covers the frozen time');
      assert.equal(c.view.pendingSeconds, 0);
    } finally {
      await c.stop();
    }
  });

  it('EndpointSlice writes forbidden: one log line, the role given up, observing continues', async () => {
    api.faults.set({ resource: 'endpointslices', verb: WRITE_VERBS }, { status: 403 });
    const { c, rec, log } = canary({ identity: 'replica-b' });
    c.start();
    try {
      await until('a forbidden write', 3_000, () => rec.errors.includes('endpointslice/forbidden'));
      await until('role given up', 2_000, () => !c.view.writer && c.elector.forbidden);
      // someone else (an admin, another writer) moves the slice: still measured
      const cur = sliceOf(api)!;
      const t = sliceTarget(cur)!;
      const next = t.port === ports[0] ? ports[1] : ports[0];
      api.store.apply({ ...cur, ports: [{ name: 'canary', port: next, protocol: 'TCP' }] });
      await until('the foreign change programmed', 3_000, () => rec.programmed.length >= 1);
      await new Promise((r) => setTimeout(r, 1_500)); // backoff retries happen, quietly
      assert.equal(log.lines.filter((l) => l.includes('canary writes forbidden')).length, 1, log.lines.join('\n'));
    } finally {
      api.faults.clear();
      await c.stop();
    }
  });
});

interface FakeProxy {
  port: number;
  freeze(): void;
  thaw(): void;
  close(): Promise<void>;
}

/** A "VIP" on loopback that forwards to the canary slice's port, `delayMs` after each slice change. */
async function fakeProxy(api: FakeApiServer, delayMs: number): Promise<FakeProxy> {
  let programmed: number | undefined;
  let wanted: number | undefined;
  let frozen = false;
  const timers = new Set<NodeJS.Timeout>();
  api.store.subscribe(({ resource, object }) => {
    if (resource !== 'discovery.k8s.io/endpointslices' || !sliceIsOurs(object)) return;
    const port = sliceTarget(object)?.port;
    wanted = port;
    const t = setTimeout(() => {
      timers.delete(t);
      if (!frozen) programmed = port;
    }, delayMs);
    timers.add(t);
  });
  const server = net.createServer((client) => {
    client.on('error', () => undefined);
    if (programmed === undefined) return client.destroy();
    const up = net.connect({ host: '127.0.0.1', port: programmed });
    up.on('error', () => client.destroy());
    client.pipe(up).pipe(client);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as AddressInfo).port,
    freeze: () => void (frozen = true),
    thaw: () => {
      frozen = false;
      programmed = wanted;
    },
    close: () =>
      new Promise<void>((r) => {
        for (const t of timers) clearTimeout(t);
        server.close(() => r());
      }),
  };
}

async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise<net.Server>((r) => {
          const s = net.createServer();
          s.listen(0, '127.0.0.1', () => r(s));
        }),
    ),
  );
  const ports = servers.map((s) => (s.address() as AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}

function capture() {
  const lines: string[] = [];
  const sink = new PassThrough();
  sink.on('data', (c: Buffer) => lines.push(...c.toString().split('\n').filter(Boolean)));
  const logger = winston.createLogger({
    level: 'info',
    format: winston.format.json(),
    transports: [new winston.transports.Stream({ stream: sink })],
  });
  return { logger, lines };
}

async function until(what: string, ms: number, pred: () => boolean): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) assert.fail(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('canary without its Service', () => {
  it('writes nothing (no Lease, no slice) and logs one line until the canary Service exists, then starts', async () => {
    const api = await startFakeApiServer();
    const client = await connectTo(api.url);
    const [p1, p2] = await freePorts(2);
    const log = capture();
    const c = new Canary({
      conn: client.conn,
      log: log.logger,
      settings: {
        serviceNamespace: 'ns',
        podIp: '127.0.0.1',
        canaryPorts: [p1!, p2!],
        canaryIntervalMs: 1_000,
        canaryPollMs: 50,
        probeTimeoutMs: 500,
        probeIntervalMs: 200,
      },
      recorder: { init() {}, change() {}, programmed() {}, writeError() {}, checkFailed() {} },
      identity: 'solo',
      timing: { leaseDurationMs: 1_000, renewPeriodMs: 250, renewDeadlineMs: 700, retryPeriodMs: 100 },
      reflector: { backoff: { initialMs: 20, maxMs: 200 } },
    });
    c.start();
    try {
      await new Promise((r) => setTimeout(r, 1_500));
      assert.equal(sliceOf(api), undefined, 'no slice without the Service');
      // nor a Lease: an uninstall deletes the Service and the Lease while replicas still run, and a Lease created
      // then would be left behind
      assert.equal(c.view.writer, false);
      assert.equal(api.store.list('leases', 'ns').length, 0, 'no Lease without the Service');
      assert.ok(!c.view.pendingSeconds, 'nothing pending');
      assert.equal(log.lines.filter((l) => l.includes('canary Service not found')).length, 1, log.lines.join('\n'));
      api.store.apply(canaryService(1));
      await until('writer', 3_000, () => c.view.writer);
      await until('the slice', 2_000, () => sliceOf(api) !== undefined);
    } finally {
      await c.stop();
      client.close();
      await api.close();
    }
  });
});

describe('behaviour checks: judging a round', () => {
  it('session_affinity passes when every answered connection reached one target, fails when they spread', () => {
    assert.equal(judgeAffinity('ipv4', [{ port: 1 }, { port: 1 }, { port: 1 }]).outcome, 'pass');
    const spread = judgeAffinity('ipv4', [{ port: 1 }, { port: 2 }, { port: 1 }]);
    assert.equal(spread.outcome, 'fail');
    assert.match(spread.detail, /2 to port 1, 1 to port 2/);
    assert.equal(
      judgeAffinity('ipv6', [{ port: 1 }, { error: 'timeout' }, { error: 'timeout' }]).outcome,
      'inconclusive',
      'one answer cannot judge',
    );
    assert.equal(
      judgeAffinity('ipv4', [{ port: 1 }, { error: 'timeout' }, { port: 1 }]).outcome,
      'pass',
      'a lost connection is not a spread',
    );
  });

  it('hairpin passes on any answer of its own, fails on none; a failing family fails the check', () => {
    assert.equal(judgeHairpin('ipv4', '198.18.64.9', { port: 9811 }).outcome, 'pass');
    const no = judgeHairpin('ipv6', 'fd5e::9', { error: 'timeout' });
    assert.equal(no.outcome, 'fail');
    assert.match(no.detail, /fd5e::9 over ipv6: timeout/);
    assert.equal(combine([judgeHairpin('ipv4', 'a', { port: 1 }), no])?.outcome, 'fail', 'one family down fails the check');
    assert.equal(combine([]), undefined);
  });

  it('says why a check does not apply', () => {
    const svc = { clientIp: true, port: 80, families: [{ family: 'ipv4' as const, clusterIp: '198.18.64.9' }] };
    const slices = [0, 1].map((i) => ({ endpoints: [{ addresses: ['198.19.1.5'] }], ports: [{ name: 'canary', port: 9810 + i }] }));
    assert.match(String((affinityPlan({ synced: false, svc, slices }) as { notApplicable: string }).notApplicable), /waiting/);
    assert.match(
      String((affinityPlan({ synced: true, svc: undefined, slices }) as { notApplicable: string }).notApplicable),
      /service-proxy-exporter-canary-affinity is missing/,
    );
    assert.match(
      String((affinityPlan({ synced: true, svc: { ...svc, clientIp: false }, slices }) as { notApplicable: string }).notApplicable),
      /ClientIP/,
    );
    assert.match(
      String((affinityPlan({ synced: true, svc, slices: slices.slice(0, 1) }) as { notApplicable: string }).notApplicable),
      /two ready targets/,
    );
    assert.deepEqual(affinityPlan({ synced: true, svc, slices }), { plan: [{ family: 'ipv4', clusterIp: '198.18.64.9', port: 80 }] });
    const base = {
      writer: () => true,
      podIps: ['198.19.1.5'],
      canaryVip: () => ({ port: 80, families: [{ family: 'ipv4' as const, clusterIp: '198.18.64.8' }] }),
      canaryTargetAddress: () => '198.19.1.5',
    };
    assert.match(String((hairpinPlan({ ...base, writer: () => false }) as { notApplicable: string }).notApplicable), /canary Lease/);
    assert.match(
      String((hairpinPlan({ ...base, canaryTargetAddress: () => '198.19.2.5' }) as { notApplicable: string }).notApplicable),
      /not point at this pod/,
    );
    assert.deepEqual(hairpinPlan(base), { plan: [{ family: 'ipv4', clusterIp: '198.18.64.8', port: 80 }] });
  });
});

describe('behaviour checks against the fake API server and a loopback service proxy', () => {
  for (const honoursAffinity of [true, false]) {
    it(`session_affinity ${honoursAffinity ? 'passes on a proxy that honours ClientIP affinity' : 'fails on a proxy that ignores it'}; hairpin passes on the writer`, async () => {
      const api = await startFakeApiServer();
      const client = await connectTo(api.url);
      const canaryProxy = await fakeProxy(api, 0);
      const affinityProxy = await fakeAffinityProxy(api, honoursAffinity);
      const [p1, p2] = await freePorts(2);
      api.store.apply(canaryService(canaryProxy.port));
      api.store.apply({
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: AFFINITY_NAME, namespace: 'ns' },
        spec: {
          clusterIP: '127.0.0.1',
          sessionAffinity: 'ClientIP',
          ports: [{ name: 'canary', port: affinityProxy.port, protocol: 'TCP' }],
        },
      });
      const failures: string[] = [];
      const c = new Canary({
        conn: client.conn,
        log: capture().logger,
        settings: {
          serviceNamespace: 'ns',
          podIp: '127.0.0.1',
          canaryPorts: [p1!, p2!],
          canaryIntervalMs: 60_000,
          canaryPollMs: 50,
          probeTimeoutMs: 500,
          probeIntervalMs: 60_000,
        },
        recorder: { init() {}, change() {}, programmed() {}, writeError() {}, checkFailed: (check) => failures.push(check) },
        identity: 'solo',
        timing: { leaseDurationMs: 1_000, renewPeriodMs: 250, renewDeadlineMs: 700, retryPeriodMs: 100 },
        reflector: { backoff: { initialMs: 20, maxMs: 200 } },
      });
      try {
        const before = c.view.checks!;
        assert.ok(
          before.every((x) => x.notApplicable !== undefined),
          'nothing judged before a round',
        );
        c.start();
        await until('the writer wrote both affinity slices', 5_000, () =>
          [0, 1].every(
            (i) => sliceTarget(api.store.get('endpointslices', 'ns', affinitySliceName('ipv4', i as 0 | 1)))?.port === [p1, p2][i],
          ),
        );
        const owner = api.store.get('endpointslices', 'ns', affinitySliceName('ipv4', 0))!.metadata!.ownerReferences as { name: string }[];
        assert.equal(owner[0]?.name, AFFINITY_NAME, 'garbage-collected with the affinity Service');
        await until(
          'the canary slice points at this pod and the watch saw it',
          5_000,
          () => c.observer.tracker.view.target?.address === '127.0.0.1',
        );
        await until('the affinity watch saw both slices', 5_000, () => c.affinity.sliceObjects().length === 2);
        await c.checks.round();
        const view = Object.fromEntries(c.view.checks!.map((x) => [x.check, x]));
        assert.equal(view.session_affinity!.notApplicable, undefined, view.session_affinity!.notApplicable);
        assert.equal(view.session_affinity!.success, honoursAffinity, view.session_affinity!.detail);
        assert.equal(view.hairpin!.success, true, view.hairpin!.detail ?? view.hairpin!.notApplicable);
        assert.deepEqual(failures, honoursAffinity ? [] : ['session_affinity']);
      } finally {
        await c.stop();
        await Promise.all([canaryProxy.close(), affinityProxy.close()]);
        client.close();
        await api.close();
      }
    });
  }
});

/** A "VIP" for the affinity Service: each connection goes to one of its slices' targets, sticky per client or round robin. */
async function fakeAffinityProxy(api: FakeApiServer, sticky: boolean): Promise<{ port: number; close(): Promise<void> }> {
  let next = 0;
  const chosen = new Map<string, number>();
  const targets = () =>
    api.store
      .list('endpointslices', 'ns')
      .filter((o) => (o.metadata?.labels as Record<string, string> | undefined)?.['kubernetes.io/service-name'] === AFFINITY_NAME)
      .flatMap((o) => {
        const t = sliceTarget(o);
        return t ? [t.port] : [];
      });
  const server = net.createServer((client) => {
    client.on('error', () => undefined);
    const ts = targets();
    if (!ts.length) return client.destroy();
    const key = client.remoteAddress ?? '';
    let port = sticky ? chosen.get(key) : undefined;
    if (port === undefined || !ts.includes(port)) port = ts[next++ % ts.length]!;
    if (sticky) chosen.set(key, port);
    const up = net.connect({ host: '127.0.0.1', port });
    up.on('error', () => client.destroy());
    client.pipe(up).pipe(client);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
