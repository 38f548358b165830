import { generateCluster, plannedCounts } from '../../src/sim/generate.js';
import { startFakeApiServer } from '../../src/sim/apiserver/index.js';
const opts = { nodes: 5000, pods: 50000 };
console.log(plannedCounts(opts));
const t0 = performance.now();
const api = await startFakeApiServer();
const sizes: Record<string, [number, number]> = {};
for (const o of generateCluster(opts)) {
  const k = o.kind + (o.metadata?.labels?.['k8s-app'] ? ':' + o.metadata.labels['k8s-app'] : '');
  const s = JSON.stringify(o).length;
  sizes[k] ??= [0, 0]; sizes[k][0]++; sizes[k][1] += s;
  api.store.apply(o as never);
}
console.log('load ms', performance.now() - t0, 'rss MB', process.memoryUsage().rss / 1e6);
for (const [k, [n, b]] of Object.entries(sizes)) console.log(k, n, Math.round(b / n));
await api.close();
