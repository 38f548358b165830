import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { validate } from 'node-cron';
import { probers } from '../../src/probe/probers.js';
import type { RoundResult } from '../../src/probe/round.js';
import { createScheduler, cronForInterval, type CronFactory } from '../../src/probe/scheduler.js';
import type { ProbeResult, ProbeTarget, ProberTable } from '../../src/probe/types.js';

describe('cronForInterval', () => {
  const cases: [number, string, number, boolean][] = [
    [1000, '* * * * * *', 1000, false],
    [15_000, '*/15 * * * * *', 15_000, false],
    [30_000, '*/30 * * * * *', 30_000, false],
    [250, '* * * * * *', 1000, true],
    [1500, '* * * * * *', 1000, true],
    [45_000, '*/30 * * * * *', 30_000, true],
    [7000, '*/6 * * * * *', 6000, true],
    [60_000, '0 * * * * *', 60_000, false],
    [90_000, '0 * * * * *', 60_000, true],
    [300_000, '0 */5 * * * *', 300_000, false],
    [420_000, '0 */6 * * * *', 360_000, true],
    [3_600_000, '0 0 * * * *', 3_600_000, false],
    [7_200_000, '0 0 */2 * * *', 7_200_000, false],
    [5 * 3_600_000, '0 0 */4 * * *', 4 * 3_600_000, true],
    [48 * 3_600_000, '0 0 */24 * * *', 24 * 3_600_000, true],
  ];
  for (const [ms, expression, effectiveMs, adjusted] of cases) {
    it(`${ms} ms → ${expression}`, () => {
      const s = cronForInterval(ms);
      assert.deepEqual([s.expression, s.effectiveMs, s.adjusted], [expression, effectiveMs, adjusted]);
      assert.equal(s.note !== undefined, adjusted);
      assert.ok(validate(s.expression), 'node-cron accepts it');
      assert.ok(s.effectiveMs <= Math.max(ms, 1000), 'never less often than asked');
    });
  }
});

/** A cron stand-in whose ticks the test fires by hand. */
function manualCron(): { factory: CronFactory; tick: () => void; stopped: () => boolean; expression: () => string } {
  let fire: (() => void) | undefined;
  let expr = '';
  let stopped = false;
  return {
    factory: (expression, tick) => {
      expr = expression;
      fire = tick;
      return { stop: () => void (stopped = true) };
    },
    tick: () => fire?.(),
    stopped: () => stopped,
    expression: () => expr,
  };
}

/** A prober that holds each probe until released (or aborted), to observe a round in flight. */
function gatedProbers(): { table: ProberTable; release: () => void; started: Promise<void> } {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  let markStarted!: () => void;
  const started = new Promise<void>((r) => (markStarted = r));
  const tcp: ProberTable['tcp'] = (_t, opts) =>
    new Promise<ProbeResult>((resolve) => {
      markStarted();
      void gate.then(() => resolve({ success: true, durationSeconds: 0 }));
      opts.signal?.addEventListener('abort', () => resolve({ success: false, reason: 'other', detail: 'aborted', durationSeconds: 0 }));
    });
  return { table: { ...probers, tcp }, release, started };
}

const target: ProbeTarget = { kind: 'tcp', probe: 'apiserver', path: 'vip', host: '127.0.0.1', port: 1 };

describe('createScheduler', () => {
  it('arms the derived expression and delivers each round', async () => {
    const cron = manualCron();
    const g = gatedProbers();
    const rounds: RoundResult[] = [];
    let delivered!: () => void;
    const got = new Promise<void>((r) => (delivered = r));
    const s = createScheduler({
      intervalMs: 15_000,
      round: { concurrency: 2, timeoutMs: 1000, probers: g.table },
      targets: () => [target],
      onRound: (r) => {
        rounds.push(r);
        delivered();
      },
      cron: cron.factory,
    });
    s.start();
    assert.equal(cron.expression(), '*/15 * * * * *');
    cron.tick();
    assert.equal(s.busy, true);
    g.release();
    await got;
    assert.equal(rounds.length, 1);
    assert.equal(rounds[0]!.results[0]!.result.success, true);
    assert.equal(s.busy, false);
    await s.stop();
    assert.equal(cron.stopped(), true);
  });

  it('skips a tick while a round runs (no overlap)', async () => {
    const cron = manualCron();
    const g = gatedProbers();
    let skipped = 0;
    let rounds = 0;
    let targetsRead = 0;
    let firstDone!: () => void;
    const first = new Promise<void>((r) => (firstDone = r));
    const s = createScheduler({
      intervalMs: 1000,
      round: { concurrency: 1, timeoutMs: 1000, probers: g.table },
      targets: () => {
        targetsRead++;
        return [target];
      },
      onRound: () => {
        rounds++;
        firstDone();
      },
      onSkippedTick: () => void skipped++,
      cron: cron.factory,
    });
    s.start();
    cron.tick();
    await g.started;
    cron.tick();
    cron.tick();
    assert.deepEqual([skipped, targetsRead], [2, 1]);
    g.release();
    await first;
    assert.ok(await s.runNow(), 'a tick after the round ended runs');
    assert.deepEqual([rounds, skipped], [2, 2]);
    await s.stop();
  });

  it('stop() aborts the running round, resolves after it ended, and delivers nothing more', async () => {
    const cron = manualCron();
    const g = gatedProbers();
    let rounds = 0;
    const s = createScheduler({
      intervalMs: 5000,
      round: { concurrency: 1, timeoutMs: 60_000, probers: g.table },
      targets: () => [target],
      onRound: () => void rounds++,
      cron: cron.factory,
    });
    s.start({ runNow: true });
    await g.started;
    assert.equal(s.busy, true);
    await s.stop();
    assert.equal(s.busy, false);
    assert.equal(rounds, 0, 'an aborted round is not delivered');
    cron.tick();
    assert.equal(await s.runNow(), undefined);
    assert.equal(s.busy, false);
    assert.equal(cron.stopped(), true);
  });

  it('survives targets() and onRound throwing', async () => {
    const errors: unknown[] = [];
    let fail = true;
    const s = createScheduler({
      intervalMs: 5000,
      round: { concurrency: 1, timeoutMs: 1000, probers: gatedProbers().table },
      targets: () => {
        if (fail) throw new Error('no snapshot');
        return [];
      },
      onRound: () => {
        throw new Error('sink broke');
      },
      onError: (e) => errors.push(e),
      cron: manualCron().factory,
    });
    assert.equal(await s.runNow(), undefined);
    assert.equal(s.busy, false);
    fail = false;
    assert.ok(await s.runNow());
    assert.deepEqual(
      errors.map((e) => (e as Error).message),
      ['no snapshot', 'sink broke'],
    );
    await s.stop();
  });

  it('runs on the real node-cron (one-second schedule)', async () => {
    let delivered!: (r: RoundResult) => void;
    const got = new Promise<RoundResult>((r) => (delivered = r));
    const s = createScheduler({
      intervalMs: 1000,
      round: { concurrency: 1, timeoutMs: 1000 },
      targets: () => [],
      onRound: (r) => delivered(r),
    });
    s.start();
    const r = await got;
    assert.deepEqual(r.results, []);
    await s.stop();
  });
});
