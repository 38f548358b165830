// The demo's backends — what the simulated Services' EndpointSlices point at, on loopback: an
// "API server" answering /readyz over HTTPS, a "CoreDNS" over UDP and TCP, and an HTTP echo.
import dgram from 'node:dgram';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { answerQuery, readQuestion, serveDnsTcpConnection } from '../../src/probe/dnsmessage.js';
import { DEMO_TLS_CERT, DEMO_TLS_KEY } from './demo-tls/pair.js';
import { bindUdpAndTcp, closeTcp, closeUdp, listenTcp, tracked } from './sockets.js';

export interface Backend {
  host: string;
  port: number;
  close(): Promise<void>;
}

async function serveHttp(server: http.Server, host: string): Promise<Backend> {
  server.keepAliveTimeout = 1000;
  server.on('clientError', (_err, socket) => socket.destroy());
  const t = tracked(server);
  const port = await listenTcp(server, host, 0);
  return { host, port, close: () => closeTcp(t) };
}

/**
 * The API server stand-in: `/readyz`, `/livez` and `/healthz` answer 200 `ok` (as a real one does
 * for anonymous health checks); anything else is the 403 an anonymous request gets.
 */
export function startApiServerBackend(host: string): Promise<Backend> {
  const server = https.createServer({ cert: DEMO_TLS_CERT, key: DEMO_TLS_KEY }, (req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/readyz' || path === '/livez' || path === '/healthz') {
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
      res.end('ok');
      return;
    }
    res.writeHead(403, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        kind: 'Status',
        apiVersion: 'v1',
        status: 'Failure',
        message: `forbidden: User "system:anonymous" cannot get path "${path}"`,
        reason: 'Forbidden',
        code: 403,
      }),
    );
  });
  server.on('tlsClientError', () => undefined);
  return serveHttp(server, host);
}

/** An HTTP echo: 200 with the request line and headers as JSON, for the opt-in demo Service. */
export function startEchoBackend(host: string): Promise<Backend> {
  const server = http.createServer((req, res) => {
    req.resume();
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(`${JSON.stringify({ method: req.method, url: req.url, headers: req.headers, served_by: 'demo echo backend' })}\n`);
  });
  return serveHttp(server, host);
}

/**
 * The CoreDNS stand-in on UDP and TCP (same port): A queries for the names in `records()`
 * (lower-case, no trailing dot) answer with their address; known names asked for another type
 * answer NOERROR with no records; unknown names NXDOMAIN. `records` is read per query, so names
 * added later (the exporter's own Service) resolve too.
 */
export async function startDnsBackend(host: string, records: () => ReadonlyMap<string, string>): Promise<Backend> {
  const answer = (query: Buffer): Buffer | undefined => {
    const q = readQuestion(query);
    if (!q) return undefined;
    try {
      const name = q.name.toLowerCase().replace(/\.$/, '');
      const addr = records().get(name);
      if (addr === undefined) return answerQuery(query, 'NXDOMAIN');
      const matches = (q.type === 'A' && net.isIPv4(addr)) || (q.type === 'AAAA' && net.isIPv6(addr));
      return answerQuery(query, 'NOERROR', matches ? [addr] : []);
    } catch {
      return undefined;
    }
  };
  const makeUdp = (): dgram.Socket => {
    const udp = dgram.createSocket(net.isIPv6(host) ? 'udp6' : 'udp4');
    udp.on('error', () => undefined);
    udp.on('message', (msg, rinfo) => {
      const r = answer(msg);
      if (r) udp.send(r, rinfo.port, rinfo.address);
    });
    return udp;
  };
  const makeTcp = () => tracked(net.createServer((s) => serveDnsTcpConnection(s, answer)));
  const { port, udp, tcp } = await bindUdpAndTcp(host, 0, makeUdp, makeTcp);
  return {
    host,
    port,
    close: async () => {
      await Promise.all([closeUdp(udp), closeTcp(tcp)]);
    },
  };
}
