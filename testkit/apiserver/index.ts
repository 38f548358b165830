// A fake Kubernetes API server over real HTTP: list (with selectors and pagination), watch (with
// history, bookmarks and 410s), writes (create, update, patch, delete with resourceVersion
// conflicts), RBAC, injected faults and a request log. Tests, the demo and the
// benchmarks drive the exporter's real client against it.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ResourceRef } from '../../src/cluster/catalog.js';
import { Faults } from './faults.js';
import { createHandler, type RecordedRequest } from './handler.js';
import type { NamespacedRules, PolicyRule } from './rbac.js';
import { ObjectStore } from './store.js';
import { WatchHub, type OpenWatch } from './watch-hub.js';

export { ObjectStore } from './store.js';
export type { K8sObject, ObjectMeta, StoreEvent, ChangeType } from './store.js';
export { Faults } from './faults.js';
export { WRITE_VERBS } from './faults.js';
export type { Fault, FaultMatch, Verb } from './faults.js';
export type { PolicyRule, NamespacedRules } from './rbac.js';
export { PATCH_TYPES } from './patch.js';
export { SIM_RESOURCES } from './resources.js';
export { FAKE_USER } from './rbac.js';
export type { RecordedRequest } from './handler.js';
export type { OpenWatch } from './watch-hub.js';
export { writeKubeconfig, kubeconfigYaml, FAKE_TOKEN } from './kubeconfig.js';
export { connectTo, type FakeApiConnection } from './connect.js';
export { parseLabelSelector, matchesLabelSelector, matchesFieldSelector } from './selectors.js';

export interface FakeApiServer {
  /** http://127.0.0.1:PORT */
  url: string;
  store: ObjectStore;
  faults: Faults;
  /** every request made, in arrival order */
  requests: RecordedRequest[];
  /**
   * Enforce a ClusterRole's rules and, optionally, namespaced Roles' rules (each only in its
   * namespace); null: allow everything. Denied requests, reads or writes, get the server's 403.
   */
  setRbac(rules: PolicyRule[] | null, roles?: NamespacedRules[]): void;
  /** accept only these bearer tokens (401 for any other); null: no authentication (the default) */
  setTokens(tokens: string[] | null): void;
  /** abruptly destroy open watch sockets (all, or those the filter picks); returns how many */
  dropWatches(filter?: (w: OpenWatch) => boolean): number;
  openWatches(): number;
  close(): Promise<void>;
}

export interface FakeApiServerOptions {
  /** default 0 (any free port) */
  port?: number;
  /** default 127.0.0.1 */
  host?: string;
  /** send BOOKMARK events to watches that allow them; default true, as real servers do */
  bookmarks?: boolean;
  bookmarkIntervalMs?: number;
  /** changes kept for watches to resume from; default 10000 */
  historyLimit?: number;
  /** resources served; default: core, apps and discovery ones, not the CRD-backed ones */
  installed?: ResourceRef[];
  /** bearer tokens accepted (401 for any other); default: no authentication */
  tokens?: string[];
}

export async function startFakeApiServer(opts: FakeApiServerOptions = {}): Promise<FakeApiServer> {
  const store = new ObjectStore({
    ...(opts.historyLimit !== undefined ? { historyLimit: opts.historyLimit } : {}),
    ...(opts.installed ? { installed: opts.installed } : {}),
  });
  const faults = new Faults();
  const hub = new WatchHub(store, opts.bookmarkIntervalMs ?? 1000);
  const requests: RecordedRequest[] = [];
  let rules: PolicyRule[] | null = null;
  let roles: NamespacedRules[] = [];
  let tokens: ReadonlySet<string> | null = opts.tokens ? new Set(opts.tokens) : null;
  const server = createServer(
    createHandler({
      store,
      faults,
      hub,
      requests,
      rbac: () => rules,
      roles: () => roles,
      bookmarks: opts.bookmarks ?? true,
      tokens: () => tokens,
    }),
  );
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { address, port } = server.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;
  return {
    url: `http://${host}:${port}`,
    store,
    faults,
    requests,
    setRbac(r, namespaced = []) {
      rules = r;
      roles = namespaced;
    },
    setTokens(t) {
      tokens = t ? new Set(t) : null;
    },
    dropWatches: (filter) => hub.drop(filter),
    openWatches: () => hub.count(),
    close() {
      hub.close();
      return new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        // idle keep-alive sockets would otherwise hold close() open
        server.closeAllConnections();
      });
    },
  };
}
