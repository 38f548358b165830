// A node's service proxy agent health server, run inside a node's network namespace by
// agenthealth.test.ts: `agent-server.ts <host> <port> healthy|stale`. Answers /healthz and /livez
// with kube-proxy's JSON shape (Go time.Time strings); `stale` answers 503 with a lastUpdated 600 s
// behind currentTime, as kube-proxy does when its rules have not synced. Prints READY once listening.
import http from 'node:http';
import { kubeProxyBody } from '../../testkit/dataplane/agents.js';

const [host, portText, mode] = process.argv.slice(2);
const stale = mode === 'stale';
const server = http.createServer((req, res) => {
  const path = (req.url ?? '').split('?')[0];
  if (path !== '/healthz' && path !== '/livez') return void res.writeHead(404).end();
  const now = Date.now();
  res.writeHead(stale ? 503 : 200, { 'content-type': 'application/json' });
  res.end(kubeProxyBody(now, now - 600_000, !stale, path === '/healthz' ? true : undefined));
});
server.listen(Number(portText), host, () => console.log('READY'));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
