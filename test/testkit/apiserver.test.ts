// The fake API server, driven through @kubernetes/client-node exactly as the exporter drives a real one.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiException, CoreV1Api, CustomObjectsApi, KubeConfig, Watch } from '@kubernetes/client-node';
import {
  startFakeApiServer,
  writeKubeconfig,
  type FakeApiServer,
  type FakeApiServerOptions,
  type K8sObject,
} from '../../testkit/apiserver/index.js';

const dir = mkdtempSync(join(tmpdir(), 'fake-apiserver-'));
after(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
function kubeConfigFor(server: FakeApiServer): KubeConfig {
  const file = join(dir, `kubeconfig-${++n}`);
  writeKubeconfig(server.url, file);
  const kc = new KubeConfig();
  kc.loadFromFile(file);
  return kc;
}

async function withServer(opts: FakeApiServerOptions, fn: (s: FakeApiServer, kc: KubeConfig) => Promise<void>): Promise<void> {
  const s = await startFakeApiServer(opts);
  try {
    await fn(s, kubeConfigFor(s));
  } finally {
    await s.close();
  }
}

function pod(ns: string, name: string, labels: Record<string, string> = {}, nodeName = 'node-1'): K8sObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { namespace: ns, name, labels },
    spec: { nodeName, containers: [{ name: 'c', image: 'img:1' }] },
    status: { phase: 'Running' },
  };
}
function node(name: string): K8sObject {
  return { apiVersion: 'v1', kind: 'Node', metadata: { name, labels: { 'kubernetes.io/hostname': name } } };
}
function configMap(ns: string, name: string): K8sObject {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { namespace: ns, name }, data: { k: 'v' } };
}

interface Event {
  type: string;
  object: any;
}

/** A running Watch that collects its events; `until` awaits a condition on them (bounded, so a bug fails rather than hangs). */
async function watch(kc: KubeConfig, path: string, params: Record<string, string | number | boolean | undefined>) {
  const events: Event[] = [];
  const waiters = new Set<() => void>();
  let doneResolve!: (err: unknown) => void;
  const done = new Promise<unknown>((r) => (doneResolve = r));
  const controller = await new Watch(kc).watch(
    path,
    params,
    (type, object) => {
      events.push({ type, object });
      for (const w of waiters) w();
    },
    (err) => doneResolve(err ?? null),
  );
  return {
    events,
    done,
    types: () => events.map((e) => `${e.type} ${e.object?.metadata?.name ?? ''}`.trim()),
    until(pred: (ev: Event[]) => boolean, ms = 5000): Promise<void> {
      if (pred(events)) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`timed out; events so far: ${JSON.stringify(events.map((e) => e.type))}`));
        }, ms);
        const check = () => {
          if (!pred(events)) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve();
        };
        waiters.add(check);
      });
    },
    stop: () => controller.abort(),
  };
}

async function apiError(p: Promise<unknown>): Promise<ApiException<string>> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof ApiException, `expected ApiException, got ${String(err)}`);
    return err as ApiException<string>;
  }
  assert.fail('expected the call to fail');
}

describe('fake API server: list', { timeout: 30_000 }, () => {
  let s: FakeApiServer;
  let core: CoreV1Api;
  before(async () => {
    s = await startFakeApiServer();
    core = kubeConfigFor(s).makeApiClient(CoreV1Api);
    for (let i = 0; i < 30; i++) {
      s.store.apply(
        pod(
          i % 2 ? 'kube-system' : 'other',
          `p-${String(i).padStart(2, '0')}`,
          { 'k8s-app': i % 3 === 0 ? 'cilium' : 'web' },
          `node-${i % 4}`,
        ),
      );
    }
  });
  after(() => s.close());

  it('pages through a label-selected list with limit and continue, in a consistent order without repeats', async () => {
    const names: string[] = [];
    let cont: string | undefined;
    let pages = 0;
    do {
      const list = await core.listPodForAllNamespaces({ labelSelector: 'k8s-app=cilium', limit: 3, ...(cont ? { _continue: cont } : {}) });
      assert.ok(list.items.length <= 3);
      names.push(...list.items.map((p) => p.metadata!.name!));
      cont = list.metadata?._continue;
      pages++;
    } while (cont);
    const expected = s.store
      .list('pods')
      .filter((p) => p.metadata?.labels?.['k8s-app'] === 'cilium')
      .map((p) => p.metadata!.name!);
    assert.equal(expected.length, 10);
    assert.deepEqual(names, expected);
    assert.equal(pages, 4);
  });

  it('filters by field selector, set-based label selector and namespace', async () => {
    const onNode = await core.listPodForAllNamespaces({ fieldSelector: 'spec.nodeName=node-1,metadata.namespace!=other' });
    assert.ok(onNode.items.length > 0);
    assert.ok(onNode.items.every((p) => p.spec?.nodeName === 'node-1' && p.metadata?.namespace === 'kube-system'));
    const set = await core.listPodForAllNamespaces({ labelSelector: 'k8s-app in (cilium, web),k8s-app notin (web)' });
    assert.equal(set.items.length, 10);
    const ns = await core.listNamespacedPod({ namespace: 'other' });
    assert.equal(ns.items.length, 15);
    assert.ok(ns.items.every((p) => p.metadata?.namespace === 'other'));
  });

  it('reports the current resourceVersion and the list kind', async () => {
    const list = await core.listPodForAllNamespaces({});
    assert.equal(list.metadata?.resourceVersion, String(s.store.resourceVersion));
    assert.equal(list.kind, 'PodList');
  });

  it('rejects a malformed selector with 400', async () => {
    const err = await apiError(core.listPodForAllNamespaces({ labelSelector: 'k8s-app in (a' }));
    assert.equal(err.code, 400);
  });

  it('serves single objects and 404s missing ones with a NotFound Status', async () => {
    const p = await core.readNamespacedPod({ namespace: 'other', name: 'p-00' });
    assert.equal(p.spec?.nodeName, 'node-0');
    assert.ok(p.metadata?.uid);
    const err = await apiError(core.readNamespacedPod({ namespace: 'other', name: 'nope' }));
    assert.equal(err.code, 404);
    assert.equal(JSON.parse(err.body).reason, 'NotFound');
  });

  it('lists nodes (cluster-scoped)', async () => {
    s.store.loadObjects([node('b'), node('a')]);
    const nodes = await core.listNode();
    assert.deepEqual(
      nodes.items.map((x) => x.metadata?.name),
      ['a', 'b'],
    );
  });

  it('answers /version and records every request', async () => {
    const res = await fetch(`${s.url}/version`);
    assert.equal(((await res.json()) as { gitVersion: string }).gitVersion, 'v1.31.0');
    await core.listNamespacedConfigMap({ namespace: 'kube-system', fieldSelector: 'metadata.name=kube-proxy' });
    const last = s.requests.at(-1)!;
    assert.deepEqual(
      {
        verb: last.verb,
        resource: last.resource,
        namespace: last.namespace,
        fieldSelector: last.fieldSelector,
        watch: last.watch,
        status: last.status,
      },
      {
        verb: 'list',
        resource: 'configmaps',
        namespace: 'kube-system',
        fieldSelector: 'metadata.name=kube-proxy',
        watch: false,
        status: 200,
      },
    );
    assert.ok(s.requests.some((r) => r.path === '/version' && r.status === 200));
  });
});

describe('fake API server: watch', { timeout: 30_000 }, () => {
  it('streams ADDED, MODIFIED and DELETED after the listed resourceVersion', async () => {
    await withServer({}, async (s, kc) => {
      s.store.apply(pod('ns', 'before'));
      const list = await kc.makeApiClient(CoreV1Api).listPodForAllNamespaces({});
      const w = await watch(kc, '/api/v1/pods', { resourceVersion: list.metadata!.resourceVersion });
      assert.equal(s.openWatches(), 1);
      s.store.apply(pod('ns', 'a'));
      s.store.apply(pod('ns', 'a', { changed: 'yes' }));
      s.store.delete('Pod', 'ns', 'a');
      await w.until((ev) => ev.length >= 3);
      assert.deepEqual(w.types(), ['ADDED a', 'MODIFIED a', 'DELETED a']);
      assert.equal(w.events[1]!.object.metadata.labels.changed, 'yes');
      assert.equal(w.events[2]!.object.metadata.resourceVersion, String(s.store.resourceVersion));
      w.stop();
    });
  });

  it('replays changes made between the list and the watch', async () => {
    await withServer({}, async (s, kc) => {
      const rv = String(s.store.resourceVersion);
      s.store.apply(pod('ns', 'early'));
      const w = await watch(kc, '/api/v1/namespaces/ns/pods', { resourceVersion: rv });
      await w.until((ev) => ev.length >= 1);
      assert.deepEqual(w.types(), ['ADDED early']);
      w.stop();
    });
  });

  it('without a resourceVersion, starts with ADDED for every matching object', async () => {
    await withServer({}, async (s, kc) => {
      s.store.loadObjects([pod('a', 'x', { app: 'y' }), pod('b', 'z', { app: 'other' })]);
      const w = await watch(kc, '/api/v1/pods', { labelSelector: 'app=y' });
      await w.until((ev) => ev.length >= 1);
      s.store.apply(pod('c', 'later', { app: 'y' }));
      await w.until((ev) => ev.length >= 2);
      assert.deepEqual(w.types(), ['ADDED x', 'ADDED later']);
      w.stop();
    });
  });

  it('sends a 410 Expired ERROR event for a resourceVersion older than the history', async () => {
    await withServer({ historyLimit: 5 }, async (s, kc) => {
      s.store.apply(pod('ns', 'first'));
      const old = String(s.store.resourceVersion);
      for (let i = 0; i < 10; i++) s.store.apply(pod('ns', `p${i}`));
      const w = await watch(kc, '/api/v1/pods', { resourceVersion: old });
      assert.equal(await w.done, null, 'the stream ends cleanly after the error event');
      assert.equal(w.events.length, 1);
      assert.equal(w.events[0]!.type, 'ERROR');
      assert.equal(w.events[0]!.object.code, 410);
      assert.equal(w.events[0]!.object.reason, 'Expired');
    });
  });

  it('expires every older resourceVersion after compact()', async () => {
    await withServer({}, async (s, kc) => {
      s.store.apply(pod('ns', 'a'));
      const old = String(s.store.resourceVersion);
      s.store.apply(pod('ns', 'b'));
      s.store.compact();
      const w = await watch(kc, '/api/v1/pods', { resourceVersion: old });
      await w.done;
      assert.equal(w.events[0]?.object.code, 410);
      const fresh = await watch(kc, '/api/v1/pods', { resourceVersion: String(s.store.resourceVersion) });
      s.store.apply(pod('ns', 'c'));
      await fresh.until((ev) => ev.length >= 1);
      assert.deepEqual(fresh.types(), ['ADDED c']);
      fresh.stop();
    });
  });

  it('answers a continue token from before the history window with 410 Expired', async () => {
    await withServer({ historyLimit: 3 }, async (s, kc) => {
      for (let i = 0; i < 4; i++) s.store.apply(node(`n${i}`));
      const core = kc.makeApiClient(CoreV1Api);
      const first = await core.listNode({ limit: 2 });
      assert.ok(first.metadata?._continue);
      for (let i = 0; i < 5; i++) s.store.apply(configMap('x', `c${i}`));
      const err = await apiError(core.listNode({ limit: 2, _continue: first.metadata!._continue! }));
      assert.equal(err.code, 410);
      assert.equal(JSON.parse(err.body).reason, 'Expired');
    });
  });

  it('sends an object relabelled out of the selector as DELETED, and back in as ADDED', async () => {
    await withServer({}, async (s, kc) => {
      s.store.apply(pod('kube-system', 'agent', { 'k8s-app': 'cilium' }));
      const w = await watch(kc, '/api/v1/pods', {
        labelSelector: 'k8s-app in (cilium,kube-proxy)',
        resourceVersion: String(s.store.resourceVersion),
      });
      s.store.apply(pod('kube-system', 'agent', { 'k8s-app': 'something-else' }));
      s.store.apply(pod('kube-system', 'agent', { 'k8s-app': 'something-else', more: 'x' }));
      s.store.apply(pod('kube-system', 'agent', { 'k8s-app': 'kube-proxy' }));
      await w.until((ev) => ev.length >= 2);
      assert.deepEqual(w.types(), ['DELETED agent', 'ADDED agent']);
      w.stop();
    });
  });

  it('filters watches by field selector (a node moving away is DELETED)', async () => {
    await withServer({}, async (s, kc) => {
      const w = await watch(kc, '/api/v1/pods', {
        fieldSelector: 'spec.nodeName=node-1',
        resourceVersion: String(s.store.resourceVersion),
      });
      s.store.apply(pod('ns', 'elsewhere', {}, 'node-2'));
      s.store.apply(pod('ns', 'here', {}, 'node-1'));
      s.store.apply(pod('ns', 'here', {}, 'node-2'));
      await w.until((ev) => ev.length >= 2);
      assert.deepEqual(w.types(), ['ADDED here', 'DELETED here']);
      w.stop();
    });
  });

  it('dropWatches() ends the stream abruptly: done fires with an error', async () => {
    await withServer({}, async (s, kc) => {
      const pods = await watch(kc, '/api/v1/pods', {});
      const nodes = await watch(kc, '/api/v1/nodes', {});
      assert.equal(s.openWatches(), 2);
      assert.equal(
        s.dropWatches((w) => w.resource === 'pods'),
        1,
      );
      const err = await pods.done;
      assert.ok(err instanceof Error, `expected an error, got ${String(err)}`);
      assert.equal(s.openWatches(), 1);
      s.store.apply(node('still-watching'));
      await nodes.until((ev) => ev.length >= 1);
      nodes.stop();
    });
  });

  it('ends a watch cleanly after timeoutSeconds', async () => {
    await withServer({}, async (s, kc) => {
      const w = await watch(kc, '/api/v1/nodes', { timeoutSeconds: 1 });
      assert.equal(await w.done, null);
      assert.equal(s.openWatches(), 0);
    });
  });

  it('sends BOOKMARK events when allowed and enabled, none when the server disables them', async () => {
    await withServer({ bookmarks: true, bookmarkIntervalMs: 50 }, async (s, kc) => {
      s.store.apply(node('n'));
      const w = await watch(kc, '/api/v1/nodes', { allowWatchBookmarks: true, resourceVersion: String(s.store.resourceVersion) });
      await w.until((ev) => ev.some((e) => e.type === 'BOOKMARK'));
      const bm = w.events.find((e) => e.type === 'BOOKMARK')!;
      assert.equal(bm.object.kind, 'Node');
      assert.equal(bm.object.metadata.resourceVersion, String(s.store.resourceVersion));
      w.stop();
    });
    await withServer({ bookmarks: false, bookmarkIntervalMs: 50 }, async (_s, kc) => {
      // the stream's own timeout bounds the wait: twenty intervals without a bookmark
      const w = await watch(kc, '/api/v1/nodes', { allowWatchBookmarks: true, timeoutSeconds: 1 });
      assert.equal(await w.done, null);
      assert.deepEqual(w.types(), []);
    });
  });
});

describe('fake API server: CRDs, faults and RBAC', { timeout: 30_000 }, () => {
  it('answers 404 NotFound for a CRD that is not installed, and serves it once installed', async () => {
    await withServer({}, async (s, kc) => {
      const custom = kc.makeApiClient(CustomObjectsApi);
      const params = { group: 'operator.tigera.io', version: 'v1', plural: 'installations' };
      const err = await apiError(custom.listClusterCustomObject(params));
      assert.equal(err.code, 404);
      assert.equal(JSON.parse(err.body).reason, 'NotFound');
      const failedWatch = await watch(kc, '/apis/operator.tigera.io/v1/installations', {});
      assert.equal(((await failedWatch.done) as { statusCode?: number }).statusCode, 404);

      s.store.install('installations');
      s.store.apply({
        apiVersion: 'operator.tigera.io/v1',
        kind: 'Installation',
        metadata: { name: 'default' },
        spec: { calicoNetwork: { linuxDataplane: 'BPF' } },
      });
      const list = (await custom.listClusterCustomObject(params)) as { kind: string; items: K8sObject[] };
      assert.equal(list.kind, 'InstallationList');
      assert.deepEqual(
        list.items.map((i) => i.metadata?.name),
        ['default'],
      );
    });
  });

  it('returns an injected 403 with a real-looking Forbidden Status, and a one-shot 503 only once', async () => {
    await withServer({}, async (s, kc) => {
      const core = kc.makeApiClient(CoreV1Api);
      s.faults.set({ resource: 'pods', verb: 'list' }, { status: 403 });
      const err = await apiError(core.listPodForAllNamespaces({}));
      assert.equal(err.code, 403);
      const body = JSON.parse(err.body);
      assert.equal(body.kind, 'Status');
      assert.equal(body.reason, 'Forbidden');
      assert.match(
        body.message,
        /^pods is forbidden: User "system:serviceaccount:[^"]+" cannot list resource "pods" in API group "" at the cluster scope$/,
      );
      await core.listNode(); // other resources unaffected
      s.faults.clear();
      await core.listPodForAllNamespaces({});

      s.faults.once({ resource: 'nodes' }, { status: 503, message: 'etcd is down' });
      const e503 = await apiError(core.listNode());
      assert.equal(e503.code, 503);
      assert.deepEqual([JSON.parse(e503.body).reason, JSON.parse(e503.body).message], ['ServiceUnavailable', 'etcd is down']);
      await core.listNode();
      const failedWatch = await watch(kc, '/api/v1/nodes', {});
      assert.equal(s.openWatches(), 1, 'the one-shot fault is used up');
      failedWatch.stop();
    });
  });

  it('fails a watch with the injected status', async () => {
    await withServer({}, async (s, kc) => {
      s.faults.set({ verb: 'watch' }, { status: 500 });
      const w = await watch(kc, '/api/v1/pods', {});
      assert.equal(((await w.done) as { statusCode?: number }).statusCode, 500);
    });
  });

  it('delays responses with a delay fault', async () => {
    await withServer({}, async (s, kc) => {
      s.faults.set({ resource: 'nodes' }, { delayMs: 200 });
      const t0 = performance.now();
      await kc.makeApiClient(CoreV1Api).listNode();
      assert.ok(performance.now() - t0 >= 190);
    });
  });

  it('enforces RBAC rules: resourceNames allow list/watch only with the matching metadata.name field selector', async () => {
    await withServer({}, async (s, kc) => {
      s.store.loadObjects([configMap('kube-system', 'kube-proxy'), configMap('kube-system', 'secret-stuff')]);
      s.setRbac([
        { apiGroups: [''], resources: ['nodes', 'pods'], verbs: ['get', 'list', 'watch'] },
        { apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list', 'watch'], resourceNames: ['kube-proxy', 'cilium-config'] },
      ]);
      const core = kc.makeApiClient(CoreV1Api);
      const ok = await core.listConfigMapForAllNamespaces({ fieldSelector: 'metadata.name=kube-proxy' });
      assert.deepEqual(
        ok.items.map((c) => c.metadata?.name),
        ['kube-proxy'],
      );
      await core.readNamespacedConfigMap({ namespace: 'kube-system', name: 'kube-proxy' });

      for (const call of [
        core.listConfigMapForAllNamespaces({}),
        core.listConfigMapForAllNamespaces({ fieldSelector: 'metadata.name=secret-stuff' }),
        core.listConfigMapForAllNamespaces({ fieldSelector: 'metadata.name=kube-proxy,metadata.namespace=kube-system' }),
        core.readNamespacedConfigMap({ namespace: 'kube-system', name: 'secret-stuff' }),
        core.listServiceForAllNamespaces({}),
      ]) {
        const err = await apiError(call);
        assert.equal(err.code, 403);
        assert.equal(JSON.parse(err.body).reason, 'Forbidden');
      }
      const denied = await watch(kc, '/api/v1/configmaps', {});
      assert.equal(((await denied.done) as { statusCode?: number }).statusCode, 403);
      const allowed = await watch(kc, '/api/v1/configmaps', { fieldSelector: 'metadata.name=kube-proxy' });
      await allowed.until((ev) => ev.length >= 1);
      assert.deepEqual(allowed.types(), ['ADDED kube-proxy']);
      allowed.stop();

      assert.equal((await fetch(`${s.url}/version`)).status, 200, 'non-resource URLs are always allowed');
      const forbidden = s.requests.filter((r) => r.status === 403);
      assert.equal(forbidden.length, 6);
      assert.ok(forbidden.some((r) => r.verb === 'watch' && r.resource === 'configmaps' && r.watch));

      s.setRbac(null);
      await core.listServiceForAllNamespaces({});
    });
  });
});

describe('fake API server: scale', { timeout: 30_000 }, () => {
  it('holds 5,000 nodes and 50,000 pods and pages through the nodes 500 at a time', async () => {
    await withServer({}, async (s, kc) => {
      const nodes: K8sObject[] = [];
      const pods: K8sObject[] = [];
      for (let i = 0; i < 5000; i++) {
        nodes.push(node(`node-${i}`));
        for (let j = 0; j < 10; j++) pods.push(pod(`ns-${j}`, `pod-${i}-${j}`, { app: j === 0 ? 'agent' : 'work' }, `node-${i}`));
      }
      s.store.loadObjects(nodes);
      s.store.loadObjects(pods);
      assert.equal(s.store.count('pods'), 50_000);
      const core = kc.makeApiClient(CoreV1Api);
      const seen = new Set<string>();
      let cont: string | undefined;
      let pages = 0;
      do {
        const page = await core.listNode({ limit: 500, ...(cont ? { _continue: cont } : {}) });
        for (const item of page.items) seen.add(item.metadata!.name!);
        cont = page.metadata?._continue;
        pages++;
      } while (cont);
      assert.equal(seen.size, 5000);
      assert.equal(pages, 10);
      const agents = await core.listPodForAllNamespaces({ labelSelector: 'app=agent', limit: 1000 });
      assert.equal(agents.items.length, 1000);
      assert.ok(agents.items.every((p) => p.metadata?.labels?.app === 'agent'));
      const ns = await core.listNamespacedPod({ namespace: 'ns-3', fieldSelector: 'spec.nodeName=node-42' });
      assert.deepEqual(
        ns.items.map((p) => p.metadata?.name),
        ['pod-42-3'],
      );
    });
  });
});
