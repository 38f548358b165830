// The list+watch mirror against the project's fake API server, through the exporter's own connection
// (src/cluster/connection.ts) and watch client.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openConnection, type ApiConnection } from '../../src/cluster/kubeconfig.js';
import { startFakeApiServer, writeKubeconfig, type FakeApiServer, type FakeApiServerOptions } from '../../testkit/apiserver/index.js';
import { Reflector, type ReflectorSpec } from '../../src/cluster/reflector.js';
import { RESOURCES } from '../../src/cluster/catalog.js';
import { slimConfigMap, slimCustomResource, slimPod } from '../../src/cluster/slim.js';
import type { SlimPod } from '../../src/cluster/types.js';

const dir = mkdtempSync(join(tmpdir(), 'reflector-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const FAST = { backoff: { initialMs: 20, maxMs: 100 }, recheckMs: 100, watchTimeoutSeconds: 30 };

async function withServer(opts: FakeApiServerOptions, fn: (s: FakeApiServer, kc: ApiConnection) => Promise<void>) {
  const s = await startFakeApiServer(opts);
  const file = join(dir, `kc-${Math.random().toString(36).slice(2)}`);
  writeKubeconfig(s.url, file);
  const kc = await openConnection(file);
  try {
    await fn(s, kc);
  } finally {
    await s.close();
    kc.close();
  }
}

const pod = (name: string, labels: Record<string, string>, nodeName = 'n1') => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { namespace: 'kube-system', name, labels },
  spec: { nodeName, containers: [{ name: 'c', image: 'quay.io/cilium/cilium:v1.18.3' }] },
  status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] },
});

const ciliumPods: ReflectorSpec = {
  name: 'agent-pods',
  ref: RESOURCES.pods,
  labelSelector: 'k8s-app in (cilium,kube-proxy)',
  slim: slimPod,
};

/** Resolve once `pred` holds, re-checking on every change/state event of the reflector. */
async function until(r: Reflector, pred: () => boolean, what: string): Promise<void> {
  const deadline = AbortSignal.timeout(10_000);
  while (!pred()) {
    const events = ['change', 'state', 'watching'].map((e) => once(r, e, { signal: deadline }));
    await Promise.race(events).catch(() => {
      throw new Error(`timed out waiting for ${what}`);
    });
  }
}

const names = (r: Reflector) => (r.values() as SlimPod[]).map((p) => p.name).sort();

describe('Reflector', () => {
  it('lists with the label selector, then follows adds, updates and deletes by watch', async () => {
    await withServer({}, async (s, kc) => {
      s.store.apply(pod('cilium-a', { 'k8s-app': 'cilium' }));
      s.store.apply(pod('coredns-1', { 'k8s-app': 'kube-dns' }));
      const r = new Reflector(kc, ciliumPods, FAST);
      r.start();
      try {
        await until(r, () => r.state === 'synced', 'sync');
        assert.deepEqual(names(r), ['cilium-a']);
        s.store.apply(pod('cilium-b', { 'k8s-app': 'cilium' }));
        await until(r, () => names(r).length === 2, 'the added pod');
        s.store.apply({
          ...pod('cilium-a', { 'k8s-app': 'cilium' }),
          status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'False' }] },
        });
        await until(r, () => (r.values() as SlimPod[]).some((p) => p.name === 'cilium-a' && !p.ready), 'the update');
        s.store.delete('pods', 'kube-system', 'cilium-b');
        await until(r, () => names(r).length === 1, 'the delete');
        // relabelled out of the selector: gone from the mirror, as from a real watch
        s.store.apply(pod('cilium-a', { 'k8s-app': 'something-else' }));
        await until(r, () => names(r).length === 0, 'the relabel');
        assert.equal(r.stats.lists, 1, 'no relist while the watch is healthy');
      } finally {
        await r.stop();
      }
    });
  });

  it('resumes a dropped watch from the last resourceVersion without relisting, and misses nothing', async () => {
    await withServer({}, async (s, kc) => {
      s.store.apply(pod('cilium-a', { 'k8s-app': 'cilium' }));
      const r = new Reflector(kc, ciliumPods, FAST);
      r.start();
      try {
        await until(r, () => r.state === 'synced' && s.openWatches() === 1, 'sync and watch');
        const watchesBefore = r.stats.watches;
        assert.equal(s.dropWatches(), 1);
        // a change made while disconnected
        s.store.apply(pod('cilium-b', { 'k8s-app': 'cilium' }));
        await until(r, () => names(r).length === 2, 'the change made while disconnected');
        assert.equal(r.stats.lists, 1, 'no relist after a drop');
        assert.ok(r.stats.watches > watchesBefore, 'a new watch was opened');
        const watches = s.requests.filter((q) => q.watch && q.resource === 'pods');
        const resumed = watches.at(-1)!;
        assert.ok(
          resumed.resourceVersion && Number(resumed.resourceVersion) >= Number(watches[0]!.resourceVersion),
          'resumed from the last resourceVersion seen',
        );
      } finally {
        await r.stop();
      }
    });
  });

  it('relists after 410 Gone', async () => {
    await withServer({ historyLimit: 5 }, async (s, kc) => {
      s.store.apply(pod('cilium-a', { 'k8s-app': 'cilium' }));
      const r = new Reflector(kc, ciliumPods, FAST);
      r.start();
      try {
        await until(r, () => r.state === 'synced' && s.openWatches() === 1, 'sync');
        s.dropWatches();
        // while disconnected, enough changes elsewhere that the resume point falls out of history
        for (let i = 0; i < 20; i++)
          s.store.apply({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { namespace: 'x', name: `c${i}` }, data: {} });
        s.store.apply(pod('cilium-b', { 'k8s-app': 'cilium' }));
        await until(r, () => names(r).length === 2, 'the relist');
        assert.ok(r.stats.relists >= 1, 'relisted');
        assert.ok(r.stats.lists >= 2);
      } finally {
        await r.stop();
      }
    });
  });

  it('reports an optional CRD that is not installed as absent, and picks it up once installed', async () => {
    await withServer({}, async (s, kc) => {
      const r = new Reflector(kc, { name: 'felix', ref: RESOURCES.felixconfigurations, optional: true, slim: slimCustomResource }, FAST);
      r.start();
      try {
        await until(r, () => r.state === 'absent', 'absent');
        s.store.install('felixconfigurations');
        s.store.apply({
          apiVersion: 'crd.projectcalico.org/v1',
          kind: 'FelixConfiguration',
          metadata: { name: 'default' },
          spec: { bpfEnabled: true },
        });
        await until(r, () => r.state === 'synced' && r.size === 1, 'the CRD after install');
      } finally {
        await r.stop();
      }
    });
  });

  it('reports 403 as forbidden, keeps retrying slowly, and recovers when allowed', async () => {
    await withServer({}, async (s, kc) => {
      s.faults.set({ resource: 'configmaps' }, { status: 403 });
      const r = new Reflector(
        kc,
        { name: 'configmap/cilium-config', ref: RESOURCES.configmaps, fieldSelector: 'metadata.name=cilium-config', slim: slimConfigMap },
        FAST,
      );
      r.start();
      try {
        await until(r, () => r.state === 'forbidden', 'forbidden');
        assert.match(r.lastError, /403/);
        s.faults.clear();
        s.store.apply({
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { namespace: 'kube-system', name: 'cilium-config' },
          data: { 'kube-proxy-replacement': 'true' },
        });
        await until(r, () => r.state === 'synced' && r.size === 1, 'recovery');
      } finally {
        await r.stop();
      }
    });
  });

  it('goes to error on 500s and comes back without a restart', async () => {
    await withServer({}, async (s, kc) => {
      s.store.apply(pod('cilium-a', { 'k8s-app': 'cilium' }));
      const r = new Reflector(kc, ciliumPods, FAST);
      r.start();
      try {
        await until(r, () => r.state === 'synced' && s.openWatches() === 1, 'sync');
        s.faults.set({ resource: 'pods' }, { status: 500 });
        s.dropWatches();
        await until(r, () => r.state === 'error', 'error state');
        assert.deepEqual(names(r), ['cilium-a'], 'keeps what it had');
        s.faults.clear();
        s.store.apply(pod('cilium-b', { 'k8s-app': 'cilium' }));
        await until(r, () => r.state === 'synced' && names(r).length === 2, 'recovery with the new pod');
      } finally {
        await r.stop();
      }
    });
  });

  it('pages through large lists with limit and continue', async () => {
    await withServer({}, async (s, kc) => {
      for (let i = 0; i < 1200; i++) s.store.apply(pod(`cilium-${i}`, { 'k8s-app': 'cilium' }, `n${i}`));
      const r = new Reflector(kc, ciliumPods, { ...FAST, pageSize: 500 });
      r.start();
      try {
        await until(r, () => r.state === 'synced', 'sync');
        assert.equal(r.size, 1200);
        assert.equal(r.stats.listPages, 3);
      } finally {
        await r.stop();
      }
    });
  });
});

describe('Reflector against an API server that does not stream watches', () => {
  it('relists on an interval instead of spinning, and still sees changes', async () => {
    // A minimal server: every GET of the collection answers the current list, ?watch=true included.
    let items = [pod('cilium-a', { 'k8s-app': 'cilium' })];
    let requests = 0;
    const { createServer } = await import('node:http');
    const server = createServer((_req, res) => {
      requests++;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ kind: 'PodList', apiVersion: 'v1', metadata: { resourceVersion: '7' }, items }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const file = join(dir, 'kc-listonly');
    writeKubeconfig(`http://127.0.0.1:${(server.address() as { port: number }).port}`, file);
    const kc = await openConnection(file);
    const r = new Reflector(kc, ciliumPods, { ...FAST, degradedRelistMs: 100 });
    const degraded = once(r, 'degraded');
    r.start();
    try {
      await until(r, () => r.state === 'synced', 'sync');
      await degraded;
      items = [...items, pod('cilium-b', { 'k8s-app': 'cilium' })];
      await until(r, () => names(r).length === 2, 'the change, by relisting');
      assert.equal(r.state, 'synced', 'a server without watch is not an error');
      assert.ok(requests < 40, `no tight loop: ${requests} requests`);
    } finally {
      await r.stop();
      kc.close();
      server.close();
    }
  });
});
