// Small local servers that behave the ways a probe target can: answer, answer with an error, hang,
// reset. Used by the prober tests on loopback and, inside a network namespace, by the data-plane
// backend. Every start* returns its bound port and a close().
import { readFileSync } from 'node:fs';
import dgram from 'node:dgram';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import tls from 'node:tls';
import { answerQuery, readQuestion, serveDnsTcpConnection } from '../../src/probe/dnsmessage.js';

const fixture = (name: string): Buffer => readFileSync(new URL(`./fixtures/${name}`, import.meta.url));
export const TEST_CERT = { cert: fixture('cert.pem'), key: fixture('key.pem') };

export interface Running {
  port: number;
  close(): Promise<void>;
}

function closeServer(server: net.Server, sockets: Set<net.Socket>): Promise<void> {
  for (const s of sockets) s.destroy();
  return new Promise((resolve) => server.close(() => resolve()));
}

function track(server: net.Server): Set<net.Socket> {
  const sockets = new Set<net.Socket>();
  server.on('connection', (s: net.Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  // TLS servers hand out TLSSockets on 'secureConnection'; the raw socket is tracked above.
  return sockets;
}

async function listen(server: net.Server, host: string, port: number): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return (server.address() as net.AddressInfo).port;
}

/** An HTTP(S) server answering every request with `status` and a short body; `/healthz` and `/readyz` too. */
export async function startHttp(opts: { host?: string; port?: number; status?: number; tls?: boolean } = {}): Promise<Running> {
  const handler: http.RequestListener = (req, res) => {
    res.writeHead(opts.status ?? 200, { 'content-type': 'text/plain' });
    res.end(`ok ${req.url}\n`);
  };
  const server = opts.tls ? https.createServer(TEST_CERT, handler) : http.createServer(handler);
  server.keepAliveTimeout = 1000;
  const sockets = track(server);
  const port = await listen(server, opts.host ?? '127.0.0.1', opts.port ?? 0);
  return { port, close: () => closeServer(server, sockets) };
}

/** Accepts TCP connections and never says a word (an HTTP, TLS or DNS-over-TCP probe times out). */
export async function startSilentTcp(opts: { host?: string } = {}): Promise<Running> {
  const server = net.createServer(() => undefined);
  const sockets = track(server);
  const port = await listen(server, opts.host ?? '127.0.0.1', 0);
  return { port, close: () => closeServer(server, sockets) };
}

/** Accepts, then resets the connection at once (RST): reason `reset`. */
export async function startResetting(opts: { host?: string; port?: number } = {}): Promise<Running> {
  const server = net.createServer((s) => {
    // Wait for the first bytes so the client's request is in flight when the RST comes.
    s.once('data', () => s.resetAndDestroy());
  });
  const sockets = track(server);
  const port = await listen(server, opts.host ?? '127.0.0.1', opts.port ?? 0);
  return { port, close: () => closeServer(server, sockets) };
}

/** A TLS server that completes the handshake and then never answers (for handshake-is-success). */
export async function startTlsSilent(opts: { host?: string } = {}): Promise<Running> {
  const server = tls.createServer(TEST_CERT, () => undefined);
  const sockets = track(server);
  const port = await listen(server, opts.host ?? '127.0.0.1', 0);
  return { port, close: () => closeServer(server, sockets) };
}

/** A port on which nothing listens (bound then released): reason `refused`. */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  const server = net.createServer();
  const port = await listen(server, host, 0);
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export type DnsBehaviour = 'answer' | 'nxdomain' | 'servfail' | 'empty' | 'malformed' | 'silent' | 'wrong-id' | 'truncated';

/**
 * A DNS server on UDP and TCP (same port) for the cluster's names: `kubernetes.default.svc.<domain>`
 * answers `address`, other names NXDOMAIN — unless `behaviour` says otherwise.
 */
export async function startDns(
  opts: { host?: string; port?: number; address?: string; behaviour?: DnsBehaviour; domain?: string } = {},
): Promise<Running & { queries: () => number }> {
  const host = opts.host ?? '127.0.0.1';
  const address = opts.address ?? '198.18.100.1';
  const known = `kubernetes.default.svc.${opts.domain ?? 'cluster.local'}`;
  let queries = 0;
  const answer = (query: Buffer): Buffer | undefined => {
    queries++;
    const behaviour = opts.behaviour ?? 'answer';
    if (behaviour === 'silent') return undefined;
    if (behaviour === 'malformed') return Buffer.from([query[0]!, query[1]!, 0x81]);
    const q = readQuestion(query);
    if (!q) return undefined;
    if (behaviour === 'nxdomain') return answerQuery(query, 'NXDOMAIN');
    if (behaviour === 'servfail') return answerQuery(query, 'SERVFAIL');
    if (behaviour === 'empty') return answerQuery(query, 'NOERROR');
    const reply =
      q.name.toLowerCase() === known && q.type === 'A' ? answerQuery(query, 'NOERROR', [address]) : answerQuery(query, 'NXDOMAIN');
    if (behaviour === 'wrong-id') reply.writeUInt16BE((q.id + 1) & 0xffff, 0);
    if (behaviour === 'truncated') {
      // TC set and no answers: what a server sends over UDP when the answer does not fit
      const tc = answerQuery(query, 'NOERROR');
      tc.writeUInt16BE(tc.readUInt16BE(2) | 0x0200, 2);
      return tc;
    }
    return reply;
  };

  const tcp = net.createServer((s) => serveDnsTcpConnection(s, answer));
  const sockets = track(tcp);
  const port = await listen(tcp, host, opts.port ?? 0);
  const udp = dgram.createSocket(net.isIPv6(host) ? 'udp6' : 'udp4');
  udp.on('message', (q, rinfo) => {
    const r = answer(q);
    if (r) udp.send(r, rinfo.port, rinfo.address);
  });
  await new Promise<void>((resolve, reject) => {
    udp.once('error', reject);
    udp.bind(port, host, () => resolve());
  });
  return {
    port,
    queries: () => queries,
    close: async () => {
      await new Promise<void>((resolve) => udp.close(() => resolve()));
      await closeServer(tcp, sockets);
    },
  };
}
