// The test programmer (kube-proxy stand-in) on a real kernel: Services and EndpointSlices written to
// the fake API server become iptables DNAT in the client namespace, after the injected delay; a
// frozen programmer writes nothing while the old rules keep forwarding; thawed, it catches up.
// Needs root; skipped with a message otherwise, a failure under CI=true (see dataplaneSkip).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startFakeApiServer, type FakeApiServer } from '../../testkit/apiserver/index.js';
import {
  connectInNamespace,
  createNetnsPair,
  dataplaneSkip,
  kubeProxyRestoreInput,
  natTable,
  sepChain,
  startBackends,
  svcChain,
  type NetnsPair,
} from './netns.js';
import { startProgrammer, type Programmer } from './programmer.js';

const skip = await dataplaneSkip();
const NS = 'service-proxy-exporter';
const NAME = 'service-proxy-exporter-canary';
const VIP = '198.18.100.50';
const DELAY_MS = 1000;
const SLICES = `/apis/discovery.k8s.io/v1/namespaces/${NS}/endpointslices`;

function slice(port: number, ip: string) {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {
      name: NAME,
      namespace: NS,
      labels: { 'kubernetes.io/service-name': NAME, 'endpointslice.kubernetes.io/managed-by': 'service-proxy-exporter.io' },
    },
    addressType: 'IPv4',
    endpoints: [{ addresses: [ip], conditions: { ready: true } }],
    ports: [{ name: 'canary', port, protocol: 'TCP' }],
  };
}

async function send(api: FakeApiServer, method: string, path: string, body: unknown): Promise<any> {
  const res = await fetch(api.url + path, { method, body: JSON.stringify(body), headers: { 'Content-Type': 'application/json' } });
  const json = await res.json();
  assert.ok(res.ok, `${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

describe('test programmer: a kube-proxy stand-in with delay and freeze', { skip, timeout: 90_000 }, () => {
  let pair: NetnsPair | undefined;
  let api: FakeApiServer | undefined;
  let programmer: Programmer | undefined;
  const programmedAt: { ports: string; at: number }[] = [];
  const viaVip = async (): Promise<string> => {
    const r = await connectInNamespace(pair!.client, VIP, 80, 1000);
    return r.ok ? r.data.trim() : r.code;
  };
  const canaryTarget = (ports: { servicePortName: string; endpoints: { port: number }[] }[]) =>
    ports
      .find((p) => p.servicePortName === `${NS}/${NAME}:canary`)
      ?.endpoints.map((e) => e.port)
      .join(',') || 'none';

  before(async () => {
    pair = await createNetnsPair();
    await startBackends(pair, { identity: [9810, 9811, 9812] });
    api = await startFakeApiServer();
  });
  after(async () => {
    await programmer?.stop();
    await api?.close();
    await pair?.destroy();
  });

  it('programs a Service and its slice created through the API: the VIP reaches the backend', async () => {
    const p = await startProgrammer({
      apiUrl: api!.url,
      netns: pair!.client,
      delayMs: DELAY_MS,
      onProgrammed: (ports, at) => programmedAt.push({ ports: canaryTarget(ports), at }),
    });
    programmer = p;
    await p.ready;
    await send(api!, 'POST', `/api/v1/namespaces/${NS}/services`, {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: NAME, namespace: NS },
      spec: {
        type: 'ClusterIP',
        clusterIP: VIP,
        clusterIPs: [VIP],
        ports: [{ name: 'canary', port: 80, protocol: 'TCP', targetPort: 9810 }],
      },
    });
    await send(api!, 'POST', SLICES, slice(9810, pair!.serverIP));
    await p.synced();
    assert.equal(await viaVip(), '9810', await natTable(pair!.client));
  });

  it('a port change reaches the VIP only after the delay', async () => {
    const p = programmer!;
    const current = (await (await fetch(`${api!.url}${SLICES}/${NAME}`)).json()) as { metadata: object };
    const before = programmedAt.length;
    await send(api!, 'PUT', `${SLICES}/${NAME}`, { ...slice(9811, pair!.serverIP), metadata: current.metadata });
    const writtenAt = Date.now();
    assert.equal(canaryTarget(p.programmed()), '9810', 'not programmed before the delay');
    await p.synced();
    assert.equal(await viaVip(), '9811');
    const sync = programmedAt.slice(before).find((e) => e.ports === '9811');
    assert.ok(sync, `programmed: ${JSON.stringify(programmedAt)}`);
    const latency = sync.at - writtenAt;
    assert.ok(latency >= DELAY_MS - 50 && latency < DELAY_MS + 1500, `programmed ${latency} ms after the write`);
  });

  it('frozen: a change is not programmed and the old rules still forward; thawed: programmed', async () => {
    const p = programmer!;
    p.freeze();
    p.setDelay(100);
    const syncs = p.syncs;
    const current = (await (await fetch(`${api!.url}${SLICES}/${NAME}`)).json()) as { metadata: object };
    await send(api!, 'PUT', `${SLICES}/${NAME}`, { ...slice(9812, pair!.serverIP), metadata: current.metadata });
    // Proving an absence: give the change well over the (now short) delay to show up, then look.
    const settled = p.synced();
    let done = false;
    void settled.then(() => (done = true));
    await new Promise((r) => setTimeout(r, 1000));
    assert.equal(done, false, 'synced() waits for thaw while frozen');
    assert.equal(p.syncs, syncs, 'nothing written while frozen');
    assert.equal(canaryTarget(p.programmed()), '9811');
    assert.equal(await viaVip(), '9811', 'existing rules keep forwarding');
    p.thaw();
    await settled;
    assert.equal(await viaVip(), '9812');
    assert.equal(p.frozen, false);
  });

  it('a deleted slice removes the rule; the Service selector leaves other Services alone', async () => {
    const p = programmer!;
    p.setDelay(0);
    await fetch(`${api!.url}${SLICES}/${NAME}`, { method: 'DELETE' });
    await p.synced();
    assert.equal(canaryTarget(p.programmed()), 'none');
    assert.doesNotMatch(await natTable(pair!.client), /-A KUBE-SERVICES -d 198\.18\.100\.50\/32/);
    await p.stop();
    const only = await startProgrammer({ apiUrl: api!.url, netns: pair!.client, serviceSelector: (svc) => svc.name !== NAME });
    programmer = only;
    await send(api!, 'POST', SLICES, slice(9810, pair!.serverIP));
    await only.synced();
    assert.equal(canaryTarget(only.programmed()), 'none');
  });
});

describe('the kube-proxy rule builder (no kernel needed)', () => {
  it('one restore input: KUBE-SERVICES → KUBE-SVC → KUBE-SEP → DNAT, stale chains flushed and deleted', () => {
    const port = {
      servicePortName: `${NS}/${NAME}:canary`,
      protocol: 'tcp' as const,
      vip: VIP,
      port: 80,
      endpoints: [{ ip: '198.18.0.2', port: 9811 }],
    };
    const svc = svcChain(port);
    const sep = sepChain(port, port.endpoints[0]!);
    const stale = sepChain(port, { ip: '198.18.0.2', port: 9810 });
    const text = kubeProxyRestoreInput([port], [svc, stale]);
    assert.deepEqual(text.split('\n'), [
      '*nat',
      ':KUBE-SERVICES - [0:0]',
      `:${svc} - [0:0]`,
      `:${sep} - [0:0]`,
      `:${stale} - [0:0]`,
      `-A KUBE-SERVICES -d ${VIP}/32 -p tcp -m comment --comment "${NS}/${NAME}:canary cluster IP" -m tcp --dport 80 -j ${svc}`,
      `-A ${svc} -m comment --comment "${NS}/${NAME}:canary -> 198.18.0.2:9811" -j ${sep}`,
      `-A ${sep} -p tcp -m comment --comment "${NS}/${NAME}:canary" -m tcp -j DNAT --to-destination 198.18.0.2:9811`,
      `-X ${stale}`,
      'COMMIT',
      '',
    ]);
  });
});
