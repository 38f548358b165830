// TCP connect: success once the three-way handshake completes (blackbox_exporter's tcp_connect
// without query/response). Through a VIP this proves the service proxy translated the SYN to a
// backend that accepts.
import net from 'node:net';
import { runAttempt } from './attempt.js';
import type { Prober, TcpTarget } from './types.js';

export const probeTcp: Prober<TcpTarget> = (target, opts) =>
  runAttempt(opts, (a) => {
    const socket = net.connect({ host: target.host, port: target.port });
    a.onSettle(() => socket.destroy());
    socket.once(
      'connect',
      a.wrap(() => a.succeed()),
    );
    socket.on(
      'error',
      a.wrap((err: Error) => a.fail(err)),
    );
  });
