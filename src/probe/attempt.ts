// The part every prober shares: one deadline, one abort hook, settle exactly once, release the
// socket whatever happened, measure the duration. A prober only wires its socket's events to
// `succeed` / `fail`; it cannot forget the timeout or throw.
import { performance } from 'node:perf_hooks';
import { detailFromError, reasonFromError } from './reason.js';
import type { FailureReason, ProbeOptions, ProbeResult } from './types.js';

export interface Attempt {
  succeed(detail?: string): void;
  /** fail with an error (reason derived from it) or an explicit reason and detail */
  fail(err: unknown): void;
  failWith(reason: FailureReason, detail: string): void;
  /** run when the attempt settles, e.g. `() => socket.destroy()` */
  onSettle(fn: () => void): void;
  readonly settled: boolean;
  /** replaces the default timeout failure, e.g. to count a completed TLS handshake as success */
  whenTimedOut?: () => void;
}

export function runAttempt(opts: ProbeOptions, body: (a: Attempt) => void): Promise<ProbeResult> {
  const start = performance.now();
  return new Promise<ProbeResult>((resolve) => {
    let settled = false;
    const cleanups: (() => void)[] = [];
    const settle = (r: Omit<ProbeResult, 'durationSeconds'>): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      for (const fn of cleanups) {
        try {
          fn();
        } catch {
          // releasing a socket must never turn a result into a throw
        }
      }
      resolve({ ...r, durationSeconds: (performance.now() - start) / 1000 });
    };
    const a: Attempt = {
      succeed: (detail) => settle(detail ? { success: true, detail } : { success: true }),
      fail: (err) => settle({ success: false, reason: reasonFromError(err), detail: detailFromError(err) }),
      failWith: (reason, detail) => settle({ success: false, reason, detail }),
      onSettle: (fn) => {
        if (settled) fn();
        else cleanups.push(fn);
      },
      get settled() {
        return settled;
      },
    };
    const timeoutMs = Math.max(1, Math.floor(opts.timeoutMs));
    const timer = setTimeout(() => {
      if (a.whenTimedOut) a.whenTimedOut();
      a.failWith('timeout', `no answer within ${timeoutMs} ms`);
    }, timeoutMs);
    const onAbort = (): void => a.failWith('other', 'aborted');
    if (opts.signal?.aborted) {
      onAbort();
      return;
    }
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      body(a);
    } catch (err) {
      a.fail(err);
    }
  });
}
