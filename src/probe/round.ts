// One round: every target probed once, at most `concurrency` at a time, each within the timeout.
// A round therefore lasts at most ceil(targets / concurrency) × timeout, whatever the targets do.
import { performance } from 'node:perf_hooks';
import { runInProbeContext } from './guard.js';
import { probe, probers as defaultProbers } from './probers.js';
import type { ProbeResult, ProbeTarget, ProberTable, TargetResult } from './types.js';

export interface RoundOptions {
  /** probes in flight at once (≥ 1) */
  concurrency: number;
  /** per-probe timeout (the --probe-timeout) */
  timeoutMs: number;
  /** aborting ends in-flight probes and skips the rest; the round then reports `aborted` */
  signal?: AbortSignal;
  /** for tests: another prober table */
  probers?: ProberTable;
}

export interface RoundResult {
  startedAt: Date;
  durationSeconds: number;
  /** one per target, in the order of the targets */
  results: TargetResult[];
  /** the round was stopped before it finished; its results must not be published */
  aborted: boolean;
}

/**
 * How long past its own timeout a prober may take before the runner gives up on it. Probers enforce
 * their timeout themselves; this only guards against a prober bug stalling the round.
 */
const WATCHDOG_GRACE_MS = 1000;

async function guarded(target: ProbeTarget, opts: RoundOptions): Promise<ProbeResult> {
  const start = performance.now();
  const elapsed = (): number => (performance.now() - start) / 1000;
  let watchdog: NodeJS.Timeout | undefined;
  let crash: ((r: ProbeResult) => void) | undefined;
  const overrun = new Promise<ProbeResult>((resolve) => {
    crash = resolve;
    watchdog = setTimeout(
      () => resolve({ success: false, reason: 'timeout', detail: 'prober overran its timeout', durationSeconds: elapsed() }),
      opts.timeoutMs + WATCHDOG_GRACE_MS,
    );
  });
  const label = `${target.probe}/${target.path}`;
  try {
    // A prober from another table than ours may not run in an attempt (attempt.ts); this context
    // lets the crash guard end its probe too.
    const run = runInProbeContext(
      {
        label,
        crashed: (err) =>
          crash?.({ success: false, reason: 'other', detail: `prober crashed: ${String(err)}`.slice(0, 200), durationSeconds: elapsed() }),
      },
      () =>
        probe(
          target,
          { timeoutMs: opts.timeoutMs, label, ...(opts.signal ? { signal: opts.signal } : {}) },
          opts.probers ?? defaultProbers,
        ),
    );
    return await Promise.race([run, overrun]);
  } catch (err) {
    // Probers never throw by contract; a table entry supplied by a caller might.
    return { success: false, reason: 'other', detail: `prober threw: ${String(err)}`, durationSeconds: elapsed() };
  } finally {
    clearTimeout(watchdog);
  }
}

export async function runRound(targets: readonly ProbeTarget[], opts: RoundOptions): Promise<RoundResult> {
  const startedAt = new Date();
  const start = performance.now();
  const results: TargetResult[] = new Array(targets.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < targets.length) {
      const i = next++;
      const target = targets[i]!;
      const result: ProbeResult = opts.signal?.aborted
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
