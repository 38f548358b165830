// The verdict groups have one home, VERDICT_BLAME in src/probe/differential.ts. What is derived
// from it needs no test; the sentences and PromQL that still spell a group out are checked here.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { BACKEND_FAULTS, PROXY_FAULTS, VERDICTS } from '../../src/probe/differential.js';
import { FAMILIES } from '../../src/metrics/families.js';
import { ALERTING_RULES } from '../../src/artifacts/rules.js';

const sorted = (xs: Iterable<string>) => [...xs].sort();

it('every verdict is in exactly one group or none, and the groups are the ones alerts and the status page use', () => {
  assert.deepEqual(sorted(PROXY_FAULTS), ['nodeport_broken', 'proxy_broken']);
  assert.deepEqual(sorted(BACKEND_FAULTS), ['backend_down', 'backend_error', 'no_endpoint']);
  for (const v of [...PROXY_FAULTS, ...BACKEND_FAULTS]) assert.ok(VERDICTS.includes(v));
});

it("service_lb_functional's HELP names exactly the verdicts that blame the proxy", () => {
  const help = FAMILIES.find((f) => f.name === 'service_lb_functional')!.help;
  const named = /a probe is ([a-z_]+(?: or [a-z_]+)*)/.exec(help)?.[1]?.split(' or ');
  assert.deepEqual(sorted(named ?? []), sorted(PROXY_FAULTS));
});

it('the alerts select the verdict groups exactly', () => {
  const exprs = ALERTING_RULES.map((r) => `${r.expr} ${Object.values(r.annotations ?? {}).join(' ')}`).join('\n');
  const selections = [...exprs.matchAll(/verdict=~\\?"([a-z_|]+)\\?"/g)].map((m) => sorted(m[1]!.split('|')));
  assert.ok(selections.length >= 2, exprs);
  for (const s of selections)
    assert.ok(
      [sorted(PROXY_FAULTS), sorted(BACKEND_FAULTS)].some((g) => g.join() === s.join()),
      s.join('|'),
    );
});
