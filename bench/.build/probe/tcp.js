// TCP connect: success once the three-way handshake completes (blackbox_exporter's tcp_connect
// without query/response). Through a VIP this proves the service proxy translated the SYN to a
// backend that accepts.
import net from 'node:net';
import { runAttempt } from './attempt.js';
export const probeTcp = (target, opts) => runAttempt(opts, (a) => {
    const socket = net.connect({ host: target.host, port: target.port });
    a.onSettle(() => socket.destroy());
    socket.once('connect', () => a.succeed());
    socket.once('error', (err) => a.fail(err));
});
