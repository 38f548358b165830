// Listening-socket plumbing for the demo data plane: listen/bind with a port, close a server
// together with its open connections, and bind one port number on both UDP and TCP.
import type dgram from 'node:dgram';
import type net from 'node:net';

/** A net.Server whose accepted sockets are remembered so close() can end them at once. */
export interface TrackedServer {
  server: net.Server;
  sockets: Set<net.Socket>;
}

export function tracked(server: net.Server): TrackedServer {
  const sockets = new Set<net.Socket>();
  server.on('connection', (s: net.Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  return { server, sockets };
}

export async function listenTcp(server: net.Server, host: string, port: number): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error): void => reject(err);
    server.once('error', onError);
    server.listen({ host, port, exclusive: true }, () => {
      server.off('error', onError);
      resolve();
    });
  });
  return (server.address() as net.AddressInfo).port;
}

/** Stops listening and destroys every open connection; resolves when the server is closed. */
export function closeTcp(t: TrackedServer): Promise<void> {
  for (const s of t.sockets) s.destroy();
  if (!t.server.listening) return Promise.resolve();
  return new Promise((resolve) => t.server.close(() => resolve()));
}

export async function bindUdp(socket: dgram.Socket, host: string, port: number): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error): void => reject(err);
    socket.once('error', onError);
    socket.bind({ address: host, port, exclusive: true }, () => {
      socket.off('error', onError);
      resolve();
    });
  });
  return socket.address().port;
}

export function closeUdp(socket: dgram.Socket): Promise<void> {
  return new Promise((resolve) => {
    try {
      socket.close(() => resolve());
    } catch {
      resolve(); // already closed
    }
  });
}

const isAddrInUse = (err: unknown): boolean => (err as NodeJS.ErrnoException | undefined)?.code === 'EADDRINUSE';

/**
 * Binds `makeUdp()` and listens `makeTcp()` on the same host and port: `port` when given (a
 * re-bind), otherwise UDP on an ephemeral port first, then TCP on that number, retrying with a new
 * ephemeral port when TCP finds it taken.
 */
export async function bindUdpAndTcp(
  host: string,
  port: number,
  makeUdp: () => dgram.Socket,
  makeTcp: () => TrackedServer,
  attempts = 20,
): Promise<{ port: number; udp: dgram.Socket; tcp: TrackedServer }> {
  let lastErr: unknown;
  for (let i = 0; i < attempts; i++) {
    const udp = makeUdp();
    let bound: number;
    try {
      bound = await bindUdp(udp, host, port);
    } catch (err) {
      await closeUdp(udp);
      throw err;
    }
    const tcp = makeTcp();
    try {
      await listenTcp(tcp.server, host, bound);
      return { port: bound, udp, tcp };
    } catch (err) {
      lastErr = err;
      await closeUdp(udp);
      await closeTcp(tcp);
      if (port !== 0 || !isAddrInUse(err)) throw err;
    }
  }
  throw lastErr instanceof Error ? lastErr : new Error(`no port free on ${host} for both UDP and TCP`);
}

/** listenTcp with a few retries on EADDRINUSE (re-binding a fixed port just released). */
export async function listenTcpRetrying(
  make: () => TrackedServer,
  host: string,
  port: number,
  attempts = 10,
): Promise<{ port: number; tcp: TrackedServer }> {
  for (let i = 0; ; i++) {
    const tcp = make();
    try {
      return { port: await listenTcp(tcp.server, host, port), tcp };
    } catch (err) {
      await closeTcp(tcp);
      if (i + 1 >= attempts || !isAddrInUse(err) || port === 0) throw err;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}
