import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  blamedProbes,
  classify,
  classifyRound,
  eachVerdict,
  functional,
  functionalFromVerdicts,
  verdictChanges,
  VERDICTS,
  type ProbePaths,
  type ProbeVerdict,
} from '../../src/probe/differential.js';
import { FAILURE_REASONS, type FailureReason, type ProbeResult, type ProbeTarget, type TargetResult } from '../../src/probe/types.js';

const ok: ProbeResult = { success: true, durationSeconds: 0.01 };
const fail = (reason: FailureReason): ProbeResult => ({ success: false, durationSeconds: 1, reason, detail: `${reason} detail` });

/** Every value a path can hold: not probed, success, or a failure for each reason. */
const OUTCOMES: (ProbeResult | undefined)[] = [undefined, ok, ...FAILURE_REASONS.map(fail)];
const APPLICATION: FailureReason[] = ['http_status', 'dns'];

const describeOutcome = (r: ProbeResult | undefined): string => (!r ? 'absent' : r.success ? 'ok' : r.reason!);

/** The rules of the differential, stated once, independently of the implementation's branch order. */
function expected(p: ProbePaths): ProbeVerdict {
  const { vip, endpoint, nodeport } = p;
  if (!vip) return 'unknown';
  if (vip.success) {
    if (endpoint && !endpoint.success) return 'endpoint_degraded';
    if (nodeport && !nodeport.success) return 'nodeport_broken';
    return 'ok';
  }
  if (APPLICATION.includes(vip.reason!)) return 'backend_error';
  if (!endpoint) return 'no_endpoint';
  return endpoint.success ? 'proxy_broken' : 'backend_down';
}

describe('classify', () => {
  it(`covers every combination of vip × endpoint × nodeport (${OUTCOMES.length ** 3})`, () => {
    const seen = new Set<ProbeVerdict>();
    for (const vip of OUTCOMES) {
      for (const endpoint of OUTCOMES) {
        for (const nodeport of OUTCOMES) {
          const paths: ProbePaths = {};
          if (vip) paths.vip = vip;
          if (endpoint) paths.endpoint = endpoint;
          if (nodeport) paths.nodeport = nodeport;
          const c = classify(paths);
          const label = `vip=${describeOutcome(vip)} endpoint=${describeOutcome(endpoint)} nodeport=${describeOutcome(nodeport)}`;
          assert.equal(c.verdict, expected(paths), label);
          assert.ok((VERDICTS as readonly string[]).includes(c.verdict), label);
          // One sentence: capitalised, one line, a single full stop at the end.
          assert.match(c.explanation, /^[A-Z][^\n]*[^.]\.$/, label);
          assert.equal(c.explanation.split(/\.\s+[A-Z]/).length, 1, `${label}: ${c.explanation}`);
          seen.add(c.verdict);
        }
      }
    }
    assert.deepEqual([...seen].sort(), [...VERDICTS].sort(), 'every verdict is reachable');
  });

  it('names the service proxy when the VIP fails and the endpoint answers', () => {
    const c = classify({
      vip: { success: false, durationSeconds: 1, reason: 'timeout', detail: 'no answer within 1000 ms' },
      endpoint: ok,
    });
    assert.deepEqual(c, {
      verdict: 'proxy_broken',
      explanation:
        'The VIP fails (timeout: no answer within 1000 ms) while the same backend answers directly, so the service proxy is not forwarding this Service.',
    });
  });

  it('does not blame the proxy when the backend is down too', () => {
    assert.equal(classify({ vip: fail('refused'), endpoint: fail('refused') }).verdict, 'backend_down');
  });

  it('an HTTP or DNS error through the VIP proves the path works', () => {
    assert.equal(classify({ vip: fail('http_status'), endpoint: ok }).verdict, 'backend_error');
    assert.equal(classify({ vip: fail('dns'), endpoint: fail('timeout') }).verdict, 'backend_error');
  });

  it('a node-port failure shows only when the VIP works', () => {
    assert.equal(classify({ vip: ok, endpoint: ok, nodeport: fail('timeout') }).verdict, 'nodeport_broken');
    assert.equal(classify({ vip: fail('timeout'), endpoint: ok, nodeport: fail('timeout') }).verdict, 'proxy_broken');
  });
});

const t = (probe: string, path: ProbeTarget['path'], family: ProbeTarget['family'] = 'ipv4'): ProbeTarget => ({
  kind: 'tcp',
  probe,
  path,
  family,
  host: family === 'ipv4' ? '198.18.0.1' : 'fd00:198:18::1',
  port: 80,
});
const tr = (probe: string, path: ProbeTarget['path'], result: ProbeResult, family: ProbeTarget['family'] = 'ipv4'): TargetResult => ({
  target: t(probe, path, family),
  result,
});

describe('classifyRound', () => {
  it('groups by probe name and classifies each', () => {
    const out = classifyRound([
      tr('apiserver', 'vip', ok),
      tr('dns_udp', 'vip', fail('timeout')),
      tr('apiserver', 'endpoint', ok),
      tr('dns_udp', 'endpoint', ok),
      tr('apps/web', 'vip', fail('refused')),
    ]);
    assert.deepEqual(Object.keys(out), ['apiserver', 'dns_udp', 'apps/web']);
    assert.deepEqual(
      eachVerdict(out).map((c) => c.verdict),
      ['ok', 'proxy_broken', 'no_endpoint'],
    );
    assert.deepEqual(Object.keys(out.apiserver!), ['ipv4'], 'a single-stack probe has one family only');
  });
  it("gives a dual-stack probe one verdict per family, from that family's paths only", () => {
    const out = classifyRound([
      tr('apps/web', 'vip', ok, 'ipv4'),
      tr('apps/web', 'endpoint', ok, 'ipv4'),
      tr('apps/web', 'vip', fail('timeout'), 'ipv6'),
      tr('apps/web', 'endpoint', ok, 'ipv6'),
    ]);
    assert.equal(out['apps/web']!.ipv4!.verdict, 'ok');
    assert.equal(out['apps/web']!.ipv6!.verdict, 'proxy_broken');
    assert.deepEqual(blamedProbes(out), ['apps/web (ipv6)']);
  });
});

describe('functionalFromVerdicts: service_lb_functional blames only the service proxy', () => {
  const f = (...v: ProbeVerdict[]) => functionalFromVerdicts(v);
  it('is 1 when every probe is ok', () => assert.equal(f('ok', 'ok', 'ok'), true));
  it('is 1 when an application answers with an error (HTTP 500, SERVFAIL): the proxy delivered', () => {
    assert.equal(f('ok', 'backend_error'), true);
    assert.equal(f('backend_error', 'backend_error'), true, 'even when every backend answers with an error');
  });
  it("is 1 when one Service's backends are down while other VIPs reach theirs", () => {
    assert.equal(f('ok', 'backend_down'), true);
    assert.equal(f('ok', 'no_endpoint'), true);
    assert.equal(f('backend_error', 'backend_down', 'no_endpoint'), true, 'a backend that answers with an error was reached');
  });
  it('is 1 when the VIP routes around a bad endpoint', () => assert.equal(f('endpoint_degraded', 'ok'), true));
  it('is 0 when some probe is proxy_broken, whatever the others say', () => {
    assert.equal(f('ok', 'proxy_broken'), false);
    assert.equal(f('proxy_broken'), false);
    assert.equal(f('backend_error', 'proxy_broken', 'unknown'), false);
  });
  it('is 0 when some probe is nodeport_broken', () => assert.equal(f('ok', 'nodeport_broken'), false));
  it('is 0 when no VIP probe reached any backend: from here nothing works', () => {
    assert.equal(f('backend_down'), false);
    assert.equal(f('backend_down', 'no_endpoint', 'no_endpoint'), false);
    assert.equal(f('no_endpoint', 'unknown'), false, 'unknown is no evidence either way');
  });
  it('is 0 for a round without a VIP result (nothing proves Services work; the shell does not publish it)', () => {
    assert.equal(f(), false);
    assert.equal(f('unknown'), false);
  });
});

describe('functional (from a round of results)', () => {
  it('ignores failing endpoints and application errors', () => {
    assert.equal(functional([tr('a', 'vip', ok), tr('a', 'endpoint', fail('refused')), tr('b', 'vip', fail('http_status'))]), true);
  });
  it('is 0 when a VIP is refused while the endpoint answers', () => {
    assert.equal(functional([tr('a', 'vip', fail('refused')), tr('a', 'endpoint', ok), tr('b', 'vip', ok)]), false);
  });
  it('is 0 when the node port fails while the VIP works', () => {
    assert.equal(functional([tr('a', 'vip', ok), tr('b', 'vip', ok), tr('b', 'nodeport', fail('timeout'))]), false);
  });
  it('is 0 when one family of a dual-stack Service is broken while the other works', () => {
    const round = [
      tr('a', 'vip', ok, 'ipv4'),
      tr('a', 'endpoint', ok, 'ipv4'),
      tr('a', 'vip', fail('timeout'), 'ipv6'),
      tr('a', 'endpoint', ok, 'ipv6'),
    ];
    assert.equal(functional(round), false);
    assert.equal(functional(round.filter((r) => r.target.family === 'ipv4')), true, 'the IPv4 half alone is fine');
  });
  it('is 0 for a round without a VIP probe', () => {
    assert.equal(functional([]), false);
    assert.equal(functional([tr('a', 'endpoint', ok)]), false);
  });
});

describe('blamedProbes', () => {
  it('names the probes the service proxy failed, in order', () => {
    const c = (verdict: ProbeVerdict) => ({ verdict, explanation: '' });
    assert.deepEqual(
      blamedProbes({
        apiserver: { ipv4: c('proxy_broken') },
        dns_udp: { ipv4: c('backend_error') },
        'apps/web': { ipv4: c('nodeport_broken') },
      }),
      ['apiserver', 'apps/web'],
    );
  });
});

describe('verdictChanges', () => {
  const c = (verdict: ProbeVerdict) => ({ verdict, explanation: `${verdict}.` });
  it('lists new, changed and gone probes, and nothing for unchanged ones', () => {
    const prev = { a: { ipv4: c('ok') }, b: { ipv4: c('ok'), ipv6: c('ok') }, gone: { ipv4: c('proxy_broken') } };
    const next = { a: { ipv4: c('ok') }, b: { ipv4: c('ok'), ipv6: c('proxy_broken') }, fresh: { ipv6: c('ok') } };
    assert.deepEqual(verdictChanges(prev, next), [
      { probe: 'b', family: 'ipv6', from: 'ok', to: c('proxy_broken') },
      { probe: 'fresh', family: 'ipv6', to: c('ok') },
      { probe: 'gone', family: 'ipv4', from: 'proxy_broken' },
    ]);
    assert.deepEqual(verdictChanges(next, next), []);
  });
});
