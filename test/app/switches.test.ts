// The switches that decide what runs, through the whole exporter against the fake API server: the opt-in
// annotation (one reading for target discovery and for the EndpointSlice watch), `disabledProbes` and
// `disabledDetectors`. Probers are stubbed (every probe succeeds): this is about which targets exist.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { startHarness, sample, type Harness } from '../helpers/exporter.js';
import { ciliumConfig, ciliumDs, ciliumPod, twoNodes } from '../../testkit/objects/minimal.js';
import { ANNOTATIONS, isOptedIn } from '../../src/probe/targets.js';
import type { ProberTable, ProbeResult } from '../../src/probe/types.js';
import type { ProbeView } from '../../src/app/probes.js';

const succeed = async (): Promise<ProbeResult> => ({ success: true, durationSeconds: 0.001 });
const probers: ProberTable = { tcp: succeed, http: succeed, tls: succeed, dns: succeed };

type Port = { name: string; port: number; protocol?: 'TCP' | 'UDP' };
const rawService = (namespace: string, name: string, clusterIP: string, ports: Port[], annotations: Record<string, string> = {}) => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { namespace, name, uid: `uid-${namespace}-${name}`, annotations },
  spec: {
    type: 'ClusterIP',
    clusterIP,
    clusterIPs: [clusterIP],
    selector: { app: name },
    ports: ports.map((p) => ({ protocol: 'TCP', targetPort: p.port, ...p })),
  },
});
const rawSlice = (namespace: string, service: string, ports: Port[], ip: string) => ({
  apiVersion: 'discovery.k8s.io/v1',
  kind: 'EndpointSlice',
  metadata: { namespace, name: `${service}-abcde`, labels: { 'kubernetes.io/service-name': service } },
  addressType: 'IPv4',
  ports: ports.map((p) => ({ protocol: 'TCP', ...p })),
  endpoints: [{ addresses: [ip], conditions: { ready: true, serving: true, terminating: false }, nodeName: 'node-aaaa1' }],
});

const dnsPorts: Port[] = [
  { name: 'dns', port: 53, protocol: 'UDP' },
  { name: 'dns-tcp', port: 53 },
];
const cluster = (webOptIn: string) => [
  ...twoNodes(),
  rawService('default', 'kubernetes', '198.18.100.1', [{ name: 'https', port: 443 }]),
  rawSlice('default', 'kubernetes', [{ name: 'https', port: 6443 }], '198.18.0.2'),
  rawService('kube-system', 'kube-dns', '198.18.100.10', dnsPorts),
  rawSlice('kube-system', 'kube-dns', dnsPorts, '198.18.0.3'),
  rawService('apps', 'web', '198.18.100.30', [{ name: 'http', port: 80 }], { [ANNOTATIONS.probe]: webOptIn }),
  rawSlice('apps', 'web', [{ name: 'http', port: 8080 }], '198.18.0.4'),
];

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function configFile(yaml: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'spe-switches-'));
  dirs.push(dir);
  const file = join(dir, 'config.yaml');
  writeFileSync(file, yaml);
  return file;
}

const names = (v: ProbeView): string[] => v.targets.map((t) => `${t.probe}/${t.path}`);

/** Resolves with the probe view once pred holds; checked after every coalesced source change (targets follow them). */
function targetsWhere(h: Harness, what: string, pred: (v: ProbeView) => boolean, timeoutMs = 15_000): Promise<ProbeView> {
  const probes = h.running.probes;
  const sources = h.running.exporter.sources;
  return new Promise((resolve, reject) => {
    const check = () => {
      if (pred(probes.state)) done(() => resolve(probes.state));
    };
    const timer = setTimeout(
      () => done(() => reject(new Error(`timed out waiting for ${what}; targets: ${names(probes.state).join(' ')}`))),
      timeoutMs,
    );
    const done = (then: () => void) => {
      clearTimeout(timer);
      sources.off('change', check);
      then();
    };
    sources.on('change', check);
    check();
  });
}

/** Resolves with the view of the first published round (the current one counts) that satisfies pred; asks for rounds until then. */
async function roundWhere(h: Harness, pred: (v: ProbeView) => boolean, timeoutMs = 15_000): Promise<ProbeView> {
  const probes = h.running.probes;
  const signal = AbortSignal.timeout(timeoutMs);
  while (!pred(probes.state)) {
    // the round asked for, or the one already in flight (runNow does not start a second one)
    const next = once(probes, 'round', { signal });
    void probes.runNow();
    await next;
  }
  return probes.state;
}

describe('the opt-in annotation: one reading everywhere', () => {
  it('reads "true" tolerantly (case, surrounding spaces) and nothing else', () => {
    const svc = (v?: string): { annotations: Record<string, string> } => ({
      annotations: v === undefined ? {} : { [ANNOTATIONS.probe]: v },
    });
    for (const v of ['true', 'True', 'TRUE', ' true ']) assert.equal(isOptedIn(svc(v)), true, JSON.stringify(v));
    for (const v of [undefined, '', 'false', 'yes', '1', 'on', 'truee']) assert.equal(isOptedIn(svc(v)), false, JSON.stringify(v));
  });

  it('a Service annotated "True" is probed through its VIP and its endpoint: its EndpointSlices are watched', async () => {
    const h = await startHarness({ objects: cluster('True'), probers });
    try {
      const v = await targetsWhere(h, 'apps/web with its endpoint', (x) => names(x).includes('apps/web/endpoint'));
      assert.ok(names(v).includes('apps/web/vip'));
      const ep = v.targets.find((t) => t.probe === 'apps/web' && t.path === 'endpoint');
      assert.equal(`${ep?.host}:${ep?.port}`, '198.18.0.4:8080', 'the endpoint comes from the watched EndpointSlice');
      assert.equal(
        v.skipped.find((s) => s.probe === 'apps/web'),
        undefined,
      );
    } finally {
      await h.close();
    }
  });
});

describe('disabledProbes and disabledDetectors turn things off', () => {
  it('without switches every probe runs (the control)', async () => {
    const h = await startHarness({ objects: cluster('true'), probers });
    try {
      const v = await targetsWhere(h, 'every probe with its endpoint', (x) =>
        ['apiserver', 'dns_udp', 'dns_tcp', 'apps/web'].every((p) => names(x).includes(`${p}/endpoint`)),
      );
      assert.ok(names(v).includes('apiserver/vip'));
    } finally {
      await h.close();
    }
  });

  it('disabledProbes [dns, annotated] leaves only the apiserver probe, and exports nothing for the others', async () => {
    const h = await startHarness({
      objects: cluster('true'),
      probers,
      flags: { config: configFile('disabledProbes: [dns, annotated]\n') },
    });
    try {
      const v = await targetsWhere(h, 'the apiserver probe', (x) => names(x).includes('apiserver/endpoint'));
      assert.deepEqual(names(v), ['apiserver/vip', 'apiserver/endpoint']);
      const round = await roundWhere(h, (x) => Object.keys(x.lastRound?.classifications ?? {}).length > 0);
      assert.deepEqual(Object.keys(round.lastRound!.classifications), ['apiserver']);
      const text = await h.scrape();
      assert.equal(sample(text, 'service_lb_probe_verdict{probe="apiserver",family="ipv4",verdict="ok"}'), 1);
      assert.doesNotMatch(text, /probe="(dns_udp|dns_tcp|apps\/web)"/);
    } finally {
      await h.close();
    }
  });

  it('disabledProbes [apiserver] drops the apiserver probe only', async () => {
    const h = await startHarness({ objects: cluster('true'), probers, flags: { config: configFile('disabledProbes: [apiserver]\n') } });
    try {
      const v = await targetsWhere(h, 'dns and apps/web', (x) => ['dns_udp', 'apps/web'].every((p) => names(x).includes(`${p}/endpoint`)));
      assert.ok(!names(v).some((n) => n.startsWith('apiserver/')), names(v).join(' '));
    } finally {
      await h.close();
    }
  });

  it('disabledDetectors [cilium]: a Cilium KPR cluster is no longer reported as cilium-kpr', async () => {
    const ciliumCluster = [
      ...twoNodes(),
      ciliumDs('v1.18.3'),
      ciliumPod('node-aaaa1', 'v1.18.3'),
      ciliumPod('node-bbbb2', 'v1.18.3'),
      ciliumConfig({ 'kube-proxy-replacement': 'true', 'kube-proxy-replacement-healthz-bind-address': '0.0.0.0:10256' }),
    ];
    const on = await startHarness({ objects: ciliumCluster, probers });
    try {
      await on.ready();
      assert.equal(sample(await on.scrape(), 'proxy_provider{type="cilium-kpr"}'), 1, 'the control: cilium is detected');
    } finally {
      await on.close();
    }
    const off = await startHarness({ objects: ciliumCluster, probers, flags: { config: configFile('disabledDetectors: [cilium]\n') } });
    try {
      await off.ready();
      const text = await off.scrape();
      assert.equal(sample(text, 'proxy_provider{type="cilium-kpr"}'), 0);
      assert.equal(sample(text, 'proxy_provider{type="none"}'), 1, 'nothing else programs Services here');
    } finally {
      await off.close();
    }
  });
});

describe('IP families through the whole exporter', () => {
  it('a dual-stack Service shows both families; made single-stack, its ipv6 series go', async () => {
    const web = rawService('apps', 'web', '198.18.100.30', [{ name: 'http', port: 80 }], { [ANNOTATIONS.probe]: 'true' });
    const dual = { ...web, spec: { ...web.spec, clusterIPs: ['198.18.100.30', 'fd00:198:18:100::30'], ipFamilies: ['IPv4', 'IPv6'] } };
    const v6slice = {
      ...rawSlice('apps', 'web', [{ name: 'http', port: 8080 }], 'fd00:198:18::4'),
      metadata: { namespace: 'apps', name: 'web-v6', labels: { 'kubernetes.io/service-name': 'web' } },
      addressType: 'IPv6',
    };
    const objects = [...cluster('true').filter((o) => !(o.kind === 'Service' && o.metadata.name === 'web')), dual, v6slice];
    const h = await startHarness({ objects, probers });
    try {
      const has = (family: string) => (v: ProbeView) =>
        v.targets.some((t) => t.probe === 'apps/web' && t.path === 'endpoint' && t.family === family);
      await targetsWhere(h, 'both families of apps/web', (v) => has('ipv4')(v) && has('ipv6')(v));
      // a round that compared both families with their endpoints (the first may come before the slices are read)
      await roundWhere(
        h,
        (v) => (v.lastRound?.results ?? []).filter((r) => r.target.probe === 'apps/web' && r.target.path === 'endpoint').length === 2,
      );
      let text = await h.scrape();
      assert.equal(sample(text, 'service_lb_probe_verdict{probe="apps/web",family="ipv6",verdict="ok"}'), 1);
      assert.equal(sample(text, 'service_lb_probe_success{probe="apps/web",path="endpoint",family="ipv6"}'), 1);
      assert.equal(sample(text, 'service_lb_probes_total{probe="apps/web",path="vip",family="ipv6"}')! >= 1, true);
      h.api.store.apply(web as never);
      await targetsWhere(h, 'apps/web single-stack', (v) => has('ipv4')(v) && !v.targets.some((t) => t.family === 'ipv6'));
      await roundWhere(h, (v) => v.lastRound !== undefined && !v.lastRound.results.some((r) => r.target.family === 'ipv6'));
      text = await h.scrape();
      assert.doesNotMatch(text, /family="ipv6"/, 'no series of the family that went away');
      assert.equal(sample(text, 'service_lb_probe_verdict{probe="apps/web",family="ipv4",verdict="ok"}'), 1);
    } finally {
      await h.close();
    }
  });
});
