import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { probers } from '../../src/probe/probers.js';
import { runRound } from '../../src/probe/round.js';
import type { ProbeResult, ProbeTarget, ProberTable } from '../../src/probe/types.js';
import { freePort, startHttp, startSilentTcp, type Running } from './servers.js';

const tcp = (probe: string, port: number): ProbeTarget => ({ kind: 'tcp', probe, path: 'vip', family: 'ipv4', host: '127.0.0.1', port });

/** A prober table whose tcp entry is `fn` (the others are never used here). */
const table = (fn: ProberTable['tcp']): ProberTable => ({ ...probers, tcp: fn });

describe('runRound', () => {
  let up: Running, silent: Running;
  before(async () => {
    up = await startHttp();
    silent = await startSilentTcp();
  });
  after(() => Promise.all([up.close(), silent.close()]));

  it('probes every target once and returns results in target order', async () => {
    const down = await freePort();
    const targets = [tcp('a', up.port), tcp('b', down), tcp('c', up.port)];
    const r = await runRound(targets, { concurrency: 2, timeoutMs: 2000 });
    assert.equal(r.aborted, false);
    assert.deepEqual(
      r.results.map((x) => [x.target.probe, x.result.success, x.result.reason]),
      [
        ['a', true, undefined],
        ['b', false, 'refused'],
        ['c', true, undefined],
      ],
    );
    assert.ok(r.startedAt instanceof Date);
  });

  it('never has more than `concurrency` probes in flight', async () => {
    let inFlight = 0;
    let most = 0;
    const fn: ProberTable['tcp'] = async () => {
      inFlight++;
      most = Math.max(most, inFlight);
      await new Promise((resolve) => setImmediate(resolve));
      inFlight--;
      return { success: true, durationSeconds: 0 };
    };
    const targets = Array.from({ length: 25 }, (_, i) => tcp(`p${i}`, 1));
    const r = await runRound(targets, { concurrency: 4, timeoutMs: 1000, probers: table(fn) });
    assert.equal(r.results.length, 25);
    assert.equal(most, 4);
  });

  it('a hung target ends in timeout and does not hold back the others', async () => {
    const http = { ...tcp('hung', silent.port), kind: 'http', scheme: 'http', httpPath: '/', expectedStatus: '2xx' } as ProbeTarget;
    const targets = [http, tcp('a', up.port), tcp('b', up.port), tcp('c', up.port)];
    const r = await runRound(targets, { concurrency: 2, timeoutMs: 300 });
    assert.deepEqual(
      r.results.map((x) => x.result.reason ?? 'ok'),
      ['timeout', 'ok', 'ok', 'ok'],
    );
  });

  it('a prober that throws or never settles cannot break the round', async () => {
    let calls = 0;
    const fn: ProberTable['tcp'] = (t) => {
      calls++;
      if (t.probe === 'throws') throw new Error('bug');
      if (t.probe === 'never') return new Promise<ProbeResult>(() => undefined);
      return Promise.resolve({ success: true, durationSeconds: 0 });
    };
    const r = await runRound([tcp('throws', 1), tcp('never', 1), tcp('fine', 1)], { concurrency: 3, timeoutMs: 10, probers: table(fn) });
    assert.equal(calls, 3);
    assert.deepEqual(
      r.results.map((x) => [x.result.reason, x.result.detail]),
      [
        ['other', 'prober threw: Error: bug'],
        ['timeout', 'prober overran its timeout'],
        [undefined, undefined],
      ],
    );
  });

  it('an abort ends the probes in flight, skips the rest, and marks the round aborted', async () => {
    const ctl = new AbortController();
    const targets = [tcp('hung', silent.port), ...Array.from({ length: 5 }, (_, i) => tcp(`later${i}`, up.port))];
    const http = { ...targets[0]!, kind: 'http', scheme: 'http', httpPath: '/', expectedStatus: '2xx' } as ProbeTarget;
    const p = runRound([http, ...targets.slice(1)], { concurrency: 1, timeoutMs: 60_000, signal: ctl.signal });
    setImmediate(() => ctl.abort());
    const r = await p;
    assert.equal(r.aborted, true);
    assert.deepEqual(
      r.results.map((x) => x.result.detail),
      ['aborted', 'round aborted', 'round aborted', 'round aborted', 'round aborted', 'round aborted'],
    );
  });

  it('an empty target list is an empty round', async () => {
    const r = await runRound([], { concurrency: 10, timeoutMs: 1000 });
    assert.deepEqual([r.results, r.aborted], [[], false]);
  });
});
