// The data-plane fault matrix (issue 17): every way a data plane can fail a probe, on a real
// kernel, for every probe kind — TCP connect, HTTP, HTTPS, TLS handshake, DNS over UDP and TCP —
// with the `reason` each must give. Network faults are iptables rules and routes in the client
// namespace (where the exporter would run), aimed at addresses of their own; far-end faults are
// the backends of fault-backend.ts in the server namespace. All cases run at once in one round.
// The same faults through the real exporter: faults-exporter.test.ts.
// Needs root; skipped with a message otherwise, and a failure under CI=true (see dataplaneSkip).
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import type { FailureReason, ProbeTarget } from '../../src/probe/types.js';
import { FAULT_PORTS as P } from './fault-backend.js';
import {
  addServerAddress,
  createNetnsPair,
  dataplaneSkip,
  firewall,
  runProbesInNamespace,
  spawnInNamespace,
  unlimitedIcmp,
  unroutable,
  type NetnsPair,
} from './netns.js';
import type { ProbeRunOutput } from './run-probes.js';

const skip = await dataplaneSkip();

const SERVER = '198.18.0.2';
/** one address per network fault; each reaches the server's healthy backends when not faulted */
const NET = {
  unroutable: '198.19.250.1',
  /** dropped on the way (the server's INPUT): nothing ever comes back */
  blackholed: '198.18.1.2',
  tcpReset: '198.18.1.3',
  hostUnreachable: '198.18.1.4',
  portUnreachable: '198.18.1.5',
  /** dropped by the node's own firewall (the client's OUTPUT) */
  localDrop: '198.18.1.6',
  /** rejected by the node's own firewall, as kube-proxy rejects a Service without endpoints */
  localReject: '198.18.1.7',
} as const;
const TIMEOUT_MS = 800;

type Kind = 'tcp' | 'http' | 'https' | 'tls' | 'dns_udp' | 'dns_tcp';
const KINDS: Kind[] = ['tcp', 'http', 'https', 'tls', 'dns_udp', 'dns_tcp'];
/** `ok` for success; `-` where the fault does not apply to the kind */
type Expect = FailureReason | 'ok' | '-';

function target(kind: Kind, host: string, port: number, name: string): ProbeTarget {
  const base = { probe: name, path: 'vip' as const, family: 'ipv4' as const, host, port };
  switch (kind) {
    case 'tcp':
      return { ...base, kind: 'tcp' };
    case 'tls':
      return { ...base, kind: 'tls' };
    case 'http':
    case 'https':
      return { ...base, kind: 'http', scheme: kind, httpPath: '/', expectedStatus: '2xx' };
    default:
      return { ...base, kind: 'dns', transport: kind === 'dns_udp' ? 'udp' : 'tcp', queryName: 'kubernetes.default.svc.cluster.local' };
  }
}

/** The healthy port of each kind: where the network faults aim. */
const HEALTHY: Record<Kind, number> = { tcp: P.http, http: P.http, https: P.https, tls: P.https, dns_udp: P.dns, dns_tcp: P.dns };

interface Case {
  fault: string;
  host: string;
  /** the port per kind; default HEALTHY */
  port?: Partial<Record<Kind, number>>;
  expect: Record<Kind, Expect>;
}

const all = (e: Expect): Record<Kind, Expect> => ({ tcp: e, http: e, https: e, tls: e, dns_udp: e, dns_tcp: e });
const onPort = (port: number): Partial<Record<Kind, number>> => Object.fromEntries(KINDS.map((k) => [k, port]));

const CASES: Case[] = [
  { fault: 'healthy', host: SERVER, expect: all('ok') },
  { fault: 'VIP unroutable (no route: ENETUNREACH)', host: NET.unroutable, expect: all('unreachable') },
  { fault: 'blackholed on the way (DROP)', host: NET.blackholed, expect: all('timeout') },
  // The kernel refuses a UDP send its own firewall drops or rejects (EPERM): unreachable, at once.
  {
    fault: "blackholed by the node's own firewall (DROP in OUTPUT)",
    host: NET.localDrop,
    expect: { ...all('timeout'), dns_udp: 'unreachable' },
  },
  { fault: 'TCP reset (REJECT tcp-reset)', host: NET.tcpReset, expect: { ...all('refused'), dns_udp: '-' } },
  // Linux reports only "hard" ICMP errors (port/protocol unreachable) to a UDP socket without
  // IP_RECVERR, which Node does not set: host unreachable is a timeout for DNS over UDP.
  { fault: 'ICMP host unreachable', host: NET.hostUnreachable, expect: { ...all('unreachable'), dns_udp: 'timeout' } },
  { fault: 'ICMP port unreachable', host: NET.portUnreachable, expect: all('refused') },
  {
    fault: "ICMP port unreachable from the node's own firewall (REJECT in OUTPUT)",
    host: NET.localReject,
    expect: { ...all('refused'), dns_udp: 'unreachable' },
  },
  { fault: 'nothing listens on the port', host: SERVER, port: onPort(P.closed), expect: all('refused') },
  // A TCP connect probe proves the handshake only; the far-end faults after it are invisible to it.
  {
    fault: 'accepts and resets on the first bytes',
    host: SERVER,
    port: onPort(P.reset),
    expect: { ...all('reset'), tcp: 'ok', dns_udp: '-' },
  },
  { fault: 'accepts and never answers', host: SERVER, port: onPort(P.silent), expect: { ...all('timeout'), tcp: 'ok' } },
  {
    fault: 'answers garbage',
    host: SERVER,
    port: onPort(P.garbage),
    expect: { tcp: 'ok', http: 'other', https: 'tls', tls: 'tls', dns_udp: 'dns', dns_tcp: 'dns' },
  },
  {
    fault: 'closes mid-response',
    host: SERVER,
    port: { ...onPort(P.midclose), https: P.midcloseTls },
    expect: { tcp: 'ok', http: 'reset', https: 'reset', tls: 'reset', dns_udp: '-', dns_tcp: 'reset' },
  },
  {
    fault: 'streams an endless body (bounded: success on the status)',
    host: SERVER,
    port: { http: P.endless, https: P.endlessTls },
    expect: { tcp: '-', http: 'ok', https: 'ok', tls: '-', dns_udp: '-', dns_tcp: '-' },
  },
  {
    fault: 'plain TCP behind a TLS probe',
    host: SERVER,
    port: { https: P.http, tls: P.http },
    expect: { tcp: '-', http: '-', https: 'tls', tls: 'tls', dns_udp: '-', dns_tcp: '-' },
  },
  {
    fault: 'DNS reply with a wrong ID',
    host: SERVER,
    port: { dns_udp: P.dnsWrongId, dns_tcp: P.dnsWrongId },
    expect: { ...all('-'), dns_udp: 'dns', dns_tcp: 'dns' },
  },
  {
    fault: 'DNS reply truncated (TC, no answers)',
    host: SERVER,
    port: { dns_udp: P.dnsTruncated, dns_tcp: P.dnsTruncated },
    expect: { ...all('-'), dns_udp: 'dns', dns_tcp: 'dns' },
  },
  {
    fault: 'DNS reply malformed',
    host: SERVER,
    port: { dns_udp: P.dnsMalformed, dns_tcp: P.dnsMalformed },
    expect: { ...all('-'), dns_udp: 'dns', dns_tcp: 'dns' },
  },
];

/** One target per applicable (case, kind), named `<case index>/<kind>`. */
const MATRIX = CASES.flatMap((c, i) =>
  KINDS.filter((k) => c.expect[k] !== '-').map((k) => ({ c, kind: k, target: target(k, c.host, c.port?.[k] ?? HEALTHY[k], `${i}/${k}`) })),
);

describe('the data-plane fault matrix: every probe kind settles with the right reason', { skip }, () => {
  let pair: NetnsPair | undefined;
  let out: ProbeRunOutput | undefined;

  before(
    async () => {
      pair = await createNetnsPair({ serverIP: SERVER });
      for (const ip of Object.values(NET).filter((x) => x.startsWith('198.18.1.'))) await addServerAddress(pair, ip);
      await unroutable(pair.client, `${NET.unroutable}/32`);
      await unlimitedIcmp(pair.server);
      await unlimitedIcmp(pair.client);
      await firewall(pair.server, { chain: 'INPUT', ip: NET.blackholed, action: 'DROP' });
      await firewall(pair.server, { chain: 'INPUT', ip: NET.tcpReset, protocol: 'tcp', action: 'tcp-reset' });
      await firewall(pair.server, { chain: 'INPUT', ip: NET.hostUnreachable, action: 'icmp-host-unreachable' });
      await firewall(pair.server, { chain: 'INPUT', ip: NET.portUnreachable, action: 'icmp-port-unreachable' });
      await firewall(pair.client, { chain: 'OUTPUT', ip: NET.localDrop, action: 'DROP' });
      await firewall(pair.client, { chain: 'OUTPUT', ip: NET.localReject, action: 'icmp-port-unreachable' });
      const script = fileURLToPath(new URL('./fault-backend.ts', import.meta.url));
      await spawnInNamespace(pair, pair.server, script, [JSON.stringify({ host: '0.0.0.0' })]);
      out = await runProbesInNamespace(
        pair.client,
        MATRIX.map((m) => m.target),
        { timeoutMs: TIMEOUT_MS, concurrency: MATRIX.length },
      );
    },
    { timeout: 60_000 },
  );

  after(async () => {
    await pair?.destroy();
  });

  it('runs every case in one round that completes within one timeout', () => {
    assert.equal(out!.round.results.length, MATRIX.length);
    assert.equal(out!.round.aborted, false);
    assert.ok(out!.round.durationSeconds * 1000 < TIMEOUT_MS + 500, `round took ${out!.round.durationSeconds} s`);
  });

  for (const [i, c] of CASES.entries()) {
    it(c.fault, () => {
      const got: Record<string, string> = {};
      const want: Record<string, string> = {};
      for (const k of KINDS) {
        if (c.expect[k] === '-') continue;
        const r = out!.round.results.find((x) => x.target.probe === `${i}/${k}`)!.result;
        got[k] = r.success ? 'ok' : `${r.reason}`;
        want[k] = c.expect[k];
        if (!r.success) assert.ok(r.reason, `${k}: a failure carries a reason`);
      }
      const details = KINDS.filter((k) => c.expect[k] !== '-')
        .map((k) => `${k}: ${out!.round.results.find((x) => x.target.probe === `${i}/${k}`)!.result.detail ?? ''}`)
        .join('; ');
      assert.deepEqual(got, want, details);
    });
  }

  it('an endless body costs neither the timeout nor more than the body limit', () => {
    const i = CASES.findIndex((c) => c.fault.startsWith('streams an endless body'));
    for (const k of ['http', 'https'] as const) {
      const r = out!.round.results.find((x) => x.target.probe === `${i}/${k}`)!.result;
      assert.equal(r.success, true, r.detail);
      assert.match(r.detail ?? '', /body not read past 65536 bytes/);
      assert.ok(r.durationSeconds * 1000 < TIMEOUT_MS, `${k}: ${r.durationSeconds} s`);
    }
  });

  it('no probe crashed (the crash guard had nothing to catch)', () => {
    assert.equal(out!.crashes, 0);
  });
});
