// TLS handshake only. The certificate is not verified: we test the path through the Service,
// not the PKI (a VIP answering with the wrong certificate still proves the proxy forwards).
import tls from 'node:tls';
import { runAttempt } from './attempt.js';
import type { Prober, TlsTarget } from './types.js';

export const probeTls: Prober<TlsTarget> = (target, opts) =>
  runAttempt(opts, (a) => {
    const socket = tls.connect({
      host: target.host,
      port: target.port,
      rejectUnauthorized: false,
      ...(target.serverName ? { servername: target.serverName } : {}),
    });
    a.onSettle(() => socket.destroy());
    socket.once(
      'secureConnect',
      a.wrap(() => a.succeed(socket.getProtocol() ?? undefined)),
    );
    socket.on(
      'error',
      a.wrap((err: Error) => a.fail(err)),
    );
    // A peer that closes cleanly mid-handshake emits 'close' without 'error' on some versions.
    socket.once(
      'close',
      a.wrap(() => a.failWith('reset', 'connection closed before the TLS handshake completed')),
    );
  });
