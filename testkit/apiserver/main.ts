// Run the fake API server on its own, e.g. for kubectl or the exporter by hand:
//   tsx testkit/apiserver/main.ts --port 8001 --load cluster.yaml --kubeconfig /tmp/fake.kubeconfig
import { parseArgs } from 'node:util';
import { startFakeApiServer, writeKubeconfig } from './index.js';
import { readManifests } from './load-yaml.js';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '8001' },
    host: { type: 'string', default: '127.0.0.1' },
    load: { type: 'string', multiple: true, default: [] },
    install: { type: 'string', multiple: true, default: [] },
    kubeconfig: { type: 'string' },
    'no-bookmarks': { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});

if (values.help) {
  console.log(
    'usage: main.ts [--port N] [--host H] [--load file.yaml]... [--install installations]... [--kubeconfig out] [--no-bookmarks]',
  );
  process.exit(0);
}

const server = await startFakeApiServer({ port: Number(values.port), host: values.host, bookmarks: !values['no-bookmarks'] });
for (const resource of values.install) server.store.install(resource);
for (const file of values.load) {
  const objs = readManifests(file);
  server.store.loadObjects(objs);
  console.log(`loaded ${objs.length} objects from ${file}`);
}
if (values.kubeconfig) writeKubeconfig(server.url, values.kubeconfig);
console.log(`fake API server listening on ${server.url}${values.kubeconfig ? ` (kubeconfig: ${values.kubeconfig})` : ''}`);

for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    void server.close().then(() => process.exit(0));
  });
}
