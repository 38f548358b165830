// The canary ports: every replica listens on both and answers each connection with the port's
// identity, so a client of the canary VIP learns which target the service proxy sent it to.
import net from 'node:net';
import { identityLine, parseIdentity } from './objects.js';

export interface CanaryListeners {
  ports: number[];
  close(): Promise<void>;
}

/** Listens on host:port for each port; rejects (closing what opened) when one cannot be bound. */
export async function listenCanaryPorts(host: string, ports: readonly number[]): Promise<CanaryListeners> {
  const servers: net.Server[] = [];
  const close = () => Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r())))).then(() => undefined);
  try {
    for (const port of ports) {
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
  } catch (e) {
    await close();
    throw e;
  }
  return { ports: [...ports], close };
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
