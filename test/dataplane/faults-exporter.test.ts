// The fault matrix through the WHOLE exporter (issue 17): the real exporter runs in the client
// namespace (exporter-driver.ts) while its cluster DNS VIP has no route (the crash of issue 17: a
// dgram connect failing with ENETUNREACH used to end the process on the first DNS probe) and its
// opted-in Services sit in front of backends that stream an endless body, answer garbage, close
// mid-response, never answer, or are blackholed. Over several rounds the exporter must stay up,
// give each probe its reason, answer /metrics in under a second, keep its RSS bounded and its
// crash counter at 0 — and still stop promptly on SIGTERM.
// Needs root; skipped with a message otherwise, and a failure under CI=true (see dataplaneSkip).
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { slimEndpointSlice, slimService } from '../../src/cluster/slim.js';
import { ANNOTATIONS } from '../../src/probe/targets.js';
import { kubeadmProxyConfig, kubeProxyDs, kubeProxyPod, twoNodes } from '../../testkit/objects/minimal.js';
import { FAULT_PORTS as P } from './fault-backend.js';
import {
  addServerAddress,
  createNetnsPair,
  dataplaneSkip,
  firewall,
  kubeServicePorts,
  spawnExporterDriver,
  spawnInNamespace,
  syncKubeProxyRules,
  unlimitedIcmp,
  unroutable,
  type NetnsPair,
} from './netns.js';
import { rawService, rawSlice } from './objects.js';
import { metric, Reports, summary, type Round } from './reports.js';

const skip = await dataplaneSkip();

const CLIENT = '198.18.0.1';
const SERVER = '198.18.0.2';
const BLACKHOLED = '198.18.1.2';
/** the cluster DNS VIP, in a Service CIDR this node has no route for */
const DNS_VIP = '198.19.250.10';
const INTERVAL_MS = 1000;
const TIMEOUT_MS = 500;
const ROUNDS = 5;
const EXPORTER_PORT = 9808;

const http = [{ name: 'http', port: 80 }];
const optIn = { [ANNOTATIONS.probe]: 'true', [ANNOTATIONS.path]: '/' };
/** opted-in Services: name → [VIP, backend IP, backend port, expected reason or ok] */
const APPS: Record<string, [string, string, number, string]> = {
  endless: ['198.18.100.31', SERVER, P.endless, 'ok'],
  garbage: ['198.18.100.32', SERVER, P.garbage, 'other'],
  midclose: ['198.18.100.33', SERVER, P.midclose, 'reset'],
  silent: ['198.18.100.34', SERVER, P.silent, 'timeout'],
  blackholed: ['198.18.100.35', BLACKHOLED, P.http, 'timeout'],
};

const services = [
  rawService('default', 'kubernetes', '198.18.100.1', [{ name: 'https', port: 443 }]),
  rawService('kube-system', 'kube-dns', DNS_VIP, [
    { name: 'dns', port: 53, protocol: 'UDP' },
    { name: 'dns-tcp', port: 53 },
  ]),
  rawService('monitoring', 'service-proxy-exporter', '198.18.100.20', [{ name: 'metrics', port: EXPORTER_PORT }]),
  ...Object.entries(APPS).map(([name, [vip]]) => rawService('apps', name, vip, http, optIn)),
];
const endpointSlices = [
  rawSlice('default', 'kubernetes', [{ name: 'https', port: P.https }], [SERVER]),
  rawSlice(
    'kube-system',
    'kube-dns',
    [
      { name: 'dns', port: P.dns, protocol: 'UDP' },
      { name: 'dns-tcp', port: P.dns },
    ],
    [SERVER],
  ),
  rawSlice('monitoring', 'service-proxy-exporter', [{ name: 'metrics', port: EXPORTER_PORT }], [CLIENT]),
  ...Object.entries(APPS).map(([name, [, ip, port]]) => rawSlice('apps', name, [{ name: 'http', port }], [ip])),
];
const clusterObjects = [
  ...twoNodes(),
  kubeProxyDs({ desired: 2 }),
  kubeProxyPod('node-aaaa1'),
  kubeProxyPod('node-bbbb2'),
  kubeadmProxyConfig('iptables'),
];

/** what every round must report, `<probe>/<path>` → `ok` or the reason */
const EXPECTED: Record<string, string> = {
  'apiserver/vip': 'ok',
  'apiserver/endpoint': 'ok',
  'dns_udp/vip': 'unreachable',
  'dns_udp/endpoint': 'ok',
  'dns_tcp/vip': 'unreachable',
  'dns_tcp/endpoint': 'ok',
  'me_service/vip': 'ok',
  'me_service/endpoint': 'ok',
  ...Object.fromEntries(
    Object.entries(APPS).flatMap(([name, [, , , want]]) => [
      [`apps/${name}/vip`, want],
      [`apps/${name}/endpoint`, want],
    ]),
  ),
};

const outcomes = (r: Round): Record<string, string> =>
  Object.fromEntries(r.results.map((x) => [`${x.probe}/${x.path}`, x.success ? 'ok' : (x.reason ?? '?')]));

describe('the whole exporter through every data-plane fault at once', { skip }, () => {
  let pair: NetnsPair | undefined;
  let dir: string | undefined;
  let child: ChildProcess | undefined;
  const reports = new Reports(10_000);
  let rounds: Round[] = [];

  before(
    async () => {
      pair = await createNetnsPair({ clientIP: CLIENT, serverIP: SERVER });
      await addServerAddress(pair, BLACKHOLED);
      await firewall(pair.server, { chain: 'INPUT', ip: BLACKHOLED, action: 'DROP' });
      await unroutable(pair.client, '198.19.250.0/24');
      await unlimitedIcmp(pair.server);
      await spawnInNamespace(pair, pair.server, fileURLToPath(new URL('./fault-backend.ts', import.meta.url)), [
        JSON.stringify({ host: '0.0.0.0' }),
      ]);
      await syncKubeProxyRules(pair.client, kubeServicePorts(services.map(slimService), endpointSlices.map(slimEndpointSlice)));
      dir = mkdtempSync(join(tmpdir(), 'spe-faults-'));
      child = await spawnExporterDriver(
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
      const complete = (r: Round): boolean => r.results.length === Object.keys(EXPECTED).length;
      const first = await reports.round('a round with every target', complete, { timeoutMs: 30_000 });
      await reports.round(`${ROUNDS} rounds with every target`, (r) => r.seq >= first.seq + ROUNDS - 1 && complete(r), {
        timeoutMs: ROUNDS * INTERVAL_MS + 10_000,
      });
      rounds = reports.rounds.filter((r) => r.seq >= first.seq && complete(r));
    },
    { timeout: 90_000 },
  );

  after(async () => {
    await pair?.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('gives every probe its reason, in every round (the unroutable DNS VIP is unreachable, not a crash)', () => {
    assert.ok(rounds.length >= ROUNDS, `${rounds.length} rounds`);
    for (const r of rounds) assert.deepEqual(outcomes(r), EXPECTED, summary(r));
  });

  it('keeps its crash counter at 0 and logs no probe crash', () => {
    for (const r of rounds) assert.equal(metric(r, 'service_proxy_exporter_probe_crashes_total'), 0, summary(r));
    assert.deepEqual(
      reports.logs.filter((l) => /probe crashed/.test(l.message)),
      [],
    );
  });

  it('answers /metrics in under a second after every round', () => {
    for (const r of rounds) assert.ok(r.scrapeMs < 1000, `round #${r.seq}: /metrics took ${r.scrapeMs} ms`);
  });

  it('an endless body does not hold the probe: it ends far below the timeout', () => {
    for (const r of rounds) {
      for (const x of r.results.filter((y) => y.probe === 'apps/endless')) {
        assert.match(x.detail ?? '', /body not read past/, `${x.probe}/${x.path}`);
        assert.ok(x.ms < TIMEOUT_MS, `${x.probe}/${x.path} took ${x.ms} ms`);
      }
    }
  });

  it('stays up with its RSS bounded over the rounds', () => {
    const rss = rounds.map((r) => Math.round(r.rssBytes / 2 ** 20));
    console.log(`# RSS per round (MiB): ${rss.join(' ')}`);
    assert.equal(child!.exitCode, null, 'the exporter is alive');
    assert.ok(Math.max(...rss) - rss[0]! < 40, `RSS grew from ${rss[0]} MiB to ${Math.max(...rss)} MiB`);
  });

  it('stops promptly on SIGTERM, aborting the round in flight', async () => {
    const exited = new Promise<number | null>((resolve) => child!.once('exit', (code) => resolve(code)));
    const t = Date.now();
    child!.kill('SIGTERM');
    const code = await exited;
    assert.equal(code, 0);
    assert.ok(Date.now() - t < 3000, `exit took ${Date.now() - t} ms`);
  });
});
