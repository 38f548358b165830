import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { classify, classifyRound, functional, verdictChanges, VERDICTS, type ProbePaths, type ProbeVerdict } from '../../src/probe/differential.js';
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
    const c = classify({ vip: { success: false, durationSeconds: 1, reason: 'timeout', detail: 'no answer within 1000 ms' }, endpoint: ok });
    assert.deepEqual(c, {
      verdict: 'proxy_broken',
      explanation: 'The VIP fails (timeout: no answer within 1000 ms) while the same backend answers directly, so the service proxy is not forwarding this Service.',
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

const t = (probe: string, path: ProbeTarget['path']): ProbeTarget => ({ kind: 'tcp', probe, path, host: '198.18.0.1', port: 80 });
const tr = (probe: string, path: ProbeTarget['path'], result: ProbeResult): TargetResult => ({ target: t(probe, path), result });

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
      Object.values(out).map((c) => c.verdict),
      ['ok', 'proxy_broken', 'no_endpoint'],
    );
  });
});

describe('functional', () => {
  it('is true when every VIP probe succeeded, whatever the endpoints and node ports say', () => {
    assert.equal(functional([tr('a', 'vip', ok), tr('a', 'endpoint', fail('refused')), tr('b', 'vip', ok), tr('b', 'nodeport', fail('timeout'))]), true);
  });
  it('is false when any VIP probe failed', () => {
    assert.equal(functional([tr('a', 'vip', ok), tr('b', 'vip', fail('http_status'))]), false);
  });
  it('is false for a round without a VIP probe (nothing proves Services work)', () => {
    assert.equal(functional([]), false);
    assert.equal(functional([tr('a', 'endpoint', ok)]), false);
  });
});

describe('verdictChanges', () => {
  const c = (verdict: ProbeVerdict) => ({ verdict, explanation: `${verdict}.` });
  it('lists new, changed and gone probes, and nothing for unchanged ones', () => {
    const prev = { a: c('ok'), b: c('ok'), gone: c('proxy_broken') };
    const next = { a: c('ok'), b: c('proxy_broken'), fresh: c('ok') };
    assert.deepEqual(verdictChanges(prev, next), [
      { probe: 'b', from: 'ok', to: c('proxy_broken') },
      { probe: 'fresh', to: c('ok') },
      { probe: 'gone', from: 'proxy_broken' },
    ]);
    assert.deepEqual(verdictChanges(next, next), []);
  });
});
