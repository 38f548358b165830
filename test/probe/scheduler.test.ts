import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { probers } from '../../src/probe/probers.js';
import type { RoundResult } from '../../src/probe/round.js';
import { createScheduler, msUntilNextTick, scheduleForInterval, type SchedulerClock } from '../../src/probe/scheduler.js';
import type { ProbeResult, ProbeTarget, ProberTable } from '../../src/probe/types.js';

describe('the probe schedule', () => {
  it('honours any interval: 45 s stays 45 s, 7 s stays 7 s', () => {
    for (const ms of [100, 1500, 7000, 15_000, 45_000, 90_000, 420_000]) {
      const s = scheduleForInterval(ms);
      assert.deepEqual([s.effectiveMs, s.adjusted], [ms, false]);
    }
  });

  it('the next tick is the next multiple of the interval, whatever time it is now', () => {
    assert.equal(msUntilNextTick(0, 45_000), 45_000);
    assert.equal(msUntilNextTick(44_999, 45_000), 1);
    assert.equal(msUntilNextTick(45_000, 45_000), 45_000);
    assert.equal(msUntilNextTick(100_000, 45_000), 35_000);
  });
});

/**
 * A clock the test advances by hand: timers fire in order when their time has come, and a timer
 * may fire late (advance past it) as a busy event loop makes it.
 */
function manualClock(
  start = 1_000_000,
  /** each timer fires this many ms before it is due by now(), as Node's monotonic timers may by the wall clock */
  earlyMs = 0,
): SchedulerClock & { advance(ms: number, o?: { late?: boolean }): void; pending(): number; fired: number[] } {
  let now = start;
  let seq = 0;
  const timers = new Map<number, { at: number; fn: () => void }>();
  const fired: number[] = [];
  return {
    now: () => now,
    setTimeout(fn, ms) {
      const id = ++seq;
      timers.set(id, { at: now + (earlyMs ? Math.max(1, ms - earlyMs) : ms), fn });
      return id;
    },
    clearTimeout: (h) => void timers.delete(h as number),
    advance(ms, o = {}) {
      const until = now + ms;
      if (o.late) now = until;
      for (;;) {
        const due = [...timers.entries()].filter(([, t]) => t.at <= until).sort((a, b) => a[1].at - b[1].at)[0];
        if (!due) break;
        timers.delete(due[0]);
        now = Math.max(now, due[1].at);
        fired.push(now);
        due[1].fn();
      }
      now = until;
    },
    pending: () => timers.size,
    fired,
  };
}

const flush = (): Promise<void> => new Promise((r) => setImmediate(r));

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

const target: ProbeTarget = { kind: 'tcp', probe: 'apiserver', path: 'vip', family: 'ipv4', host: '127.0.0.1', port: 1 };

describe('createScheduler', () => {
  it('ticks every 45 s exactly, without drift, even when a timer fires late', async () => {
    const clock = manualClock(1_000_000);
    const starts: number[] = [];
    const s = createScheduler({
      intervalMs: 45_000,
      round: { concurrency: 1, timeoutMs: 1000, probers: gatedProbers().table },
      targets: () => {
        starts.push(clock.now());
        return [];
      },
      onRound: () => undefined,
      clock,
    });
    s.start({ runNow: true });
    assert.deepEqual(starts, [1_000_000], 'the first round at once');
    await flush();
    // 1_035_000 is the first multiple of 45 s after the start; then every 45 s.
    clock.advance(36_000);
    await flush();
    clock.advance(75_000, { late: true }); // the 1_080_000 timer fires 31 s late, as on a blocked loop
    await flush();
    clock.advance(14_000);
    await flush();
    // late: 1_111_000 instead of 1_080_000; the next is on the grid again, not 45 s after the late one
    assert.deepEqual(starts, [1_000_000, 1_035_000, 1_111_000, 1_125_000]);
    await s.stop();
    assert.equal(clock.pending(), 0, 'stop() disarms the loop');
  });

  it('a timer firing a millisecond early by the wall clock still starts one round per interval, none skipped', async () => {
    const clock = manualClock(1_000_000, 1);
    const starts: number[] = [];
    let skipped = 0;
    const s = createScheduler({
      intervalMs: 2_000,
      round: { concurrency: 1, timeoutMs: 1000, probers },
      targets: () => {
        starts.push(clock.now());
        return [];
      },
      onRound: () => undefined,
      onSkippedTick: () => skipped++,
      clock,
    });
    s.start();
    for (let i = 0; i < 3; i++) {
      clock.advance(2_000);
      await flush();
    }
    assert.equal(skipped, 0, 'no tick came again while the round it had just started was running');
    assert.deepEqual(starts, [1_001_999, 1_003_999, 1_005_999], 'one round per interval, each when its timer fired');
    await s.stop();
    assert.equal(clock.pending(), 0);
  });

  it('delivers each round', async () => {
    const clock = manualClock();
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
      clock,
    });
    s.start();
    clock.advance(15_000);
    assert.equal(s.busy, true);
    g.release();
    await got;
    assert.equal(rounds.length, 1);
    assert.equal(rounds[0]!.results[0]!.result.success, true);
    assert.equal(s.busy, false);
    await s.stop();
    assert.equal(clock.pending(), 0);
  });

  it('skips a tick while a round runs (no overlap)', async () => {
    const clock = manualClock(0);
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
      clock,
    });
    s.start();
    clock.advance(1000);
    await g.started;
    clock.advance(1000);
    clock.advance(1000);
    assert.deepEqual([skipped, targetsRead], [2, 1]);
    g.release();
    await first;
    assert.ok(await s.runNow(), 'a tick after the round ended runs');
    assert.deepEqual([rounds, skipped], [2, 2]);
    await s.stop();
  });

  it('stop() aborts the running round, resolves after it ended, and delivers nothing more', async () => {
    const clock = manualClock();
    const g = gatedProbers();
    let rounds = 0;
    const s = createScheduler({
      intervalMs: 5000,
      round: { concurrency: 1, timeoutMs: 60_000, probers: g.table },
      targets: () => [target],
      onRound: () => void rounds++,
      clock,
    });
    s.start({ runNow: true });
    await g.started;
    assert.equal(s.busy, true);
    await s.stop();
    assert.equal(s.busy, false);
    assert.equal(rounds, 0, 'an aborted round is not delivered');
    assert.equal(clock.pending(), 0);
    clock.advance(60_000);
    assert.equal(await s.runNow(), undefined);
    assert.equal(s.busy, false);
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
      clock: manualClock(),
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

  it('runs on the real clock (a 200 ms interval)', async () => {
    let delivered!: (r: RoundResult) => void;
    const got = new Promise<RoundResult>((r) => (delivered = r));
    const s = createScheduler({
      intervalMs: 200,
      round: { concurrency: 1, timeoutMs: 100 },
      targets: () => [],
      onRound: (r) => delivered(r),
    });
    s.start();
    const r = await got;
    assert.deepEqual(r.results, []);
    await s.stop();
  });
});
