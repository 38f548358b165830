// The WHOLE exporter on a real kernel data plane (issue 4, "Proof on a real data plane"): the
// exporter runs inside the client namespace (exporter-driver.ts) against the fake API server,
// whose Service/EndpointSlice objects carry the namespace addresses; the ClusterIPs are programmed
// exactly as kube-proxy's iptables mode does. The test, outside, breaks and heals the rules and
// watches what the exporter scrapes from its own /metrics after every round:
//   rules present → service_lb_functional 1
//   rules flushed → 0 within one probe interval + 1 s, endpoints still 1, verdict proxy_broken
//   rules back    → 1
//   a blackholed backend → timeout failures counted, every round still complete and on time.
// Needs root; skipped with a message otherwise, and a failure under CI=true (see dataplaneSkip).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { slimEndpointSlice, slimService } from '../../src/cluster/slim.js';
import { ANNOTATIONS } from '../../src/probe/targets.js';
import { kubeadmProxyConfig, kubeProxyDs, kubeProxyPod, twoNodes } from '../../testkit/objects/minimal.js';
import { rawService, rawSlice } from './objects.js';
import { metric, Reports, summary, type Round } from './reports.js';
import {
  blackhole,
  createNetnsPair,
  dataplaneSkip,
  flushKubeProxyRules,
  kubeServicePorts,
  natTable,
  spawnExporterDriver,
  startBackends,
  syncKubeProxyRules,
  type NetnsPair,
} from './netns.js';

const skip = await dataplaneSkip();

const CLIENT = '198.18.0.1';
const SERVER = '198.18.0.2';
const INTERVAL_MS = 2000;
const TIMEOUT_MS = 500;
/** the exporter listens here in the client namespace: the endpoint of its own Service (me_service) */
const EXPORTER_PORT = 9808;
/** the acceptance bound: functional 0 within one probe interval plus one second of the flush */
const FLIP_BOUND_MS = INTERVAL_MS + 1000;

// ---- the cluster, as raw API objects ------------------------------------------------------

const services = [
  rawService('default', 'kubernetes', '198.18.100.1', [{ name: 'https', port: 443 }]),
  rawService('kube-system', 'kube-dns', '198.18.100.10', [
    { name: 'dns', port: 53, protocol: 'UDP' },
    { name: 'dns-tcp', port: 53 },
  ]),
  rawService('monitoring', 'service-proxy-exporter', '198.18.100.20', [{ name: 'metrics', port: EXPORTER_PORT }]),
  rawService('apps', 'web', '198.18.100.30', [{ name: 'http', port: 80 }], { [ANNOTATIONS.probe]: 'true', [ANNOTATIONS.path]: '/' }),
];
const endpointSlices = [
  rawSlice('default', 'kubernetes', [{ name: 'https', port: 6443 }], [SERVER]),
  rawSlice(
    'kube-system',
    'kube-dns',
    [
      { name: 'dns', port: 53, protocol: 'UDP' },
      { name: 'dns-tcp', port: 53 },
    ],
    [SERVER],
  ),
  rawSlice('monitoring', 'service-proxy-exporter', [{ name: 'metrics', port: EXPORTER_PORT }], [CLIENT]),
  rawSlice('apps', 'web', [{ name: 'http', port: 8081 }], [SERVER]),
];
/** two nodes running kube-proxy (kubeadm, iptables mode), so detection names it */
const clusterObjects = [
  ...twoNodes(),
  kubeProxyDs({ desired: 2 }),
  kubeProxyPod('node-aaaa1'),
  kubeProxyPod('node-bbbb2'),
  kubeadmProxyConfig('iptables'),
];
/** kube-proxy's view of the very objects the API server serves */
const kubeProxy = kubeServicePorts(services.map(slimService), endpointSlices.map(slimEndpointSlice));

const EXPECTED_TARGETS = [
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
];

// ---- the test -----------------------------------------------------------------------------

describe('the whole exporter on a kube-proxy iptables data plane', { skip }, () => {
  let pair: NetnsPair | undefined;
  let dir: string | undefined;
  const reports = new Reports(5 * INTERVAL_MS);
  const failureDetail = async (): Promise<string> => {
    const last = reports.last();
    return `${last ? summary(last) : 'no round'}\n${pair ? await natTable(pair.client).catch((e: Error) => e.message) : ''}`;
  };

  before(
    async () => {
      pair = await createNetnsPair({ clientIP: CLIENT, serverIP: SERVER });
      await startBackends(pair, { http: [8081], https: [{ port: 6443, status: 403 }], dns: { port: 53, address: '198.18.100.1' } });
      await syncKubeProxyRules(pair.client, kubeProxy);
      dir = mkdtempSync(join(tmpdir(), 'spe-dataplane-'));
      const child = await spawnExporterDriver(
        pair,
        {
          objects: [...clusterObjects, ...services, ...endpointSlices],
          dir,
          listen: `${CLIENT}:${EXPORTER_PORT}`,
          intervalMs: INTERVAL_MS,
          timeoutMs: TIMEOUT_MS,
          flags: { 'service-namespace': 'monitoring', 'service-name': 'service-proxy-exporter' },
        },
        { onLine: reports.onLine },
      );
      reports.attach(child);
    },
    { timeout: 60_000 },
  );

  after(async () => {
    await pair?.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('detects kube-proxy and, with the rules present, reports service_lb_functional 1', async () => {
    const r = await reports.round(
      'a round with every target and service_lb_functional 1',
      (x) => x.results.length === EXPECTED_TARGETS.length && metric(x, 'service_lb_functional') === 1,
      {
        timeoutMs: 20_000,
      },
    );
    assert.equal(r.intervalMs, INTERVAL_MS, 'the probe interval is used as asked');
    assert.deepEqual(r.targets, EXPECTED_TARGETS);
    assert.equal(r.functional, true);
    for (const t of EXPECTED_TARGETS) {
      const [path] = t.split('/').slice(-1);
      const probe = t.slice(0, t.lastIndexOf('/'));
      assert.equal(metric(r, 'service_lb_probe_success', { probe, path: path! }), 1, `${t}: ${summary(r)}`);
    }
    assert.deepEqual(new Set(Object.values(r.verdicts).map((v) => v.verdict)), new Set(['ok']), summary(r));
    // Detection runs on the same API server: by now (or within a round or two) it names kube-proxy.
    const k = await reports.round('proxy_provider{type="kube-proxy"} 1', (x) => metric(x, 'proxy_provider', { type: 'kube-proxy' }) === 1);
    assert.equal(k.provider, 'kube-proxy');
  });

  it(`after the DNAT rules are flushed: service_lb_functional 0 within ${FLIP_BOUND_MS} ms, endpoints still 1, verdict proxy_broken`, async () => {
    const flushStart = Date.now();
    await flushKubeProxyRules(pair!.client);
    // The rules are gone once the command returned (most of its time is process start-up before the
    // kernel change): the bound is measured from here; the time from its start is printed too.
    const flushedAt = Date.now();
    const zero = await reports.round('service_lb_functional 0 after the flush', (x) => metric(x, 'service_lb_functional') === 0, {
      since: flushStart,
      timeoutMs: 4 * INTERVAL_MS,
    });
    const latency = zero.receivedAt - flushedAt;
    console.log(
      `# flush → service_lb_functional 0 scraped ${latency} ms after the flush (${zero.receivedAt - flushStart} ms after the flush command started); ` +
        `round #${zero.seq} started ${zero.startedAt - flushedAt} ms after the flush and took ${Math.round(zero.durationSeconds * 1000)} ms; bound ${FLIP_BOUND_MS} ms`,
    );
    assert.ok(
      latency <= FLIP_BOUND_MS,
      `service_lb_functional went 0 ${latency} ms after the flush, more than one interval (${INTERVAL_MS} ms) + 1 s`,
    );

    // Every VIP fails in every round that started after the flush (a round in flight during it may
    // have had some VIPs answer first), two of them; the endpoints stay up in every round since.
    const first = await reports.round('a round started after the flush', (x) => x.startedAt >= flushedAt, {
      since: flushStart,
      timeoutMs: 2 * INTERVAL_MS + 1000,
    });
    const next = await reports.round('the round after', (x) => x.seq === first.seq + 1, { timeoutMs: 2 * INTERVAL_MS + 1000 });
    for (const r of [first, next]) {
      assert.equal(metric(r, 'service_lb_functional'), 0, summary(r));
      assert.equal(r.results.length, EXPECTED_TARGETS.length, summary(r));
      for (const x of r.results) {
        const success = metric(r, 'service_lb_probe_success', { probe: x.probe, path: x.path });
        if (x.path === 'endpoint') assert.equal(success, 1, `${x.probe} endpoint must stay up: ${summary(r)}`);
        else {
          assert.equal(success, 0, `${x.probe} VIP must fail: ${summary(r)}`);
          assert.ok(['timeout', 'refused', 'unreachable'].includes(x.reason!), `${x.probe} VIP fails at the transport: ${summary(r)}`);
        }
      }
      for (const [probe, v] of Object.entries(r.verdicts)) {
        assert.equal(v.verdict, 'proxy_broken', `${probe}: ${v.explanation}`);
        assert.match(v.explanation, /service proxy/);
      }
    }
    for (const r of reports.rounds.filter((x) => x.receivedAt >= flushStart)) {
      for (const x of r.results.filter((y) => y.path === 'endpoint')) assert.equal(x.success, true, `${x.probe} endpoint in ${summary(r)}`);
    }
    // …and says so once in the log, per probe.
    for (const probe of Object.keys(first.verdicts)) {
      const l = await reports.log(
        `verdict change log line for ${probe}`,
        (x) => x.message === 'service load-balancing verdict changed' && x.probe === probe,
        { since: flushStart, timeoutMs: 1000 },
      );
      assert.equal(l.to, 'proxy_broken');
      assert.equal(l.from, 'ok');
    }
  });

  it('after the rules return: service_lb_functional 1 again', async () => {
    const healedAt = Date.now();
    await syncKubeProxyRules(pair!.client, kubeProxy);
    const one = await reports
      .round('service_lb_functional 1 after the rules return', (x) => metric(x, 'service_lb_functional') === 1, {
        since: healedAt,
        timeoutMs: 4 * INTERVAL_MS,
      })
      .catch(async (e: Error) => assert.fail(`${e.message}\n${await failureDetail()}`));
    console.log(`# rules back → service_lb_functional 1 reported after ${one.receivedAt - healedAt} ms`);
    assert.deepEqual(new Set(Object.values(one.verdicts).map((v) => v.verdict)), new Set(['ok']), summary(one));
    for (const x of one.results) assert.equal(metric(one, 'service_lb_probe_success', { probe: x.probe, path: x.path }), 1, summary(one));
  });

  it('a blackholed backend: timeout failures are counted for it and every round still completes on schedule', async () => {
    const before = reports.last()!;
    const timeouts = (r: Round, path: string): number =>
      metric(r, 'service_lb_probe_failures_total', { probe: 'apps/web', path, reason: 'timeout' }) ?? Number.NaN;
    const unblock = await blackhole(pair!.client, { ip: SERVER, port: 8081 });
    const blockedAt = Date.now();
    try {
      // Rounds that started after the DROP rule was in place.
      const broken = (x: Round): boolean => x.startedAt >= blockedAt;
      const r1 = await reports.round('a round with the backend blackholed', broken);
      const r2 = await reports.round('the next round', (x) => broken(x) && x.seq === r1.seq + 1);
      for (const r of [r1, r2]) {
        assert.deepEqual(
          r.results.map((x) => `${x.probe}/${x.path}`),
          EXPECTED_TARGETS,
          'the round completes with every target',
        );
        assert.deepEqual(
          r.results.filter((x) => !x.success).map((x) => `${x.probe}/${x.path}=${x.reason}`),
          ['apps/web/vip=timeout', 'apps/web/endpoint=timeout'],
          summary(r),
        );
        for (const x of r.results.filter((y) => y.probe !== 'apps/web')) {
          assert.equal(
            metric(r, 'service_lb_probe_success', { probe: x.probe, path: x.path }),
            1,
            `${x.probe}/${x.path} still arrives each round: ${summary(r)}`,
          );
        }
        assert.equal(metric(r, 'service_lb_probe_success', { probe: 'apps/web', path: 'vip' }), 0);
        assert.equal(
          metric(r, 'service_lb_functional'),
          1,
          "one Service's backend down while the others are reached is not the proxy's fault",
        );
        assert.equal(r.verdicts['apps/web']?.verdict, 'backend_down', summary(r));
        assert.equal(r.verdicts.apiserver?.verdict, 'ok', summary(r));
        // The hung target costs its own timeout, not the round's schedule.
        assert.ok(
          r.durationSeconds * 1000 < TIMEOUT_MS + 400,
          `round #${r.seq} took ${Math.round(r.durationSeconds * 1000)} ms with a ${TIMEOUT_MS} ms probe timeout`,
        );
      }
      for (const path of ['vip', 'endpoint']) {
        assert.ok(
          timeouts(r1, path) >= timeouts(before, path) + 1,
          `apps/web ${path} timeout counter went from ${timeouts(before, path)} to ${timeouts(r1, path)}`,
        );
        assert.equal(timeouts(r2, path), timeouts(r1, path) + 1, `apps/web ${path}: one timeout per round`);
      }
      const spacing = r2.startedAt - r1.startedAt;
      assert.ok(Math.abs(spacing - INTERVAL_MS) < 500, `consecutive rounds ${spacing} ms apart, interval ${INTERVAL_MS} ms`);
      assert.equal(
        reports.logs.filter((l) => l.receivedAt >= blockedAt && /probe tick skipped/.test(l.message)).length,
        0,
        'no tick was skipped for a round still running',
      );
    } finally {
      await unblock();
    }
    const healedAt = Date.now();
    await reports.round(
      'service_lb_functional 1 once the blackhole is lifted',
      (x) => x.startedAt >= healedAt && metric(x, 'service_lb_functional') === 1,
    );
  });
});
