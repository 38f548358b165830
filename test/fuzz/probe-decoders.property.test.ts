// Property tests for every decoder a probe runs on bytes from the network: DNS replies (dns-packet
// via judgeReply), DNS-over-TCP framing, and HTTP responses (Node's parser behind probeHttp). Random
// and mutated bytes must give a settled result — a verdict or a failure with a reason of the closed
// set — never a throw, neither synchronously nor into the event loop (the test runner would report
// an uncaught exception as a failure).
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { answerQuery, encodeQuery, frameTcp, judgeReply, TcpDnsFramer } from '../../src/probe/dnsmessage.js';
import { probeDns } from '../../src/probe/dns.js';
import { HTTP_BODY_LIMIT_BYTES, probeHttp } from '../../src/probe/http.js';
import { FAILURE_REASONS, type ProbeResult } from '../../src/probe/types.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 150);
const NAME = 'kubernetes.default.svc.cluster.local';
const TIMEOUT_MS = 200;
/** probes over loopback: a silent outcome costs a timeout each, so fewer runs than the pure decoders */
const SOCKET_RUNS = Math.ceil(RUNS / 2);

function assertSettled(r: ProbeResult, what: string): void {
  assert.equal(typeof r.success, 'boolean', what);
  if (!r.success) assert.ok((FAILURE_REASONS as readonly string[]).includes(r.reason!), `${what}: reason ${r.reason}`);
  assert.ok(r.durationSeconds * 1000 < TIMEOUT_MS + 500, `${what}: settled after ${r.durationSeconds} s`);
}

/** A valid answer to our query with some bytes overwritten: reaches deeper into the decoder than noise. */
const mutatedAnswer = (id: number) =>
  fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }).map((edits) => {
    const b = Buffer.from(answerQuery(encodeQuery(id, NAME), 'NOERROR', ['198.18.100.1', '198.18.100.2']));
    for (const [at, v] of edits) b[at % b.length] = v;
    return b;
  });

describe('DNS reply decoding (judgeReply)', () => {
  it('gives a verdict for any bytes, never throws', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 0xffff }),
        fc.constantFrom('A' as const, 'AAAA' as const),
        fc.uint8Array({ maxLength: 600 }),
        (id, type, bytes) => {
          const v = judgeReply(Buffer.from(bytes), id, type);
          assert.ok(['success', 'dns', 'not_ours'].includes(v.kind));
        },
      ),
      { numRuns: RUNS * 20 },
    );
    fc.assert(
      fc.property(mutatedAnswer(42), (b) => {
        const v = judgeReply(b, 42, 'A');
        assert.ok(['success', 'dns', 'not_ours'].includes(v.kind));
      }),
      { numRuns: RUNS * 20 },
    );
  });
});

describe('DNS-over-TCP framing (TcpDnsFramer)', () => {
  it('splits any byte stream, cut anywhere, into the same messages, holding at most one incomplete one', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), fc.array(fc.nat({ max: 2000 }), { maxLength: 10 }), (bytes, cuts) => {
        const stream = Buffer.from(bytes);
        const whole = new TcpDnsFramer().push(stream).map((m) => m.toString('hex'));
        const f = new TcpDnsFramer();
        const got: string[] = [];
        let at = 0;
        for (const c of [...cuts.map((x) => x % (stream.length + 1)).sort((a, b) => a - b), stream.length]) {
          got.push(...f.push(stream.subarray(at, c)).map((m) => m.toString('hex')));
          at = c;
          assert.ok(f.pending <= 0xffff + 2);
        }
        assert.deepEqual(got, whole);
      }),
      { numRuns: RUNS * 5 },
    );
  });
});

describe('the DNS prober on random replies over UDP and TCP', () => {
  let reply: (query: Buffer) => Buffer = () => Buffer.alloc(0);
  let udp: dgram.Socket;
  let tcp: net.Server;
  let udpPort = 0;
  let tcpPort = 0;
  let tcpClose = false;
  before(async () => {
    udp = dgram.createSocket('udp4');
    udp.on('message', (q, rinfo) => udp.send(reply(q), rinfo.port, rinfo.address));
    await new Promise<void>((r) => udp.bind(0, '127.0.0.1', () => r()));
    udpPort = udp.address().port;
    tcp = net.createServer((s) => {
      s.on('error', () => undefined);
      s.once('data', () => {
        // Some replies framed (the decoder sees them), some raw (the framing sees them), some cut off.
        const r = reply(Buffer.alloc(0));
        s.write(r);
        if (tcpClose) s.end();
      });
    });
    await new Promise<void>((r) => tcp.listen(0, '127.0.0.1', () => r()));
    tcpPort = (tcp.address() as net.AddressInfo).port;
  });
  after(async () => {
    udp.close();
    await new Promise<void>((r) => tcp.close(() => r()));
  });

  it('over UDP: every reply settles the probe', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.boolean(),
        fc.uint8Array({ maxLength: 512 }),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }),
        async (mutate, noise, edits) => {
          reply = (q) => {
            if (!mutate) return Buffer.from(noise);
            const b = Buffer.from(answerQuery(q, 'NOERROR', ['198.18.100.1']));
            for (const [at, v] of edits) b[at % b.length] = v;
            return b;
          };
          const r = await probeDns(
            { kind: 'dns', probe: 'f', path: 'vip', family: 'ipv4', host: '127.0.0.1', port: udpPort, transport: 'udp', queryName: NAME },
            { timeoutMs: TIMEOUT_MS },
          );
          assertSettled(r, 'udp');
        },
      ),
      { numRuns: SOCKET_RUNS },
    );
  });

  it('over TCP: every byte stream settles the probe', async () => {
    await fc.assert(
      fc.asyncProperty(fc.boolean(), fc.boolean(), fc.uint8Array({ maxLength: 512 }), async (framed, close, noise) => {
        tcpClose = close;
        reply = () => (framed ? frameTcp(Buffer.from(noise)) : Buffer.from(noise));
        const r = await probeDns(
          { kind: 'dns', probe: 'f', path: 'vip', family: 'ipv4', host: '127.0.0.1', port: tcpPort, transport: 'tcp', queryName: NAME },
          { timeoutMs: TIMEOUT_MS },
        );
        assertSettled(r, 'tcp');
      }),
      { numRuns: SOCKET_RUNS },
    );
  });
});

describe('the HTTP prober on random responses', () => {
  let response: Buffer = Buffer.alloc(0);
  let close = true;
  let server: net.Server;
  let port = 0;
  const open = new Set<net.Socket>();
  before(async () => {
    server = net.createServer((s) => {
      open.add(s);
      s.on('close', () => open.delete(s));
      s.on('error', () => undefined);
      s.once('data', () => {
        s.write(response);
        if (close) s.end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    port = (server.address() as net.AddressInfo).port;
  });
  after(async () => {
    for (const s of open) s.destroy();
    await new Promise<void>((r) => server.close(() => r()));
  });

  const statusLine = fc.constantFrom(
    'HTTP/1.1 200 OK\r\n',
    'HTTP/1.0 204 No Content\r\n',
    'HTTP/1.1 503 Unavailable\r\n',
    'HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n',
    '',
  );
  const header = fc.constantFrom(
    'content-length: 5\r\n',
    'content-length: 999999\r\n',
    'content-length: x\r\n',
    'x: y\r\n',
    '\r\n',
    ': \r\n',
  );

  it('settles on any response bytes, and succeeds only on a real status line', async () => {
    await fc.assert(
      fc.asyncProperty(
        statusLine,
        fc.array(header, { maxLength: 4 }),
        fc.boolean(),
        fc.uint8Array({ maxLength: 2048 }),
        fc.boolean(),
        async (status, headers, endHeaders, noise, shouldClose) => {
          response = Buffer.concat([Buffer.from(status + headers.join('') + (endHeaders ? '\r\n' : ''), 'latin1'), Buffer.from(noise)]);
          close = shouldClose;
          const r = await probeHttp(
            {
              kind: 'http',
              probe: 'f',
              path: 'vip',
              family: 'ipv4',
              host: '127.0.0.1',
              port,
              scheme: 'http',
              httpPath: '/',
              expectedStatus: '2xx',
            },
            { timeoutMs: TIMEOUT_MS },
          );
          assertSettled(r, JSON.stringify(response.toString('latin1').slice(0, 80)));
          if (r.success) assert.match(response.toString('latin1'), /^HTTP\/1\.[01] 2\d\d /);
        },
      ),
      { numRuns: SOCKET_RUNS },
    );
  });

  it('reads at most the body limit of an answer that does not end', async () => {
    response = Buffer.concat([
      Buffer.from('HTTP/1.1 200 OK\r\ncontent-length: 100000000\r\n\r\n'),
      Buffer.alloc(HTTP_BODY_LIMIT_BYTES * 4, 'x'),
    ]);
    close = false;
    const r = await probeHttp(
      {
        kind: 'http',
        probe: 'f',
        path: 'vip',
        family: 'ipv4',
        host: '127.0.0.1',
        port,
        scheme: 'http',
        httpPath: '/',
        expectedStatus: '2xx',
      },
      { timeoutMs: 2000 },
    );
    assert.equal(r.success, true, r.detail);
    assert.match(r.detail ?? '', /body not read past/);
    assert.ok(r.durationSeconds < 1, `${r.durationSeconds} s`);
  });
});
