// HTTP(S) GET with an expected status (blackbox_exporter's http prober, reduced to what a Service
// probe needs). The certificate is never verified: we test the path, not the PKI. Redirects are not
// followed: a 3xx proves the path as well as a 200 does, and following one could leave the Service.
// The verdict comes from the status line and headers; the body is read (and discarded) up to
// HTTP_BODY_LIMIT_BYTES only, then the socket is destroyed: a body past the limit (a backend that
// streams without end) is ignored, not a failure — the status already proved the path — and can
// cost neither memory nor the probe timeout. A body that breaks off before its end or the limit is
// `reset`.
import http from 'node:http';
import https from 'node:https';
import { runAttempt } from './attempt.js';
import type { HttpTarget, Prober } from './types.js';

/** Most body bytes a probe reads (blackbox_exporter's `body_size_limit`, fixed here). */
export const HTTP_BODY_LIMIT_BYTES = 64 * 1024;

const STATUS_ITEM = /^(?:[1-5]\d\d|[1-5]xx)$/;

/**
 * Whether `spec` is a valid expected-status: `any`, or a comma list of codes (`200`) and classes
 * (`2xx`). Whitespace around items is ignored; case-insensitive.
 */
export function isValidExpectedStatus(spec: string): boolean {
  const s = spec.trim().toLowerCase();
  if (s === 'any') return true;
  const items = s.split(',').map((i) => i.trim());
  return items.length > 0 && items.every((i) => STATUS_ITEM.test(i));
}

/** Whether an HTTP status satisfies `spec` (see isValidExpectedStatus); an invalid spec matches nothing. */
export function statusMatches(spec: string, status: number): boolean {
  if (!isValidExpectedStatus(spec)) return false;
  const s = spec.trim().toLowerCase();
  if (s === 'any') return status >= 100 && status <= 599;
  return s.split(',').some((raw) => {
    const i = raw.trim();
    return i.endsWith('xx') ? Math.floor(status / 100) === Number(i[0]) : Number(i) === status;
  });
}

export const probeHttp: Prober<HttpTarget> = (target, opts) =>
  runAttempt(opts, (a) => {
    const secure = target.scheme === 'https';
    let handshakeDone = false;
    const afterHandshake = (what: string): boolean => {
      if (!(secure && target.handshakeIsSuccess && handshakeDone)) return false;
      a.succeed(`TLS handshake completed; HTTP exchange failed: ${what}`);
      return true;
    };
    a.whenTimedOut = () => void afterHandshake('no response in time');
    const options: https.RequestOptions = {
      host: target.host,
      port: target.port,
      path: target.httpPath || '/',
      method: 'GET',
      // A fresh connection per probe: a pooled one would bypass the service proxy's choice.
      agent: false,
      headers: { 'user-agent': 'service-proxy-exporter', accept: '*/*', connection: 'close' },
    };
    if (secure) {
      options.rejectUnauthorized = false;
      if (target.serverName) options.servername = target.serverName;
    }
    const req = (secure ? https : http).request(options);
    a.onSettle(() => req.destroy());
    req.once(
      'socket',
      a.wrap((socket) => {
        if (secure) socket.once('secureConnect', () => (handshakeDone = true));
      }),
    );
    req.on(
      'error',
      a.wrap((err: Error) => {
        if (!afterHandshake(err.message)) a.fail(err);
      }),
    );
    req.once(
      'response',
      a.wrap((res: http.IncomingMessage) => {
        const status = res.statusCode ?? 0;
        if (!statusMatches(target.expectedStatus, status)) {
          a.failWith('http_status', `HTTP ${status}, expected ${target.expectedStatus}`);
          return;
        }
        // Read the (discarded) body to its end or the limit: a backend that resets mid-body is not
        // healthy, one that streams past the limit has answered.
        let read = 0;
        res.on(
          'error',
          a.wrap((err: Error) => a.fail(err)),
        );
        res.once(
          'aborted',
          a.wrap(() => a.failWith('reset', 'response aborted')),
        );
        res.once(
          'end',
          a.wrap(() => a.succeed(`HTTP ${status}`)),
        );
        res.once(
          'close',
          a.wrap(() => {
            if (!res.complete) a.failWith('reset', `connection closed after ${read} body bytes`);
          }),
        );
        res.on(
          'data',
          a.wrap((chunk: Buffer) => {
            read += chunk.length;
            if (read >= HTTP_BODY_LIMIT_BYTES) a.succeed(`HTTP ${status}; body not read past ${HTTP_BODY_LIMIT_BYTES} bytes`);
          }),
        );
      }),
    );
    req.end();
  });
