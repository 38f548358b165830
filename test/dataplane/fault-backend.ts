// Backends that fail the ways a data plane's far end can, for faults.test.ts; run inside the server
// namespace:  node --import tsx test/dataplane/fault-backend.ts '{"host":"0.0.0.0"}'
// Every server listens on `host` (all of the namespace's addresses, so the network-fault addresses
// reach the healthy ones too) on the fixed ports of FAULT_PORTS. Prints READY; exits on SIGTERM.
import dgram from 'node:dgram';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { pathToFileURL } from 'node:url';
import { frameTcp } from '../../src/probe/dnsmessage.js';
import { startDns, startHttp, startResetting, TEST_CERT, type Running } from '../probe/servers.js';

export const FAULT_PORTS = {
  /** HTTP 200 (also the TCP target, and plain TCP for the TLS probes) */
  http: 7001,
  /** HTTPS 200 */
  https: 7002,
  /** DNS answering kubernetes.default.svc.cluster.local, UDP and TCP */
  dns: 7053,
  /** accepts (TCP) or reads (UDP) and never says a word */
  silent: 7101,
  /** answers every connection / datagram with bytes that are no protocol (framed as one DNS-over-TCP message) */
  garbage: 7102,
  /** closes mid-response: an HTTP body, a DNS-over-TCP message cut short, a TLS handshake broken off */
  midclose: 7103,
  /** HTTPS that closes mid-body */
  midcloseTls: 7104,
  /** HTTP 200 streaming an endless body */
  endless: 7105,
  /** HTTPS 200 streaming an endless body */
  endlessTls: 7106,
  /** accepts, then resets (RST) on the first bytes */
  reset: 7107,
  /** nothing listens here (TCP RST / ICMP port unreachable from the kernel) */
  closed: 7999,
  /** DNS whose replies carry another ID */
  dnsWrongId: 7201,
  /** DNS replying TC=1 without answers */
  dnsTruncated: 7202,
  /** DNS replying three bytes */
  dnsMalformed: 7203,
} as const;

/** Bytes that are neither HTTP, TLS nor DNS: one length-framed blob (so DNS over TCP reads a whole message). */
const GARBAGE = frameTcp(Buffer.from('\u0000\u00ffnot a protocol\r\n\u0013\u0037'.repeat(4), 'latin1'));

const listen = (server: net.Server, host: string, port: number): Promise<void> =>
  new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });

function closer(server: net.Server): Running {
  const sockets = new Set<net.Socket>();
  server.on('connection', (s: net.Socket) => {
    sockets.add(s);
    s.on('error', () => undefined);
    s.on('close', () => sockets.delete(s));
  });
  return {
    port: 0,
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise((r) => server.close(() => r()));
    },
  };
}

function udp(host: string, port: number, reply: (msg: Buffer) => Buffer | undefined): Promise<Running> {
  const s = dgram.createSocket('udp4');
  s.on('error', () => undefined);
  s.on('message', (m, rinfo) => {
    const r = reply(m);
    if (r) s.send(r, rinfo.port, rinfo.address);
  });
  return new Promise((resolve, reject) => {
    s.once('error', reject);
    s.bind(port, host, () => resolve({ port, close: () => new Promise((r) => s.close(() => r())) }));
  });
}

/** Streams chunks as long as the client reads; counts connections that are still open. */
function endlessHandler(open: Set<http.ServerResponse>): http.RequestListener {
  const chunk = Buffer.alloc(16 * 1024, 'x');
  return (_req, res) => {
    open.add(res);
    res.on('close', () => open.delete(res));
    res.writeHead(200, { 'content-type': 'application/octet-stream' });
    const pump = (): void => {
      while (!res.destroyed && res.write(chunk));
      if (!res.destroyed) res.once('drain', pump);
    };
    pump();
  };
}

function midcloseHttp(res: http.ServerResponse): void {
  res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '100000' });
  res.write('the first bytes of a body that never completes');
  setTimeout(() => res.socket?.destroy(), 20);
}

export async function startFaultBackends(host: string): Promise<Running[]> {
  const P = FAULT_PORTS;
  const running: Running[] = [];
  running.push(await startHttp({ host, port: P.http }));
  running.push(await startHttp({ host, port: P.https, tls: true }));
  running.push(await startDns({ host, port: P.dns }));
  running.push(await startDns({ host, port: P.dnsWrongId, behaviour: 'wrong-id' }));
  running.push(await startDns({ host, port: P.dnsTruncated, behaviour: 'truncated' }));
  running.push(await startDns({ host, port: P.dnsMalformed, behaviour: 'malformed' }));
  running.push(await startResetting({ host, port: P.reset }));

  const silent = net.createServer(() => undefined);
  running.push(closer(silent));
  await listen(silent, host, P.silent);
  running.push(await udp(host, P.silent, () => undefined));

  const garbage = net.createServer((s) => void s.write(GARBAGE));
  running.push(closer(garbage));
  await listen(garbage, host, P.garbage);
  running.push(await udp(host, P.garbage, () => GARBAGE.subarray(2)));

  // One port, three protocols: sniff the first byte the client sends.
  const midclose = net.createServer((s) => {
    s.once('data', (d: Buffer) => {
      if (d[0] === 0x16)
        s.end(); // a TLS ClientHello: break the handshake off
      else if (d.toString('latin1', 0, 4) === 'GET ') {
        s.write('HTTP/1.1 200 OK\r\ncontent-length: 100000\r\n\r\nthe first bytes of a body that never completes');
        setTimeout(() => s.end(), 20);
      } else {
        s.write(Buffer.concat([frameTcp(Buffer.alloc(100)).subarray(0, 2), Buffer.alloc(10)])); // 10 of 100 announced bytes
        setTimeout(() => s.end(), 20);
      }
    });
  });
  running.push(closer(midclose));
  await listen(midclose, host, P.midclose);

  const midcloseTls = https.createServer(TEST_CERT, (_req, res) => midcloseHttp(res));
  running.push(closer(midcloseTls));
  await listen(midcloseTls, host, P.midcloseTls);

  const open = new Set<http.ServerResponse>();
  const endless = http.createServer(endlessHandler(open));
  running.push(closer(endless));
  await listen(endless, host, P.endless);
  const endlessTls = https.createServer(TEST_CERT, endlessHandler(open));
  running.push(closer(endlessTls));
  await listen(endlessTls, host, P.endlessTls);
  return running;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { host } = JSON.parse(process.argv[2] ?? '{}') as { host?: string };
  const running = await startFaultBackends(host ?? '0.0.0.0');
  process.stdout.write('READY\n');
  process.once('SIGTERM', () => void Promise.all(running.map((r) => r.close())).then(() => process.exit(0)));
}
