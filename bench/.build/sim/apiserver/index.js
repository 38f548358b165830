// A fake Kubernetes API server over real HTTP: list (with selectors and pagination), watch (with
// history, bookmarks and 410s), RBAC, injected faults and a request log. Tests, the demo and the
// benchmarks drive the exporter's real client against it.
import { createServer } from 'node:http';
import { Faults } from './faults.js';
import { createHandler } from './handler.js';
import { ObjectStore } from './store.js';
import { WatchHub } from './watch-hub.js';
export { ObjectStore } from './store.js';
export { Faults } from './faults.js';
export { FAKE_USER } from './rbac.js';
export { writeKubeconfig, kubeconfigYaml, FAKE_TOKEN } from './kubeconfig.js';
export { parseLabelSelector, matchesLabelSelector, matchesFieldSelector } from './selectors.js';
export async function startFakeApiServer(opts = {}) {
    const store = new ObjectStore({
        ...(opts.historyLimit !== undefined ? { historyLimit: opts.historyLimit } : {}),
        ...(opts.installed ? { installed: opts.installed } : {}),
    });
    const faults = new Faults();
    const hub = new WatchHub(store, opts.bookmarkIntervalMs ?? 1000);
    const requests = [];
    let rules = null;
    const server = createServer(createHandler({ store, faults, hub, requests, rbac: () => rules, bookmarks: opts.bookmarks ?? true }));
    await new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => {
            server.off('error', reject);
            resolve();
        });
    });
    const { address, port } = server.address();
    const host = address.includes(':') ? `[${address}]` : address;
    return {
        url: `http://${host}:${port}`,
        store,
        faults,
        requests,
        setRbac(r) {
            rules = r;
        },
        dropWatches: (filter) => hub.drop(filter),
        openWatches: () => hub.count(),
        close() {
            hub.close();
            return new Promise((resolve, reject) => {
                server.close((err) => (err ? reject(err) : resolve()));
                // idle keep-alive sockets would otherwise hold close() open
                server.closeAllConnections();
            });
        },
    };
}
