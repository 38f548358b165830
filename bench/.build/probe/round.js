// One round: every target probed once, at most `concurrency` at a time, each within the timeout.
// A round therefore lasts at most ceil(targets / concurrency) × timeout, whatever the targets do.
import { performance } from 'node:perf_hooks';
import { probe, probers as defaultProbers } from './probers.js';
/**
 * How long past its own timeout a prober may take before the runner gives up on it. Probers enforce
 * their timeout themselves; this only guards against a prober bug stalling the round.
 */
const WATCHDOG_GRACE_MS = 1000;
async function guarded(target, opts) {
    const start = performance.now();
    let watchdog;
    const overrun = new Promise((resolve) => {
        watchdog = setTimeout(() => resolve({
            success: false,
            reason: 'timeout',
            detail: 'prober overran its timeout',
            durationSeconds: (performance.now() - start) / 1000,
        }), opts.timeoutMs + WATCHDOG_GRACE_MS);
    });
    try {
        const run = probe(target, { timeoutMs: opts.timeoutMs, ...(opts.signal ? { signal: opts.signal } : {}) }, opts.probers ?? defaultProbers);
        return await Promise.race([run, overrun]);
    }
    catch (err) {
        // Probers never throw by contract; a table entry supplied by a caller might.
        return { success: false, reason: 'other', detail: `prober threw: ${String(err)}`, durationSeconds: (performance.now() - start) / 1000 };
    }
    finally {
        clearTimeout(watchdog);
    }
}
export async function runRound(targets, opts) {
    const startedAt = new Date();
    const start = performance.now();
    const results = new Array(targets.length);
    let next = 0;
    const worker = async () => {
        while (next < targets.length) {
            const i = next++;
            const target = targets[i];
            const result = opts.signal?.aborted
                ? { success: false, reason: 'other', detail: 'round aborted', durationSeconds: 0 }
                : await guarded(target, opts);
            results[i] = { target, result };
        }
    };
    const n = Math.max(1, Math.min(Math.floor(opts.concurrency) || 1, targets.length));
    await Promise.all(Array.from({ length: n }, worker));
    return {
        startedAt,
        durationSeconds: (performance.now() - start) / 1000,
        results,
        aborted: opts.signal?.aborted === true,
    };
}
