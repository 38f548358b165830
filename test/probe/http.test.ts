import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import net from 'node:net';
import { HTTP_BODY_LIMIT_BYTES, isValidExpectedStatus, probeHttp, statusMatches } from '../../src/probe/http.js';
import type { HttpTarget } from '../../src/probe/types.js';
import { freePort, startHttp, startResetting, startSilentTcp, startTlsSilent, type Running } from './servers.js';

const target = (port: number, over: Partial<HttpTarget> = {}): HttpTarget => ({
  kind: 'http',
  probe: 't',
  path: 'vip',
  family: 'ipv4',
  host: '127.0.0.1',
  port,
  scheme: 'http',
  httpPath: '/healthz',
  expectedStatus: '2xx',
  ...over,
});

describe('expected status', () => {
  it('accepts codes, classes, lists and any', () => {
    for (const s of ['200', '2xx', '2XX', '200, 301', '2xx,404', 'any', ' any ']) assert.equal(isValidExpectedStatus(s), true, s);
    for (const s of ['', '20', '2000', '6xx', 'ok', '200,', 'x2xx', '200-299']) assert.equal(isValidExpectedStatus(s), false, s);
  });
  it('matches statuses', () => {
    assert.equal(statusMatches('2xx', 204), true);
    assert.equal(statusMatches('2xx', 301), false);
    assert.equal(statusMatches('200,301', 301), true);
    assert.equal(statusMatches('200', 201), false);
    assert.equal(statusMatches('any', 503), true);
    assert.equal(statusMatches('bogus', 200), false);
  });
});

describe('http prober', () => {
  const servers: Running[] = [];
  let ok: Running, unavailable: Running, secure: Running, silent: Running, resetting: Running, tlsSilent: Running;
  before(async () => {
    servers.push((ok = await startHttp()));
    servers.push((unavailable = await startHttp({ status: 503 })));
    servers.push((secure = await startHttp({ tls: true, status: 401 })));
    servers.push((silent = await startSilentTcp()));
    servers.push((resetting = await startResetting()));
    servers.push((tlsSilent = await startTlsSilent()));
  });
  after(() => Promise.all(servers.map((s) => s.close())));

  it('succeeds on an expected status', async () => {
    const r = await probeHttp(target(ok.port), { timeoutMs: 2000 });
    assert.equal(r.success, true, r.detail);
    assert.equal(r.detail, 'HTTP 200');
  });

  it('fails with http_status on an unexpected status', async () => {
    const r = await probeHttp(target(unavailable.port), { timeoutMs: 2000 });
    assert.deepEqual([r.success, r.reason], [false, 'http_status']);
    assert.match(r.detail ?? '', /503/);
  });

  it('accepts any status when told so', async () => {
    const r = await probeHttp(target(unavailable.port, { expectedStatus: 'any' }), { timeoutMs: 2000 });
    assert.equal(r.success, true);
  });

  it('speaks HTTPS without verifying the certificate', async () => {
    const r = await probeHttp(target(secure.port, { scheme: 'https', expectedStatus: 'any', serverName: 'kubernetes.default.svc' }), {
      timeoutMs: 2000,
    });
    assert.equal(r.success, true, r.detail);
    assert.equal(r.detail, 'HTTP 401');
  });

  it('fails with tls when HTTPS meets a plain HTTP server', async () => {
    const r = await probeHttp(target(ok.port, { scheme: 'https' }), { timeoutMs: 2000 });
    assert.deepEqual([r.success, r.reason], [false, 'tls']);
  });

  it('reports refused', async () => {
    const r = await probeHttp(target(await freePort()), { timeoutMs: 2000 });
    assert.deepEqual([r.success, r.reason], [false, 'refused']);
  });

  it('reports reset when the server resets the connection', async () => {
    const r = await probeHttp(target(resetting.port), { timeoutMs: 2000 });
    assert.deepEqual([r.success, r.reason], [false, 'reset'], r.detail);
  });

  it('times out on a server that never answers', async () => {
    const r = await probeHttp(target(silent.port), { timeoutMs: 200 });
    assert.deepEqual([r.success, r.reason], [false, 'timeout']);
  });

  it('counts a completed TLS handshake as success when handshakeIsSuccess', async () => {
    const t = target(tlsSilent.port, { scheme: 'https', expectedStatus: 'any', handshakeIsSuccess: true });
    const r = await probeHttp(t, { timeoutMs: 300 });
    assert.equal(r.success, true);
    assert.match(r.detail ?? '', /TLS handshake completed/);
    const strict = await probeHttp({ ...t, handshakeIsSuccess: false }, { timeoutMs: 300 });
    assert.deepEqual([strict.success, strict.reason], [false, 'timeout']);
  });

  it('stops when aborted mid-request', async () => {
    const ctl = new AbortController();
    const p = probeHttp(target(silent.port), { timeoutMs: 10_000, signal: ctl.signal });
    ctl.abort();
    const r = await p;
    assert.deepEqual([r.success, r.reason, r.detail], [false, 'other', 'aborted']);
  });
});

describe('http prober: what comes after the status line', () => {
  /** a raw TCP server that answers the first bytes of each connection with `answer(socket)` */
  const raw = async (answer: (s: net.Socket) => void): Promise<Running> => {
    const sockets = new Set<net.Socket>();
    const server = net.createServer((s) => {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => undefined);
      s.once('data', () => answer(s));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    return {
      port: (server.address() as net.AddressInfo).port,
      close: () => {
        for (const x of sockets) x.destroy();
        return new Promise((r) => server.close(() => r()));
      },
    };
  };
  const servers: Running[] = [];
  let closedByClient = 0;
  after(async () => {
    await Promise.all(servers.map((x) => x.close()));
  });

  it('an endless body: success on the status at once, the body read to the limit only, the connection closed', async () => {
    const chunk = Buffer.alloc(8192, 'x');
    const srv = await raw((s) => {
      s.write('HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n');
      const pump = (): void => {
        while (!s.destroyed && s.write(`${chunk.length.toString(16)}\r\n${chunk}\r\n`));
        if (!s.destroyed) s.once('drain', pump);
      };
      s.once('close', () => closedByClient++);
      pump();
    });
    servers.push(srv);
    const r = await probeHttp(target(srv.port), { timeoutMs: 3000 });
    assert.equal(r.success, true, r.detail);
    assert.equal(r.detail, `HTTP 200; body not read past ${HTTP_BODY_LIMIT_BYTES} bytes`);
    assert.ok(r.durationSeconds < 1, `${r.durationSeconds} s`);
    await new Promise<void>((resolve) => {
      const t = setInterval(() => closedByClient > 0 && (clearInterval(t), resolve()), 10);
    });
  });

  it('a body cut off before its end is reset', async () => {
    const srv = await raw((s) => {
      s.write('HTTP/1.1 200 OK\r\ncontent-length: 1000\r\n\r\nonly this much');
      setTimeout(() => s.end(), 10);
    });
    servers.push(srv);
    const r = await probeHttp(target(srv.port), { timeoutMs: 2000 });
    assert.deepEqual([r.success, r.reason], [false, 'reset'], r.detail);
  });

  it('bytes that are not HTTP are other, never success', async () => {
    const srv = await raw((s) => void s.write('\u0000\u0001SSH-2.0-not-http\r\n\r\n'));
    servers.push(srv);
    const r = await probeHttp(target(srv.port), { timeoutMs: 2000 });
    assert.deepEqual([r.success, r.reason], [false, 'other'], r.detail);
  });
});
