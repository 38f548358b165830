// Backends for the data-plane test, run inside the server namespace by startBackends():
//   node --import tsx test/dataplane/backend.ts '<BackendConfig JSON>'
// Prints READY once everything listens; exits on SIGTERM.
import net from 'node:net';
import { startDns, startHttp, type Running } from '../probe/servers.js';
import type { BackendConfig } from './netns.js';

const config = JSON.parse(process.argv[2] ?? '{}') as BackendConfig;
const running: Running[] = [];
for (const port of config.http ?? []) running.push(await startHttp({ host: config.host, port }));
for (const s of config.httpStatus ?? []) running.push(await startHttp({ host: config.host, port: s.port, status: s.status }));
for (const s of config.https ?? []) running.push(await startHttp({ host: config.host, port: s.port, status: s.status, tls: true }));
if (config.dns) {
  const opts = { host: config.host, port: config.dns.port, address: config.dns.address };
  running.push(await startDns(config.dns.domain ? { ...opts, domain: config.dns.domain } : opts));
}
for (const port of config.identity ?? []) {
  const server = net.createServer((c) => c.end(`${port}\n`));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, config.host, () => resolve());
  });
  running.push({ port, close: () => new Promise<void>((r) => server.close(() => r())) });
}
process.stdout.write('READY\n');
process.once('SIGTERM', () => {
  void Promise.all(running.map((r) => r.close())).then(() => process.exit(0));
});
