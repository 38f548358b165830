// The suite runs in a network namespace of its own with only loopback (scripts/isolate.mjs, called by
// `npm test`), so no test can send a packet off the machine. This proves it from inside: a connect to
// an address outside 127.0.0.0/8 fails at once with "network unreachable", over TCP and UDP.
// It never tries while a route out exists: then it skips (or, under CI=true, fails) without sending.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import net from 'node:net';
import { networkInterfaces } from 'node:os';

/** Interfaces other than loopback: where a packet could leave. */
function exits(): string[] {
  return Object.entries(networkInterfaces())
    .filter(([, addrs]) => (addrs ?? []).some((a) => !a.internal))
    .map(([name]) => name);
}

function skipReason(): string | undefined {
  const out = exits();
  if (out.length === 0) return undefined;
  const why = `the suite is not isolated: interfaces ${out.join(', ')} lead off this machine (run it through npm test as root)`;
  if (process.env.CI === 'true') throw new Error(`under CI=true the suite must run in its own network namespace: ${why}`);
  return why;
}

// 198.18.0.0/15 is benchmarking space: even if this ran unisolated, nobody would own the address.
const OUTSIDE = '198.18.255.254';

describe('test traffic stays on this machine', { skip: skipReason() }, () => {
  it('only loopback is up', () => {
    assert.deepEqual(exits(), []);
  });

  it('a TCP connect outside 127.0.0.0/8 fails with ENETUNREACH', async () => {
    const err = await new Promise<NodeJS.ErrnoException>((resolve, reject) => {
      const s = net.connect({ host: OUTSIDE, port: 9 });
      s.once('connect', () => {
        s.destroy();
        reject(new Error(`connected to ${OUTSIDE}`));
      });
      s.once('error', resolve);
    });
    assert.equal(err.code, 'ENETUNREACH');
  });

  it('a UDP connect outside 127.0.0.0/8 fails with ENETUNREACH', async () => {
    const sock = dgram.createSocket('udp4');
    try {
      const err = await new Promise<NodeJS.ErrnoException | null>((resolve) =>
        sock.connect(53, OUTSIDE, (e?: Error) => resolve((e as NodeJS.ErrnoException) ?? null)),
      );
      assert.equal(err?.code, 'ENETUNREACH');
    } finally {
      sock.close();
    }
  });

  it('loopback still works', async () => {
    const server = net.createServer((c) => c.end('ok'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const port = (server.address() as net.AddressInfo).port;
      const got = await new Promise<string>((resolve, reject) => {
        const c = net.connect({ host: '127.0.0.1', port });
        let buf = '';
        c.on('data', (d) => (buf += d));
        c.on('end', () => resolve(buf));
        c.on('error', reject);
      });
      assert.equal(got, 'ok');
    } finally {
      server.close();
    }
  });
});
