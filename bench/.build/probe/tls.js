// TLS handshake only. The certificate is not verified: we test the path through the Service,
// not the PKI (a VIP answering with the wrong certificate still proves the proxy forwards).
import tls from 'node:tls';
import { runAttempt } from './attempt.js';
export const probeTls = (target, opts) => runAttempt(opts, (a) => {
    const socket = tls.connect({
        host: target.host,
        port: target.port,
        rejectUnauthorized: false,
        ...(target.serverName ? { servername: target.serverName } : {}),
    });
    a.onSettle(() => socket.destroy());
    socket.once('secureConnect', () => a.succeed(socket.getProtocol() ?? undefined));
    socket.once('error', (err) => a.fail(err));
    // A peer that closes cleanly mid-handshake emits 'close' without 'error' on some versions.
    socket.once('close', () => a.failWith('reset', 'connection closed before the TLS handshake completed'));
});
