// The prober against real HTTP servers on loopback: the real answer shapes, the failure modes a
// node can show, and garbage that must never crash a round.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { parseGoTime, readBody } from '../../src/agenthealth/body.js';
import { MAX_BODY_BYTES, probeNode, runRound, type HealthGetter } from '../../src/agenthealth/prober.js';
import { applyAgentHealth, summarize, targetsFor } from '../../src/agenthealth/summary.js';
import type { NodeHealth, ServedLocation } from '../../src/agenthealth/types.js';
import type { Verdict } from '../../src/detect/types.js';
import { noIssues } from '../../src/detect/types.js';

/** time.Time.String() as Go prints it, monotonic suffix included. */
export function goTime(ms: number): string {
  const d = new Date(ms);
  const iso = d.toISOString(); // 2026-12-01T09:58:31.123Z
  return `${iso.slice(0, 10)} ${iso.slice(11, 23)}456789 +0000 UTC m=+${(ms / 1000) % 100000}`;
}

const kp: ServedLocation = { served: true, port: 0, path: '/livez', bodyFormat: 'kube-proxy-json', source: 'test' };

describe('body', () => {
  it('reads Go time.Time strings, with and without the monotonic suffix; zero time is none', () => {
    assert.equal(parseGoTime('2026-12-01 09:58:31.5 +0000 UTC m=+3600.000000001'), Date.parse('2026-12-01T09:58:31.500Z'));
    assert.equal(parseGoTime('2026-12-01 10:58:31 +0100 CET'), Date.parse('2026-12-01T09:58:31Z'));
    assert.equal(parseGoTime('2026-12-01T09:58:31Z'), Date.parse('2026-12-01T09:58:31Z'));
    assert.equal(parseGoTime('0001-01-01 00:00:00 +0000 UTC'), undefined);
    for (const junk of [undefined, 42, '', 'yesterday', '2026-13-45 99:99:99 +0000 UTC']) assert.equal(parseGoTime(junk), undefined);
  });

  it('sync age is currentTime - lastUpdated; healthy kube-proxy sends equal times', () => {
    const now = Date.parse('2026-12-01T10:00:00Z');
    assert.deepEqual(
      readBody('kube-proxy-json', `{"lastUpdated": "${goTime(now - 95_000)}","currentTime": "${goTime(now)}", "nodeEligible": true}`),
      { nodeEligible: true, syncAgeSeconds: 95 },
    );
    assert.deepEqual(readBody('kube-proxy-json', `{"lastUpdated": "${goTime(now)}","currentTime": "${goTime(now)}"}`), {
      syncAgeSeconds: 0,
    });
    assert.deepEqual(readBody('kube-proxy-json', `{"lastUpdated": "0001-01-01 00:00:00 +0000 UTC","currentTime": "${goTime(now)}"}`), {
      note: 'never synced',
    });
  });

  it('reads the body the real kube-proxy v1.37 sends (RFC 3339 times, healthy, per-family status), as on the test bed', () => {
    // Copied from a kube-proxy v1.37.2 /healthz on the real-cluster test bed (docs/testbed.md).
    const real =
      '{"lastUpdated":"2026-12-07T21:49:38.321331204Z","currentTime":"2026-12-07T21:51:08.321282221Z","nodeEligible":true,' +
      '"healthy":false,"status":{"IPv4":{"lastUpdated":"2026-12-07T21:49:35.39852072Z","healthy":false},' +
      '"IPv6":{"lastUpdated":"2026-12-07T21:49:32.732289578Z","healthy":true}}}';
    const r = readBody('kube-proxy-json', real);
    assert.equal(r.nodeEligible, true);
    assert.ok(Math.abs(r.syncAgeSeconds! - 90) < 0.01, `sync age ${r.syncAgeSeconds}`);
  });

  it('garbage bodies give no age and never throw', () => {
    for (const b of [
      '',
      'OK\n',
      '{',
      '[]',
      'null',
      '{"lastUpdated": 5}',
      '{"lastUpdated": {"toString": 1}}',
      '\u0000\u0001',
      '{"currentTime": "x"}',
    ]) {
      const r = readBody('kube-proxy-json', b);
      assert.equal(r.syncAgeSeconds, undefined, b);
    }
    assert.deepEqual(readBody('text', 'OK\n'), {});
  });
});

describe('probeNode over loopback', () => {
  let server: http.Server;
  let port = 0;
  let hangs: net.Server;
  let hangPort = 0;
  const sockets = new Set<net.Socket>();
  const now = Date.now();
  before(async () => {
    server = http.createServer((req, res) => {
      switch (req.url) {
        case '/livez':
          res
            .writeHead(200, { 'content-type': 'application/json' })
            .end(`{"lastUpdated": "${goTime(now)}","currentTime": "${goTime(now)}"}`);
          return;
        case '/stale':
          res
            .writeHead(503, { 'content-type': 'application/json' })
            .end(`{"lastUpdated": "${goTime(now - 600_000)}","currentTime": "${goTime(now)}", "nodeEligible": true}`);
          return;
        case '/huge':
          res.writeHead(200);
          res.end('x'.repeat(MAX_BODY_BYTES * 50));
          return;
        case '/reset':
          req.socket.destroy();
          return;
        default:
          res.writeHead(200).end('{"lastUpdated": "garbage"');
      }
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as net.AddressInfo).port;
    hangs = net.createServer((s) => sockets.add(s)); // accepts and never answers
    await new Promise<void>((r) => hangs.listen(0, '127.0.0.1', r));
    hangPort = (hangs.address() as net.AddressInfo).port;
  });
  after(async () => {
    for (const s of sockets) s.destroy();
    await Promise.all([new Promise((r) => server.close(r)), new Promise((r) => hangs.close(r))]);
  });

  const ask = (path: string, p = port, timeoutMs = 1000) =>
    probeNode({ node: 'n', address: '127.0.0.1' }, { location: { ...kp, port: p, path }, timeoutMs }, 'now');

  it('200 with equal times is healthy, age 0', async () => {
    const h = await ask('/livez');
    assert.equal(h.state, 'healthy');
    assert.equal(h.status, 200);
    assert.equal(h.syncAgeSeconds, 0);
  });

  it('503 with a stale lastUpdated is unhealthy with its age', async () => {
    const h = await ask('/stale');
    assert.equal(h.state, 'unhealthy');
    assert.equal(h.status, 503);
    assert.equal(h.syncAgeSeconds, 600);
    assert.equal(h.nodeEligible, true);
  });

  it('a hung agent is unreachable (timeout), a closed port refused, a dropped connection reset', async () => {
    assert.deepEqual([(await ask('/', hangPort, 100)).state, (await ask('/', hangPort, 100)).reason], ['unreachable', 'timeout']);
    const closed = net.createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const closedPort = (closed.address() as net.AddressInfo).port;
    await new Promise((r) => closed.close(r));
    assert.equal((await ask('/', closedPort)).reason, 'refused');
    assert.equal((await ask('/reset')).reason, 'reset');
  });

  it('a huge or broken body is cut off and read as far as it goes', async () => {
    assert.equal((await ask('/huge')).state, 'healthy');
    const g = await ask('/garbage');
    assert.equal(g.state, 'healthy');
    assert.equal(g.syncAgeSeconds, undefined);
  });

  it('a node without an InternalIP is unreachable without a request', async () => {
    const h = await probeNode({ node: 'n', address: '' }, { location: kp, timeoutMs: 100 }, 'now');
    assert.equal(h.reason, 'node has no InternalIP');
  });
});

describe('runRound', () => {
  it('keeps at most `concurrency` requests open and spreads starts across the budget', async () => {
    let open = 0;
    let peak = 0;
    const starts: number[] = [];
    const get: HealthGetter = async () => {
      starts.push(Date.now());
      open++;
      peak = Math.max(peak, open);
      await new Promise((r) => setTimeout(r, 15));
      open--;
      return { status: 200, body: '' };
    };
    const targets = Array.from({ length: 12 }, (_, i) => ({ node: `n${i}`, address: `127.0.0.${i + 1}` }));
    const t0 = Date.now();
    const out = await runRound(targets, { location: kp, timeoutMs: 100, concurrency: 3, spreadMs: 120, get });
    assert.equal(out.length, 12);
    assert.ok(out.every((h) => h.state === 'healthy'));
    assert.ok(peak <= 3, `peak ${peak}`);
    // start i is never before t0 + i·gap (gap = 120/12 = 10ms)
    starts.sort((a, b) => a - b).forEach((s, i) => assert.ok(s >= t0 + i * 10 - 2, `start ${i} at +${s - t0}ms`));
  });

  it('a getter that throws anything is an unreachable node, not a failed round', async () => {
    const get: HealthGetter = async () => {
      throw 'not even an Error';
    };
    const out = await runRound([{ node: 'a', address: '127.0.0.1' }], { location: kp, timeoutMs: 10, concurrency: 1, spreadMs: 0, get });
    assert.deepEqual([out[0]!.state, out[0]!.reason], ['unreachable', 'other']);
  });
});

it('32 workers on one abort signal: no MaxListenersExceededWarning, and aborting still stops the round', async () => {
  const warnings: string[] = [];
  const onWarning = (w: Error) => warnings.push(w.name);
  process.on('warning', onWarning);
  try {
    const stop = new AbortController();
    let answered = 0;
    const get: HealthGetter = (_a, _p, _path, _t, signal) =>
      new Promise((resolve, reject) => {
        const onAbort = () => {
          clearTimeout(t);
          reject(Object.assign(new Error('aborted'), { code: 'ABORTED' }));
        };
        const t = setTimeout(() => {
          signal?.removeEventListener('abort', onAbort);
          answered++;
          if (answered === 40) stop.abort();
          resolve({ status: 200, body: '' });
        }, 5);
        signal?.addEventListener('abort', onAbort, { once: true });
      });
    const targets = Array.from({ length: 200 }, (_, i) => ({ node: `n${i}`, address: `127.0.0.${(i % 250) + 1}` }));
    const out = await runRound(targets, { location: kp, timeoutMs: 1000, concurrency: 32, spreadMs: 400, signal: stop.signal, get });
    // the warning is emitted on the next tick
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(warnings, []);
    assert.ok(out.filter((h) => h.reason === 'aborted').length > 100, 'the nodes after the abort are not asked');
  } finally {
    process.off('warning', onWarning);
  }
});

describe('summary and the detection rule', () => {
  const at = 'now';
  const nodes: NodeHealth[] = [
    { node: 'a', address: '1', state: 'healthy', status: 200, syncAgeSeconds: 0, at },
    { node: 'b', address: '2', state: 'unhealthy', status: 503, syncAgeSeconds: 420, at },
    { node: 'c', address: '3', state: 'unreachable', reason: 'timeout', at },
  ];

  it('counts per state and the largest sync age', () => {
    assert.deepEqual(summarize(nodes), { counts: { healthy: 1, unhealthy: 1, unreachable: 1, not_served: 0 }, maxSyncAgeSeconds: 420 });
    assert.deepEqual(summarize([nodes[2]!]), { counts: { healthy: 0, unhealthy: 0, unreachable: 1, not_served: 0 } });
  });

  const verdict = (): Verdict => ({
    provider: 'kube-proxy',
    mode: 'iptables',
    version: 'v1.31.2',
    flavor: 'kubeadm',
    conflict: false,
    issues: noIssues(),
    agents: { ready: 3, unready: 0, missing: 1 },
    agentNodes: [
      { node: 'a', state: 'ready' },
      { node: 'b', state: 'ready' },
      { node: 'c', state: 'ready' },
      { node: 'd', state: 'missing' },
    ],
    findings: [],
    reasons: [],
  });

  it('a Ready agent whose endpoint answered non-200 counts as unready; unreachable does not change the count', () => {
    const v = applyAgentHealth(verdict(), {
      provider: 'kube-proxy',
      counts: summarize(nodes).counts,
      nodes,
      lastRound: { at, durationSeconds: 0 },
      intervalMs: 1,
    });
    assert.deepEqual(v.agents, { ready: 2, unready: 1, missing: 1 });
    assert.match(v.agentNodes[1]!.reason ?? '', /503, last sync 420s ago/);
  });

  it('results for another provider, or before the first round, change nothing', () => {
    const other = applyAgentHealth(verdict(), {
      provider: 'cilium-kpr',
      counts: summarize(nodes).counts,
      nodes,
      lastRound: { at, durationSeconds: 0 },
      intervalMs: 1,
    });
    assert.deepEqual(other.agents, { ready: 3, unready: 0, missing: 1 });
    assert.deepEqual(
      applyAgentHealth(verdict(), { provider: 'kube-proxy', counts: summarize(nodes).counts, nodes, intervalMs: 1 }).agents,
      { ready: 3, unready: 0, missing: 1 },
    );
  });

  it('targets: nodes with an agent, at their InternalIP; missing nodes are not asked', () => {
    const snap = {
      nodes: [
        { name: 'a', internalIP: '198.18.0.1' },
        { name: 'b', internalIP: '198.18.0.2' },
        { name: 'c', internalIP: '' },
        { name: 'd', internalIP: '198.18.0.4' },
      ],
    } as never;
    assert.deepEqual(targetsFor(verdict(), snap), [
      { node: 'a', address: '198.18.0.1' },
      { node: 'b', address: '198.18.0.2' },
      { node: 'c', address: '' },
    ]);
  });
});
