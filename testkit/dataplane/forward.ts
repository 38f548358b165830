// The demo's stand-in for a service proxy: one forwarder per Service VIP (a loopback address),
// piping TCP connections and relaying UDP datagrams to one backend. stop() closes the VIP's
// sockets so connections are refused (ICMP port unreachable for UDP) exactly like a VIP whose
// kube-proxy rules are gone with a REJECT; start() binds the SAME address and port again.
import dgram from 'node:dgram';
import net from 'node:net';
import { bindUdpAndTcp, closeTcp, closeUdp, listenTcpRetrying, tracked, type TrackedServer } from './sockets.js';

export interface HostPort {
  host: string;
  port: number;
}

export interface Forwarder {
  /** the VIP address */
  readonly host: string;
  /** the VIP port: 0 until the first start(), then fixed for good */
  readonly port: number;
  readonly running: boolean;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * A connection to the VIP becomes a connection to the backend; either side failing ends both. A
 * backend with port 0 is "no endpoint programmed": the connection is reset at once.
 */
function pipeTcp(client: net.Socket, backend: HostPort, upstreams: Set<net.Socket>): void {
  if (backend.port === 0) {
    client.on('error', () => undefined);
    client.resetAndDestroy();
    return;
  }
  const upstream = net.connect({ host: backend.host, port: backend.port });
  upstreams.add(upstream);
  upstream.on('close', () => upstreams.delete(upstream));
  client.setNoDelay(true);
  upstream.setNoDelay(true);
  // A backend that refuses or resets: the client sees a reset, as through a real proxy.
  upstream.on('error', () => client.resetAndDestroy());
  client.on('error', () => upstream.destroy());
  client.pipe(upstream);
  upstream.pipe(client);
}

const udpFamily = (host: string): 'udp4' | 'udp6' => (net.isIPv6(host) ? 'udp6' : 'udp4');

/** Datagrams to the VIP go to the backend from a fresh socket per datagram; its replies come back from the VIP. */
function relayUdp(vip: dgram.Socket, backend: HostPort, upstreams: Set<dgram.Socket>, replyTimeoutMs: number): void {
  vip.on('message', (msg, client) => {
    const up = dgram.createSocket(udpFamily(backend.host));
    upstreams.add(up);
    let closed = false;
    const done = (): void => {
      if (closed) return;
      closed = true;
      clearTimeout(timer);
      upstreams.delete(up);
      void closeUdp(up);
    };
    const timer = setTimeout(done, replyTimeoutMs);
    timer.unref();
    up.on('error', done);
    up.on('message', (reply) => {
      try {
        vip.send(reply, client.port, client.address);
      } catch {
        // the VIP was closed meanwhile (break): the reply is lost, as it would be
      }
      done();
    });
    up.send(msg, backend.port, backend.host, (err) => err && done());
  });
  vip.on('error', () => undefined);
}

/** A TCP-only VIP (HTTP, HTTPS, anything). */
export function tcpForwarder(host: string, backend: HostPort): Forwarder {
  let port = 0;
  let server: TrackedServer | undefined;
  const upstreams = new Set<net.Socket>();
  const make = (): TrackedServer => tracked(net.createServer((c) => pipeTcp(c, backend, upstreams)));
  return {
    host,
    get port() {
      return port;
    },
    get running() {
      return server !== undefined;
    },
    async start() {
      if (server) return;
      const r = await listenTcpRetrying(make, host, port);
      port = r.port;
      server = r.tcp;
    },
    async stop() {
      const s = server;
      server = undefined;
      for (const u of upstreams) u.destroy();
      if (s) await closeTcp(s);
    },
  };
}

/** A DNS VIP: UDP and TCP on the same port number, both to the same backend host:port. */
export function dnsForwarder(host: string, backend: HostPort, opts: { replyTimeoutMs?: number } = {}): Forwarder {
  let port = 0;
  let bound: { udp: dgram.Socket; tcp: TrackedServer } | undefined;
  const tcpUp = new Set<net.Socket>();
  const udpUp = new Set<dgram.Socket>();
  const makeUdp = (): dgram.Socket => {
    const s = dgram.createSocket(udpFamily(host));
    relayUdp(s, backend, udpUp, opts.replyTimeoutMs ?? 2000);
    return s;
  };
  const makeTcp = (): TrackedServer => tracked(net.createServer((c) => pipeTcp(c, backend, tcpUp)));
  return {
    host,
    get port() {
      return port;
    },
    get running() {
      return bound !== undefined;
    },
    async start() {
      if (bound) return;
      for (let i = 0; ; i++) {
        try {
          const r = await bindUdpAndTcp(host, port, makeUdp, makeTcp);
          port = r.port;
          bound = { udp: r.udp, tcp: r.tcp };
          return;
        } catch (err) {
          // Re-binding a port just released: give the kernel a moment.
          if (port === 0 || i >= 9 || (err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
          await new Promise((r) => setTimeout(r, 50));
        }
      }
    },
    async stop() {
      const b = bound;
      bound = undefined;
      for (const u of tcpUp) u.destroy();
      for (const u of udpUp) void closeUdp(u);
      udpUp.clear();
      if (b) await Promise.all([closeUdp(b.udp), closeTcp(b.tcp)]);
    },
  };
}

/** A VIP that relays UDP through a table of flows, as conntrack does. */
export interface ConntrackForwarder extends Forwarder {
  /** Forget the flows that lead anywhere but the current backend (kube-proxy's cleanup after an endpoint change). */
  clearStale(): number;
  /** how many flows the table holds */
  readonly flows: number;
}

/** How long an idle flow stays in the table: the kernel's nf_conntrack_udp_timeout. */
const FLOW_IDLE_MS = 30_000;

/**
 * The canary VIP: TCP and UDP on one port. A TCP connection goes to the backend of the moment; a
 * UDP flow (client address and port) is pinned to the backend its first datagram went to, and stays
 * there while it keeps sending, until clearStale() removes it — a kernel's conntrack entry and a
 * service proxy's cleanup (kubernetes#139628: without the cleanup, the flow stays on the old target).
 */
export function canaryForwarder(host: string, backend: HostPort): ConntrackForwarder {
  let port = 0;
  let bound: { udp: dgram.Socket; tcp: TrackedServer } | undefined;
  const tcpUp = new Set<net.Socket>();
  const table = new Map<string, { up: dgram.Socket; port: number; host: string; timer: NodeJS.Timeout }>();
  const drop = (key: string): void => {
    const f = table.get(key);
    if (!f) return;
    table.delete(key);
    clearTimeout(f.timer);
    void closeUdp(f.up);
  };
  const makeUdp = (): dgram.Socket => {
    const vip = dgram.createSocket(udpFamily(host));
    vip.on('message', (msg, client) => {
      const key = `${client.address}:${client.port}`;
      let f = table.get(key);
      if (!f) {
        if (backend.port === 0) return; // nothing programmed: dropped
        const up = dgram.createSocket(udpFamily(backend.host));
        up.on('error', () => drop(key));
        up.on('message', (reply) => {
          try {
            vip.send(reply, client.port, client.address);
          } catch {
            // the VIP was closed meanwhile (break): the reply is lost
          }
        });
        f = { up, port: backend.port, host: backend.host, timer: setTimeout(() => drop(key), FLOW_IDLE_MS) };
        f.timer.unref();
        table.set(key, f);
      }
      f.timer.refresh();
      f.up.send(msg, f.port, f.host, (err) => err && drop(key));
    });
    vip.on('error', () => undefined);
    return vip;
  };
  const makeTcp = (): TrackedServer => tracked(net.createServer((c) => pipeTcp(c, backend, tcpUp)));
  return {
    host,
    get port() {
      return port;
    },
    get running() {
      return bound !== undefined;
    },
    get flows() {
      return table.size;
    },
    clearStale() {
      let n = 0;
      for (const [key, f] of [...table]) {
        if (f.port !== backend.port || f.host !== backend.host) {
          drop(key);
          n++;
        }
      }
      return n;
    },
    async start() {
      if (bound) return;
      for (let i = 0; ; i++) {
        try {
          const r = await bindUdpAndTcp(host, port, makeUdp, makeTcp);
          port = r.port;
          bound = { udp: r.udp, tcp: r.tcp };
          return;
        } catch (err) {
          if (port === 0 || i >= 9 || (err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
          await new Promise((r) => setTimeout(r, 50));
        }
      }
    },
    async stop() {
      const b = bound;
      bound = undefined;
      for (const u of tcpUp) u.destroy();
      for (const key of [...table.keys()]) drop(key);
      if (b) await Promise.all([closeUdp(b.udp), closeTcp(b.tcp)]);
    },
  };
}
