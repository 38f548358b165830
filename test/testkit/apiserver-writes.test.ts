// Writes on the fake API server — create, get, update, patch, delete with resourceVersion
// conflicts — for EndpointSlices and Leases, through plain HTTP and through
// @kubernetes/client-node's typed calls, and seen on watches like every other change.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ApiException,
  CoordinationV1Api,
  DiscoveryV1Api,
  KubeConfig,
  PatchStrategy,
  setHeaderOptions,
  type V1EndpointSlice,
  type V1Lease,
  Watch,
} from '@kubernetes/client-node';
import { PATCH_TYPES, startFakeApiServer, WRITE_VERBS, writeKubeconfig, type FakeApiServer } from '../../testkit/apiserver/index.js';

const dir = mkdtempSync(join(tmpdir(), 'fake-apiserver-writes-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const NS = 'service-proxy-exporter';
const NAME = 'service-proxy-exporter-canary';
const SLICES = `/apis/discovery.k8s.io/v1/namespaces/${NS}/endpointslices`;
const LEASES = `/apis/coordination.k8s.io/v1/namespaces/${NS}/leases`;

function canarySlice(port: number, ip = '198.18.0.5'): Record<string, unknown> {
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

async function withServer(fn: (s: FakeApiServer, kc: KubeConfig) => Promise<void>): Promise<void> {
  const s = await startFakeApiServer();
  const file = join(dir, `kubeconfig-${Math.random().toString(36).slice(2)}`);
  writeKubeconfig(s.url, file);
  const kc = new KubeConfig();
  kc.loadFromFile(file);
  try {
    await fn(s, kc);
  } finally {
    await s.close();
  }
}

async function http(s: FakeApiServer, method: string, path: string, body?: unknown, contentType = 'application/json') {
  const res = await fetch(s.url + path, {
    method,
    ...(body !== undefined
      ? { body: typeof body === 'string' ? body : JSON.stringify(body), headers: { 'Content-Type': contentType } }
      : {}),
  });
  return { status: res.status, body: (await res.json()) as any };
}

async function apiError(p: Promise<unknown>): Promise<{ code: number; body: any }> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof ApiException, `expected ApiException, got ${String(err)}`);
    return { code: err.code, body: JSON.parse(err.body as string) };
  }
  assert.fail('expected the call to fail');
}

/** Events of a plain-HTTP watch, with a bounded wait for a count. */
async function httpWatch(s: FakeApiServer, path: string) {
  const ac = new AbortController();
  const res = await fetch(s.url + path, { signal: ac.signal });
  const events: { type: string; object: any }[] = [];
  const waiters = new Set<() => void>();
  void (async () => {
    const dec = new TextDecoder();
    let buf = '';
    try {
      for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
        buf += dec.decode(chunk, { stream: true });
        for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
          const line = buf.slice(0, i);
          buf = buf.slice(i + 1);
          if (line.trim()) events.push(JSON.parse(line));
          for (const w of waiters) w();
        }
      }
    } catch {
      // aborted
    }
  })();
  return {
    events,
    until(n: number): Promise<void> {
      if (events.length >= n) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const t = setTimeout(
          () => reject(new Error(`timed out at ${events.length} events: ${JSON.stringify(events.map((e) => e.type))}`)),
          5000,
        );
        const w = () => {
          if (events.length < n) return;
          clearTimeout(t);
          waiters.delete(w);
          resolve();
        };
        waiters.add(w);
      });
    },
    stop: () => ac.abort(),
  };
}

describe('fake API server writes over plain HTTP', { timeout: 30_000 }, () => {
  it('creates an EndpointSlice with server-set metadata, and 409s a second create of the same name', async () => {
    await withServer(async (s) => {
      const rv0 = s.store.resourceVersion;
      const created = await http(s, 'POST', SLICES, canarySlice(9810));
      assert.equal(created.status, 201);
      assert.equal(created.body.metadata.resourceVersion, String(rv0 + 1));
      assert.match(created.body.metadata.uid, /^[0-9a-f-]{36}$/);
      assert.match(created.body.metadata.creationTimestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      assert.equal(s.store.resourceVersion, rv0 + 1);
      const again = await http(s, 'POST', SLICES, canarySlice(9811));
      assert.equal(again.status, 409);
      assert.deepEqual(
        { kind: again.body.kind, reason: again.body.reason, code: again.body.code, message: again.body.message },
        { kind: 'Status', reason: 'AlreadyExists', code: 409, message: `endpointslices.discovery.k8s.io "${NAME}" already exists` },
      );
      const got = await http(s, 'GET', `${SLICES}/${NAME}`);
      assert.equal(got.status, 200);
      assert.equal(got.body.ports[0].port, 9810);
    });
  });

  it('GET of a missing object is a NotFound Status', async () => {
    await withServer(async (s) => {
      const r = await http(s, 'GET', `${LEASES}/nope`);
      assert.equal(r.status, 404);
      assert.equal(r.body.kind, 'Status');
      assert.equal(r.body.reason, 'NotFound');
      assert.equal(r.body.message, 'leases.coordination.k8s.io "nope" not found');
    });
  });

  it("PUT with the current resourceVersion updates; with a stale one it is the server's Conflict Status", async () => {
    await withServer(async (s) => {
      const created = (await http(s, 'POST', SLICES, canarySlice(9810))).body;
      const stale = created.metadata.resourceVersion;
      const ok = await http(s, 'PUT', `${SLICES}/${NAME}`, { ...canarySlice(9811), metadata: { ...created.metadata } });
      assert.equal(ok.status, 200);
      assert.equal(ok.body.ports[0].port, 9811);
      assert.equal(ok.body.metadata.uid, created.metadata.uid);
      assert.equal(ok.body.metadata.creationTimestamp, created.metadata.creationTimestamp);
      assert.ok(Number(ok.body.metadata.resourceVersion) > Number(stale));
      const lost = await http(s, 'PUT', `${SLICES}/${NAME}`, {
        ...canarySlice(9810),
        metadata: { ...created.metadata, resourceVersion: stale },
      });
      assert.equal(lost.status, 409);
      assert.deepEqual(lost.body, {
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message: `Operation cannot be fulfilled on endpointslices.discovery.k8s.io "${NAME}": the object has been modified; please apply your changes to the latest version and try again`,
        reason: 'Conflict',
        details: { name: NAME, group: 'discovery.k8s.io', kind: 'endpointslices' },
        code: 409,
      });
      assert.equal((await http(s, 'GET', `${SLICES}/${NAME}`)).body.ports[0].port, 9811, 'the losing write changed nothing');
      // without a resourceVersion the last write wins
      const blind = await http(s, 'PUT', `${SLICES}/${NAME}`, canarySlice(9812));
      assert.equal(blind.status, 200);
      assert.equal(blind.body.ports[0].port, 9812);
      // PUT does not create
      assert.equal((await http(s, 'PUT', `${SLICES}/other`, { ...canarySlice(1), metadata: { name: 'other' } })).status, 404);
      // name on the URL and in the body must agree
      assert.equal((await http(s, 'PUT', `${SLICES}/${NAME}`, { ...canarySlice(1), metadata: { name: 'other' } })).status, 400);
    });
  });

  it('PATCH: merge, strategic merge and JSON patch, with a resourceVersion precondition', async () => {
    await withServer(async (s) => {
      const created = (await http(s, 'POST', SLICES, canarySlice(9810))).body;
      const merge = await http(
        s,
        'PATCH',
        `${SLICES}/${NAME}`,
        { ports: [{ name: 'canary', port: 9811, protocol: 'TCP' }] },
        PATCH_TYPES.merge,
      );
      assert.equal(merge.status, 200);
      assert.equal(merge.body.ports[0].port, 9811);
      assert.equal(merge.body.endpoints[0].addresses[0], '198.18.0.5', 'fields the patch does not name are kept');
      const strategic = await http(s, 'PATCH', `${SLICES}/${NAME}`, { metadata: { labels: { extra: 'x' } } }, PATCH_TYPES.strategic);
      assert.equal(strategic.status, 200);
      assert.equal(strategic.body.metadata.labels.extra, 'x');
      assert.equal(strategic.body.metadata.labels['kubernetes.io/service-name'], NAME);
      const json = await http(s, 'PATCH', `${SLICES}/${NAME}`, [{ op: 'replace', path: '/ports/0/port', value: 9810 }], PATCH_TYPES.json);
      assert.equal(json.status, 200);
      assert.equal(json.body.ports[0].port, 9810);
      // precondition: a stale resourceVersion in the patch body
      const stale = await http(
        s,
        'PATCH',
        `${SLICES}/${NAME}`,
        { metadata: { resourceVersion: created.metadata.resourceVersion }, ports: [] },
        PATCH_TYPES.merge,
      );
      assert.equal(stale.status, 409);
      assert.equal(stale.body.reason, 'Conflict');
      assert.match(
        stale.body.message,
        /^Operation cannot be fulfilled on endpointslices\.discovery\.k8s\.io "service-proxy-exporter-canary": the object has been modified/,
      );
      const current = json.body.metadata.resourceVersion;
      const fresh = await http(
        s,
        'PATCH',
        `${SLICES}/${NAME}`,
        { metadata: { resourceVersion: current }, ports: [{ name: 'canary', port: 9811 }] },
        PATCH_TYPES.merge,
      );
      assert.equal(fresh.status, 200);
      // json patch test op as precondition: 422 when it fails, as the server answers
      const failedTest = await http(
        s,
        'PATCH',
        `${SLICES}/${NAME}`,
        [{ op: 'test', path: '/metadata/resourceVersion', value: current }],
        PATCH_TYPES.json,
      );
      assert.equal(failedTest.status, 422);
      assert.equal((await http(s, 'PATCH', `${SLICES}/${NAME}`, { a: 1 }, 'application/apply-patch+yaml')).status, 415);
      assert.equal((await http(s, 'PATCH', `${SLICES}/missing`, { a: 1 }, PATCH_TYPES.merge)).status, 404);
    });
  });

  it('DELETE answers a Success Status, then 404; preconditions are checked', async () => {
    await withServer(async (s) => {
      const created = (await http(s, 'POST', SLICES, canarySlice(9810))).body;
      const pre = await http(s, 'DELETE', `${SLICES}/${NAME}`, {
        preconditions: { resourceVersion: '1' + created.metadata.resourceVersion },
      });
      assert.equal(pre.status, 409);
      const del = await http(s, 'DELETE', `${SLICES}/${NAME}`);
      assert.equal(del.status, 200);
      assert.equal(del.body.status, 'Success');
      assert.equal(del.body.details.uid, created.metadata.uid);
      assert.equal((await http(s, 'GET', `${SLICES}/${NAME}`)).status, 404);
      assert.equal((await http(s, 'DELETE', `${SLICES}/${NAME}`)).status, 404);
    });
  });

  it('every write reaches watches as ADDED/MODIFIED/DELETED, through label and metadata.name selectors', async () => {
    await withServer(async (s) => {
      const byName = await httpWatch(s, `${SLICES}?watch=true&fieldSelector=${encodeURIComponent(`metadata.name=${NAME}`)}`);
      const byLabel = await httpWatch(
        s,
        `/apis/discovery.k8s.io/v1/endpointslices?watch=true&labelSelector=${encodeURIComponent(`kubernetes.io/service-name=${NAME}`)}`,
      );
      const other = await httpWatch(s, `${SLICES}?watch=true&fieldSelector=metadata.name%3Dsomething-else`);
      await http(s, 'POST', SLICES, canarySlice(9810));
      await http(s, 'PATCH', `${SLICES}/${NAME}`, { ports: [{ name: 'canary', port: 9811 }] }, PATCH_TYPES.merge);
      await http(s, 'PUT', `${SLICES}/${NAME}`, canarySlice(9810));
      await http(s, 'POST', SLICES, { ...canarySlice(1), metadata: { name: 'unrelated' } });
      await http(s, 'DELETE', `${SLICES}/${NAME}`);
      for (const w of [byName, byLabel]) {
        await w.until(4);
        assert.deepEqual(
          w.events.map((e) => `${e.type} ${e.object.ports?.[0]?.port}`),
          ['ADDED 9810', 'MODIFIED 9811', 'MODIFIED 9810', 'DELETED 9810'],
        );
        assert.equal(w.events[3]!.object.metadata.resourceVersion, String(s.store.resourceVersion));
      }
      assert.equal(other.events.length, 0);
      for (const w of [byName, byLabel, other]) w.stop();
    });
  });

  it('leases are served and listed in discovery with the write verbs', async () => {
    await withServer(async (s) => {
      const d = await http(s, 'GET', '/apis/coordination.k8s.io/v1');
      const leases = d.body.resources.find((r: any) => r.name === 'leases');
      assert.ok(leases, 'leases in discovery');
      assert.deepEqual(leases.verbs, ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch']);
      const groups = (await http(s, 'GET', '/apis')).body.groups.map((g: any) => g.name);
      assert.ok(groups.includes('coordination.k8s.io'));
    });
  });

  it('RBAC: a read-only ClusterRole forbids writes while reads work; a namespaced Role grants them by name', async () => {
    await withServer(async (s) => {
      s.setRbac([{ apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: ['get', 'list', 'watch'] }]);
      const denied = await http(s, 'POST', SLICES, canarySlice(9810));
      assert.equal(denied.status, 403);
      assert.equal(denied.body.reason, 'Forbidden');
      assert.match(
        denied.body.message,
        /cannot create resource "endpointslices" in API group "discovery.k8s.io" in the namespace "service-proxy-exporter"/,
      );
      assert.equal((await http(s, 'GET', SLICES)).status, 200);
      s.setRbac(
        [{ apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: ['get', 'list', 'watch'] }],
        [
          {
            namespace: NS,
            rules: [
              { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: ['create'] },
              { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: ['get', 'update', 'patch'], resourceNames: [NAME] },
            ],
          },
        ],
      );
      assert.equal((await http(s, 'POST', SLICES, canarySlice(9810))).status, 201);
      assert.equal((await http(s, 'PUT', `${SLICES}/${NAME}`, canarySlice(9811))).status, 200);
      assert.equal(
        (await http(s, 'POST', SLICES, { ...canarySlice(1), metadata: { name: 'x' } })).status,
        201,
        'create cannot be limited by name',
      );
      const otherName = await http(s, 'PUT', `${SLICES}/x`, { ...canarySlice(1), metadata: { name: 'x' } });
      assert.equal(otherName.status, 403);
      assert.match(otherName.body.message, /^endpointslices "x" is forbidden: .* cannot update resource/);
      assert.equal((await http(s, 'DELETE', `${SLICES}/${NAME}`)).status, 403);
      // the Role does not reach another namespace
      assert.equal(
        (await http(s, 'POST', '/apis/discovery.k8s.io/v1/namespaces/other/endpointslices', { ...canarySlice(1), metadata: { name: 'y' } }))
          .status,
        403,
      );
    });
  });

  it('faults: 403 on write verbs for one resource, reads unaffected; a one-shot 409', async () => {
    await withServer(async (s) => {
      s.faults.set({ resource: 'leases', verb: WRITE_VERBS }, { status: 403 });
      const lease = { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: NAME }, spec: { holderIdentity: 'a' } };
      const r = await http(s, 'POST', LEASES, lease);
      assert.equal(r.status, 403);
      assert.equal(r.body.reason, 'Forbidden');
      assert.match(r.body.message, /cannot create resource "leases" in API group "coordination.k8s.io"/);
      assert.equal((await http(s, 'GET', LEASES)).status, 200);
      assert.equal((await http(s, 'POST', SLICES, canarySlice(9810))).status, 201, 'other resources still writable');
      assert.equal(s.store.get('leases', NS, NAME), undefined);
      s.faults.clear();
      s.faults.once({ resource: 'endpointslices', verb: 'update' }, { status: 409, reason: 'Conflict' });
      assert.equal((await http(s, 'PUT', `${SLICES}/${NAME}`, canarySlice(9811))).status, 409);
      assert.equal((await http(s, 'PUT', `${SLICES}/${NAME}`, canarySlice(9811))).status, 200);
      const verbs = s.requests.filter((q) => q.resource === 'endpointslices').map((q) => `${q.verb} ${q.status}`);
      assert.deepEqual(verbs, ['create 201', 'update 409', 'update 200']);
    });
  });

  it('rejects garbage bodies with 400 and unsupported methods with 405', async () => {
    await withServer(async (s) => {
      assert.equal((await http(s, 'POST', SLICES, '{not json')).status, 400);
      assert.equal((await http(s, 'POST', SLICES, { kind: 'Lease', metadata: { name: 'a' } })).status, 400);
      assert.equal((await http(s, 'POST', SLICES, { metadata: { name: 'a', namespace: 'elsewhere' } })).status, 400);
      assert.equal((await http(s, 'POST', SLICES, { metadata: {} })).status, 422);
      assert.equal((await http(s, 'DELETE', SLICES)).status, 405);
    });
  });
});

describe('fake API server writes through @kubernetes/client-node', { timeout: 30_000 }, () => {
  it('EndpointSlices: create, read, replace, 409 on a stale replace, merge patch, delete; a Watch sees each', async () => {
    await withServer(async (s, kc) => {
      const api = kc.makeApiClient(DiscoveryV1Api);
      const events: string[] = [];
      let wake = (): void => undefined;
      const ctl = await new Watch(kc).watch(
        SLICES,
        { fieldSelector: `metadata.name=${NAME}` },
        (type, obj: V1EndpointSlice) => {
          events.push(`${type} ${obj.ports?.[0]?.port}`);
          wake();
        },
        () => undefined,
      );
      const created = await api.createNamespacedEndpointSlice({ namespace: NS, body: canarySlice(9810) as unknown as V1EndpointSlice });
      assert.ok(created.metadata?.resourceVersion);
      const read = await api.readNamespacedEndpointSlice({ namespace: NS, name: NAME });
      assert.equal(read.ports?.[0]?.port, 9810);
      read.ports![0]!.port = 9811;
      const replaced = await api.replaceNamespacedEndpointSlice({ namespace: NS, name: NAME, body: read });
      assert.equal(replaced.ports?.[0]?.port, 9811);
      const conflict = await apiError(api.replaceNamespacedEndpointSlice({ namespace: NS, name: NAME, body: read }));
      assert.equal(conflict.code, 409);
      assert.equal(conflict.body.reason, 'Conflict');
      const dup = await apiError(
        api.createNamespacedEndpointSlice({ namespace: NS, body: canarySlice(9810) as unknown as V1EndpointSlice }),
      );
      assert.equal(dup.code, 409);
      assert.equal(dup.body.reason, 'AlreadyExists');
      const patched = await api.patchNamespacedEndpointSlice(
        { namespace: NS, name: NAME, body: { ports: [{ name: 'canary', port: 9810, protocol: 'TCP' }] } },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
      assert.equal(patched.ports?.[0]?.port, 9810);
      // client-node's default patch type is JSON patch
      const jsonPatched = await api.patchNamespacedEndpointSlice({
        namespace: NS,
        name: NAME,
        body: [{ op: 'replace', path: '/ports/0/port', value: 9811 }],
      });
      assert.equal(jsonPatched.ports?.[0]?.port, 9811);
      const missing = await apiError(api.readNamespacedEndpointSlice({ namespace: NS, name: 'missing' }));
      assert.equal(missing.code, 404);
      await api.deleteNamespacedEndpointSlice({ namespace: NS, name: NAME });
      await new Promise<void>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`events: ${events.join(', ')}`)), 5000);
        wake = () => {
          if (events.length >= 5) {
            clearTimeout(t);
            resolve();
          }
        };
        wake();
      });
      assert.deepEqual(events, ['ADDED 9810', 'MODIFIED 9811', 'MODIFIED 9810', 'MODIFIED 9811', 'DELETED 9811']);
      ctl.abort();
    });
  });

  it('Leases: create, renew by replace with optimistic concurrency, the loser gets 409', async () => {
    await withServer(async (s, kc) => {
      const api = kc.makeApiClient(CoordinationV1Api);
      const now = new Date();
      const lease: V1Lease = {
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: { name: NAME, namespace: NS },
        spec: { holderIdentity: 'replica-a', leaseDurationSeconds: 15, acquireTime: now, renewTime: now, leaseTransitions: 0 },
      };
      const created = await api.createNamespacedLease({ namespace: NS, body: lease });
      assert.equal(created.spec?.holderIdentity, 'replica-a');
      const dup = await apiError(
        api.createNamespacedLease({ namespace: NS, body: { ...lease, spec: { ...lease.spec, holderIdentity: 'replica-b' } } }),
      );
      assert.equal(dup.code, 409);
      assert.equal(dup.body.reason, 'AlreadyExists');
      // both replicas read the same version; a renews first, b's takeover loses
      const seenByA = await api.readNamespacedLease({ namespace: NS, name: NAME });
      const seenByB = await api.readNamespacedLease({ namespace: NS, name: NAME });
      const renewed = await api.replaceNamespacedLease({
        namespace: NS,
        name: NAME,
        body: { ...seenByA, spec: { ...seenByA.spec, renewTime: new Date() } },
      });
      assert.notEqual(renewed.metadata?.resourceVersion, seenByA.metadata?.resourceVersion);
      const lost = await apiError(
        api.replaceNamespacedLease({
          namespace: NS,
          name: NAME,
          body: { ...seenByB, spec: { ...seenByB.spec, holderIdentity: 'replica-b', leaseTransitions: 1 } },
        }),
      );
      assert.equal(lost.code, 409);
      assert.equal(
        lost.body.message,
        `Operation cannot be fulfilled on leases.coordination.k8s.io "${NAME}": the object has been modified; please apply your changes to the latest version and try again`,
      );
      const final = await api.readNamespacedLease({ namespace: NS, name: NAME });
      assert.equal(final.spec?.holderIdentity, 'replica-a');
      // client-node 1.4 hands MicroTime back as the wire string, not a Date
      assert.ok(Number.isFinite(Date.parse(String(final.spec?.renewTime))), 'renewTime round-trips');
      assert.equal(s.store.get('leases', NS, NAME)?.spec && (s.store.get('leases', NS, NAME)!.spec as any).leaseDurationSeconds, 15);
      const list = await api.listNamespacedLease({ namespace: NS });
      assert.equal(list.items.length, 1);
    });
  });

  it('a 403 on writes reaches the typed client as ApiException 403 with the Forbidden Status', async () => {
    await withServer(async (s, kc) => {
      s.faults.set({ verb: WRITE_VERBS }, { status: 403 });
      const api = kc.makeApiClient(CoordinationV1Api);
      const err = await apiError(api.createNamespacedLease({ namespace: NS, body: { metadata: { name: NAME }, spec: {} } }));
      assert.equal(err.code, 403);
      assert.equal(err.body.reason, 'Forbidden');
      assert.equal((await api.listNamespacedLease({ namespace: NS })).items.length, 0);
    });
  });
});
