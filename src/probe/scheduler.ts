// Rounds on a drift-free timer loop, never overlapping, stoppable. Each tick is computed from the
// clock, not from the previous tick (round k starts at the k-th wall-clock multiple of the interval,
// so neither timer lateness nor a round's duration accumulates), and any interval works: 45 s is
// 45 s. The round is fire-and-forget from the loop's point of view: the tick only starts it, and a
// tick that finds a round still running is skipped (and reported), so a slow round can neither pile
// up nor delay anything else.
import { runRound, type RoundOptions, type RoundResult } from './round.js';
import type { ProbeTarget } from './types.js';

export interface IntervalSchedule {
  /** the interval between round starts, as asked (--probe-interval) */
  effectiveMs: number;
  /** always false: kept for readers of the status view; the loop honours any interval */
  adjusted: false;
  /** for one log line at start */
  note?: string;
}

/** What the loop needs from the clock; tests pass a manual one. */
export interface SchedulerClock {
  /** wall-clock milliseconds (Date.now) */
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const systemClock: SchedulerClock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

/** The schedule for a probe interval: the interval itself (at least 1 ms; config asks for 100 ms). */
export function scheduleForInterval(intervalMs: number): IntervalSchedule {
  const ms = Number.isFinite(intervalMs) ? Math.max(1, Math.round(intervalMs)) : 15_000;
  return { effectiveMs: ms, adjusted: false, note: `probe rounds every ${ms / 1000} s, the first at once` };
}

/** Milliseconds from `now` to the next multiple of `intervalMs` strictly after it. */
export function msUntilNextTick(now: number, intervalMs: number): number {
  return (Math.floor(now / intervalMs) + 1) * intervalMs - now;
}

export interface SchedulerOptions {
  /** --probe-interval: time between round starts */
  intervalMs: number;
  /** concurrency, timeout, prober table for each round */
  round: Omit<RoundOptions, 'signal'>;
  /** the current targets, read at the start of every round (the watches keep them fresh) */
  targets: () => readonly ProbeTarget[];
  /** each completed round; aborted rounds (stop()) are not delivered */
  onRound: (round: RoundResult) => void;
  /** a tick came while the previous round was still running, and was skipped */
  onSkippedTick?: () => void;
  /** onRound or targets() threw; the schedule goes on */
  onError?: (err: unknown) => void;
  /** for tests: a manual clock */
  clock?: SchedulerClock;
}

export interface ProbeScheduler {
  readonly schedule: IntervalSchedule;
  /** arms the timer loop; with runNow, also starts a round at once (first metrics without waiting a full interval) */
  start(opts?: { runNow?: boolean }): void;
  /** disarms the schedule, aborts the running round, resolves once it has ended */
  stop(): Promise<void>;
  /** starts a round now unless one is running or the scheduler is stopped; resolves with it (undefined when not started or aborted) */
  runNow(): Promise<RoundResult | undefined>;
  /** a round is in flight */
  readonly busy: boolean;
}

export function createScheduler(opts: SchedulerOptions): ProbeScheduler {
  const schedule = scheduleForInterval(opts.intervalMs);
  const clock = opts.clock ?? systemClock;
  let timer: unknown;
  let armed = false;
  let current: { promise: Promise<RoundResult | undefined>; abort: AbortController } | undefined;
  let stopped = false;

  const report = (err: unknown): void => {
    try {
      opts.onError?.(err);
    } catch {
      // an error reporter that throws has nobody left to tell
    }
  };

  const runNow = (): Promise<RoundResult | undefined> => {
    if (stopped) return Promise.resolve(undefined);
    if (current) {
      opts.onSkippedTick?.();
      return Promise.resolve(undefined);
    }
    const entry = { abort: new AbortController(), promise: Promise.resolve<RoundResult | undefined>(undefined) };
    const abort = entry.abort;
    // Set before the round starts: targets() may throw synchronously, and the finally below must
    // then find and clear this entry.
    current = entry;
    entry.promise = (async (): Promise<RoundResult | undefined> => {
      try {
        const targets = opts.targets();
        const round = await runRound(targets, { ...opts.round, signal: abort.signal });
        if (round.aborted) return undefined;
        try {
          opts.onRound(round);
        } catch (err) {
          report(err);
        }
        return round;
      } catch (err) {
        report(err);
        return undefined;
      } finally {
        if (current === entry) current = undefined;
      }
    })();
    return entry.promise;
  };

  // Re-armed from the clock after every tick: the next tick is the next multiple of the interval,
  // however late this one fired; ticks the process slept through are not replayed. A timer may also
  // fire a millisecond early by the wall clock (Node's timers run on the monotonic clock): the next
  // tick is counted from the tick that was due, not from "now", or it would come again at once and
  // be skipped for the round it just started.
  let due = 0;
  const arm = (): void => {
    if (!armed) return;
    const now = clock.now();
    const from = Math.max(now, due);
    due = from + msUntilNextTick(from, schedule.effectiveMs);
    timer = clock.setTimeout(() => {
      timer = undefined;
      if (!armed) return;
      arm();
      void runNow();
    }, due - now);
  };

  return {
    schedule,
    start({ runNow: now = false } = {}) {
      if (stopped || armed) return;
      armed = true;
      arm();
      if (now) void runNow();
    },
    async stop() {
      stopped = true;
      armed = false;
      if (timer !== undefined) clock.clearTimeout(timer);
      timer = undefined;
      const c = current;
      c?.abort.abort();
      await c?.promise;
    },
    runNow,
    get busy() {
      return current !== undefined;
    },
  };
}
