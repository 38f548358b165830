// Rounds on a node-cron schedule, never overlapping, stoppable. The round is fire-and-forget from
// node-cron's point of view: the tick only starts it, and a tick that finds a round still running
// is skipped (and reported), so a slow round can neither pile up nor delay anything else.
import { createTask } from 'node-cron';
import { runRound } from './round.js';
const DIVISORS_OF_60 = [1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30, 60];
const DIVISORS_OF_24 = [1, 2, 3, 4, 6, 8, 12, 24];
const largestAtMost = (choices, n) => choices.filter((d) => d <= n).pop() ?? choices[0];
/**
 * The cron expression for a probe interval. Cron fires on wall-clock matches, not every N seconds,
 * so only intervals that divide the minute (or the hour, or the day) give even spacing: `*\/7`
 * fires at :56 and again at :00. Other intervals are rounded DOWN to the nearest even one, so a
 * round still comes at least as often as asked (the "functional within one interval" promise holds):
 * 45 s → 30 s, 90 s → 60 s, 7 min → 6 min. Intervals under one second become one second, node-cron's
 * finest resolution (and a probe round per second is already plenty). Fractions of a second are
 * dropped. Above 24 h: 24 h.
 */
export function cronForInterval(intervalMs) {
    const asked = Number.isFinite(intervalMs) ? intervalMs : 1000;
    const s = Math.max(1, Math.floor(asked / 1000));
    let expression;
    let effectiveS;
    if (s < 60) {
        const d = largestAtMost(DIVISORS_OF_60, s);
        expression = d === 1 ? '* * * * * *' : `*/${d} * * * * *`;
        effectiveS = d;
    }
    else if (s < 3600) {
        const d = largestAtMost(DIVISORS_OF_60, Math.floor(s / 60));
        expression = d === 1 ? '0 * * * * *' : `0 */${d} * * * *`;
        effectiveS = d * 60;
    }
    else {
        const d = largestAtMost(DIVISORS_OF_24, Math.floor(s / 3600));
        expression = d === 1 ? '0 0 * * * *' : `0 0 */${d} * * *`;
        effectiveS = d * 3600;
    }
    const effectiveMs = effectiveS * 1000;
    const out = { expression, effectiveMs, adjusted: effectiveMs !== asked };
    if (out.adjusted) {
        out.note =
            asked < 1000
                ? `probe interval ${asked} ms is below node-cron's one-second resolution; using 1 s`
                : `probe interval ${asked / 1000} s does not divide the minute/hour/day evenly; using ${effectiveS} s so rounds stay evenly spaced`;
    }
    return out;
}
export const nodeCronFactory = (expression, tick) => {
    // suppressMissedWarning: node-cron warns on console when the event loop was too busy to fire on
    // time; a missed probe tick is harmless (the next one comes) and the console is not our log.
    const task = createTask(expression, () => tick(), { name: 'service-lb-probes', suppressMissedWarning: true });
    void task.start();
    return { stop: () => task.destroy() };
};
export function createScheduler(opts) {
    const schedule = cronForInterval(opts.intervalMs);
    const cronFactory = opts.cron ?? nodeCronFactory;
    let job;
    let current;
    let stopped = false;
    const report = (err) => {
        try {
            opts.onError?.(err);
        }
        catch {
            // an error reporter that throws has nobody left to tell
        }
    };
    const runNow = () => {
        if (stopped)
            return Promise.resolve(undefined);
        if (current) {
            opts.onSkippedTick?.();
            return Promise.resolve(undefined);
        }
        const entry = { abort: new AbortController(), promise: Promise.resolve(undefined) };
        const abort = entry.abort;
        // Set before the round starts: targets() may throw synchronously, and the finally below must
        // then find and clear this entry.
        current = entry;
        entry.promise = (async () => {
            try {
                const targets = opts.targets();
                const round = await runRound(targets, { ...opts.round, signal: abort.signal });
                if (round.aborted)
                    return undefined;
                try {
                    opts.onRound(round);
                }
                catch (err) {
                    report(err);
                }
                return round;
            }
            catch (err) {
                report(err);
                return undefined;
            }
            finally {
                if (current === entry)
                    current = undefined;
            }
        })();
        return entry.promise;
    };
    return {
        schedule,
        start({ runNow: now = false } = {}) {
            if (stopped || job)
                return;
            job = cronFactory(schedule.expression, () => void runNow());
            if (now)
                void runNow();
        },
        async stop() {
            stopped = true;
            const j = job;
            job = undefined;
            const c = current;
            c?.abort.abort();
            await Promise.all([j?.stop(), c?.promise]);
        },
        runNow,
        get busy() {
            return current !== undefined;
        },
    };
}
