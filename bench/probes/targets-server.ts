// Probe targets for the benchmark, in their own process so their CPU is nobody's measurement:
//   node --import tsx bench/probes/targets-server.ts <tcpCount> <httpCount>
// Prints one JSON line {"tcp":[ports],"http":[ports]} once all listen on 127.0.0.1; exits on SIGTERM.
import http from 'node:http';
import net from 'node:net';

const [tcpCount, httpCount] = [Number(process.argv[2] ?? 100), Number(process.argv[3] ?? 100)];
const listen = (server: net.Server): Promise<number> =>
  new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', 1024, () => resolve((server.address() as net.AddressInfo).port));
  });

const tcp: number[] = [];
const httpPorts: number[] = [];
for (let i = 0; i < tcpCount; i++) tcp.push(await listen(net.createServer((s) => s.end())));
for (let i = 0; i < httpCount; i++) {
  httpPorts.push(await listen(http.createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n'))));
}
process.stdout.write(`${JSON.stringify({ tcp, http: httpPorts })}\n`);
process.once('SIGTERM', () => process.exit(0));
