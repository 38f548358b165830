// The canary ports: every replica listens on both, over TCP and UDP, on each of its pod IPs (one
// per family), and answers each connection and each datagram with the port's identity, so a client
// of the canary VIP learns which target the service proxy sent it to.
import dgram from 'node:dgram';
import net from 'node:net';
import { identityLine, parseIdentity } from './objects.js';

export interface CanaryListeners {
  ports: number[];
  close(): Promise<void>;
}

/** A datagram longer than this gets no answer: the canary answers its own flow, not an amplifier's. */
const MAX_DATAGRAM = 256;

/** Listens on host:port over TCP and UDP for each host and port; rejects (closing what opened) when one cannot be bound. */
export async function listenCanaryPorts(hosts: string | readonly string[], ports: readonly number[]): Promise<CanaryListeners> {
  const servers: net.Server[] = [];
  const sockets: dgram.Socket[] = [];
  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= Promise.all([
      ...servers.map((s) => new Promise<void>((r) => s.close(() => r()))),
      ...sockets.map((s) => new Promise<void>((r) => s.close(() => r()))),
    ]).then(() => undefined));
  try {
    for (const host of typeof hosts === 'string' ? [hosts] : hosts)
      for (const port of ports) {
        const udp = dgram.createSocket(net.isIPv6(host) ? 'udp6' : 'udp4');
        udp.on('message', (msg, rinfo) => {
          if (msg.length <= MAX_DATAGRAM) udp.send(identityLine(port), rinfo.port, rinfo.address, () => undefined);
        });
        await new Promise<void>((resolve, reject) => {
          udp.once('error', reject);
          udp.bind({ address: host, port }, () => {
            udp.off('error', reject);
            resolve();
          });
        });
        udp.on('error', () => undefined);
        sockets.push(udp);
        await listenTcp(host, port);
      }
  } catch (e) {
    await close();
    throw e;
  }
  return { ports: [...ports], close };

  async function listenTcp(host: string, port: number): Promise<void> {
    const server = net.createServer((socket) => {
      socket.on('error', () => socket.destroy());
      socket.setTimeout(5_000, () => socket.destroy());
      socket.end(identityLine(port));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host, port }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    servers.push(server);
  }
}

export type AskResult = { port: number } | { error: string };

/** Connects to host:port and reads the identity line; the port it names, or why not (timeout, refused, garbage). */
export function askIdentity(host: string, port: number, timeoutMs: number, signal?: AbortSignal): Promise<AskResult> {
  return new Promise((resolve) => {
    let buf = '';
    let done = false;
    const socket = net.connect({ host, port });
    const finish = (r: AskResult) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      socket.destroy();
      resolve(r);
    };
    const onAbort = () => finish({ error: 'aborted' });
    const timer = setTimeout(() => finish({ error: 'timeout' }), timeoutMs);
    signal?.addEventListener('abort', onAbort, { once: true });
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      buf += chunk;
      if (buf.includes('\n') || buf.length > 128) {
        const p = parseIdentity(buf.slice(0, buf.indexOf('\n') + 1 || undefined));
        finish(p === undefined ? { error: 'unexpected answer' } : { port: p });
      }
    });
    socket.on('end', () => {
      const p = parseIdentity(buf);
      finish(p === undefined ? { error: buf ? 'unexpected answer' : 'closed without answer' } : { port: p });
    });
    socket.on('error', (e: NodeJS.ErrnoException) => finish({ error: e.code ?? e.message }));
  });
}
