// Verdicts that blame only the service proxy, on a real kernel data plane (kube-proxy iptables rules in a
// network namespace, the whole exporter inside it, see exporter-driver.ts):
//   an opted-in Service whose backend answers 500 (backend_error) and one whose backend is down
//   (backend_down), next to a healthy apiserver probe → service_lb_functional 1, the verdict series say why;
//   the apiserver VIP's DNAT rule removed → service_lb_functional 0 and
//   service_lb_probe_verdict{probe="apiserver",verdict="proxy_broken"} 1 within one probe interval + 1 s.
// Needs root; skipped with a message otherwise, and a failure under CI=true (see dataplaneSkip).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { slimEndpointSlice, slimService } from '../../src/cluster/slim.js';
import { VERDICTS } from '../../src/probe/differential.js';
import { ANNOTATIONS } from '../../src/probe/targets.js';
import { kubeadmProxyConfig, kubeProxyDs, kubeProxyPod, twoNodes } from '../../testkit/objects/minimal.js';
import type { MetricSample, RoundReport } from './exporter-driver.js';
import { rawService, rawSlice } from './objects.js';
import {
  createNetnsPair,
  dataplaneSkip,
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
const FLIP_BOUND_MS = INTERVAL_MS + 1000;

const optIn = { [ANNOTATIONS.probe]: 'true', [ANNOTATIONS.path]: '/' };
const services = [
  rawService('default', 'kubernetes', '198.18.100.1', [{ name: 'https', port: 443 }]),
  // the application answers every request with HTTP 500
  rawService('apps', 'failing', '198.18.100.31', [{ name: 'http', port: 80 }], optIn),
  // the application's only pod is gone: nothing listens on its port
  rawService('apps', 'gone', '198.18.100.32', [{ name: 'http', port: 80 }], optIn),
];
const endpointSlices = [
  rawSlice('default', 'kubernetes', [{ name: 'https', port: 6443 }], [SERVER]),
  rawSlice('apps', 'failing', [{ name: 'http', port: 8082 }], [SERVER]),
  rawSlice('apps', 'gone', [{ name: 'http', port: 8083 }], [SERVER]),
];
const clusterObjects = [
  ...twoNodes(),
  kubeProxyDs({ desired: 2 }),
  kubeProxyPod('node-aaaa1'),
  kubeProxyPod('node-bbbb2'),
  kubeadmProxyConfig('iptables'),
];
const kubeProxy = kubeServicePorts(services.map(slimService), endpointSlices.map(slimEndpointSlice));
const PROBES = ['apiserver', 'apps/failing', 'apps/gone'];

type Round = RoundReport & { receivedAt: number };

const metric = (r: Round, name: string, labels: Record<string, string> = {}): number | undefined =>
  r.metrics.find((s: MetricSample) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;

const verdictOf = (r: Round, probe: string): string[] =>
  r.metrics.filter((s) => s.name === 'service_lb_probe_verdict' && s.labels.probe === probe && s.value === 1).map((s) => s.labels.verdict!);

const summary = (r: Round): string =>
  `round #${r.seq} functional=${metric(r, 'service_lb_functional')} ` +
  PROBES.map((p) => `${p}=${verdictOf(r, p).join('+') || 'none'}`).join(' ') +
  ' ' +
  r.results.map((x) => `${x.probe}/${x.path}=${x.success ? 'ok' : x.reason}`).join(' ');

describe('verdicts on a kube-proxy iptables data plane: only the service proxy is blamed', { skip }, () => {
  let pair: NetnsPair | undefined;
  let dir: string | undefined;
  const rounds: Round[] = [];
  const waiters = new Set<() => void>();
  let stderr = '';

  /** The first round received at or after `since` that satisfies pred. */
  const round = (what: string, pred: (r: Round) => boolean, since = 0, timeoutMs = 5 * INTERVAL_MS): Promise<Round> =>
    new Promise((resolve, reject) => {
      const check = () => {
        const hit = rounds.find((r) => r.receivedAt >= since && pred(r));
        if (hit) done(() => resolve(hit));
      };
      const timer = setTimeout(() => {
        const last = rounds.at(-1);
        done(() =>
          reject(
            new Error(
              `timed out after ${timeoutMs} ms waiting for ${what}; last: ${last ? summary(last) : 'no round'}; stderr: ${stderr.trim()}`,
            ),
          ),
        );
      }, timeoutMs);
      const done = (then: () => void) => {
        clearTimeout(timer);
        waiters.delete(check);
        then();
      };
      waiters.add(check);
      check();
    });

  before(
    async () => {
      pair = await createNetnsPair({ clientIP: CLIENT, serverIP: SERVER });
      await startBackends(pair, { https: [{ port: 6443, status: 403 }], httpStatus: [{ port: 8082, status: 500 }] });
      await syncKubeProxyRules(pair.client, kubeProxy);
      dir = mkdtempSync(join(tmpdir(), 'spe-verdicts-'));
      const objects = [...clusterObjects, ...services, ...endpointSlices];
      const child = await spawnExporterDriver(
        pair,
        { objects, dir, listen: `${CLIENT}:9808`, intervalMs: INTERVAL_MS, timeoutMs: TIMEOUT_MS },
        {
          onLine: (line) => {
            let o: { type?: string };
            try {
              o = JSON.parse(line) as { type?: string };
            } catch {
              return;
            }
            if (o.type !== 'round') return;
            rounds.push({ ...(o as RoundReport), receivedAt: Date.now() });
            for (const w of [...waiters]) w();
          },
        },
      );
      child.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
    },
    { timeout: 60_000 },
  );

  after(async () => {
    await pair?.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('an app answering 500 and an app whose backend is down, next to a healthy apiserver: service_lb_functional 1', async () => {
    // once the EndpointSlices of the opted-in Services are watched too, every probe has its endpoint path
    const r = await round(
      'a round probing every Service and its endpoint',
      (x) => PROBES.every((p) => x.results.some((y) => y.probe === p && y.path === 'endpoint')),
      0,
      20_000,
    );
    assert.equal(metric(r, 'service_lb_functional'), 1, summary(r));
    assert.deepEqual(verdictOf(r, 'apiserver'), ['ok'], summary(r));
    assert.deepEqual(verdictOf(r, 'apps/failing'), ['backend_error'], summary(r));
    assert.deepEqual(verdictOf(r, 'apps/gone'), ['backend_down'], summary(r));
    for (const probe of PROBES) {
      const series = r.metrics.filter((s) => s.name === 'service_lb_probe_verdict' && s.labels.probe === probe);
      assert.deepEqual(series.map((s) => s.labels.verdict).sort(), [...VERDICTS].sort(), `${probe}: one series per known verdict`);
    }
    assert.equal(
      r.results.find((x) => x.probe === 'apps/failing' && x.path === 'vip')?.reason,
      'http_status',
      'the VIP delivered, the app failed',
    );
  });

  it(`the apiserver VIP's DNAT rule removed: service_lb_functional 0 and apiserver proxy_broken within ${FLIP_BOUND_MS} ms`, async () => {
    const start = Date.now();
    await syncKubeProxyRules(
      pair!.client,
      kubeProxy.filter((p) => !p.servicePortName.startsWith('default/kubernetes:')),
    );
    const removedAt = Date.now();
    const broken = await round(
      'apiserver proxy_broken and service_lb_functional 0',
      (x) => metric(x, 'service_lb_functional') === 0 && verdictOf(x, 'apiserver')[0] === 'proxy_broken',
      start,
      4 * INTERVAL_MS,
    ).catch(async (e: Error) => assert.fail(`${e.message}\n${await natTable(pair!.client).catch(() => '')}`));
    const latency = broken.receivedAt - removedAt;
    console.log(
      `# apiserver DNAT removed → service_lb_functional 0, apiserver proxy_broken scraped after ${latency} ms (bound ${FLIP_BOUND_MS} ms)`,
    );
    assert.ok(latency <= FLIP_BOUND_MS, `${latency} ms after the rule went, more than one interval + 1 s`);
    assert.equal(metric(broken, 'service_lb_probe_verdict', { probe: 'apiserver', verdict: 'proxy_broken' }), 1);
    assert.equal(metric(broken, 'service_lb_probe_verdict', { probe: 'apiserver', verdict: 'ok' }), 0);
    assert.deepEqual(verdictOf(broken, 'apps/failing'), ['backend_error'], 'the other Services still go through');
    assert.equal(metric(broken, 'service_lb_probe_success', { probe: 'apiserver', path: 'endpoint' }), 1, 'the API server itself answers');
  });

  it('the rule back: service_lb_functional 1 again', async () => {
    const healedAt = Date.now();
    await syncKubeProxyRules(pair!.client, kubeProxy);
    const r = await round(
      'service_lb_functional 1 once the rule is back',
      (x) => metric(x, 'service_lb_functional') === 1,
      healedAt,
      4 * INTERVAL_MS,
    );
    assert.deepEqual(verdictOf(r, 'apiserver'), ['ok'], summary(r));
  });
});
