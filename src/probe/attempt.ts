// The part every prober shares: one deadline, one abort hook, settle exactly once, release the
// socket whatever happened, measure the duration. A prober only wires its socket's events to
// `succeed` / `fail`; it cannot forget the timeout or throw. The body and every callback it
// schedules run in the attempt's crash-guard context (guard.ts): a throw that still escapes into
// the event loop settles this attempt as `other` instead of ending the process.
import { performance } from 'node:perf_hooks';
import { runInProbeContext } from './guard.js';
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
  /**
   * `fn` made safe as an event or callback handler: a throw inside it fails the attempt
   * (reason from the error) instead of escaping into the event loop.
   */
  wrap<A extends unknown[]>(fn: (...args: A) => void): (...args: A) => void;
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
        if (!settled) cleanups.push(fn);
        else {
          try {
            fn();
          } catch {
            // as in settle(): a release that throws changes nothing
          }
        }
      },
      get settled() {
        return settled;
      },
      wrap:
        (fn) =>
        (...args) => {
          try {
            fn(...args);
          } catch (err) {
            a.fail(err);
          }
        },
    };
    const timeoutMs = Math.max(1, Math.floor(opts.timeoutMs));
    const timer = setTimeout(
      a.wrap(() => {
        if (a.whenTimedOut) a.whenTimedOut();
        a.failWith('timeout', `no answer within ${timeoutMs} ms`);
      }),
      timeoutMs,
    );
    const onAbort = (): void => a.failWith('other', 'aborted');
    if (opts.signal?.aborted) {
      onAbort();
      return;
    }
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    const crashed = (err: unknown): void => a.failWith('other', `prober crashed: ${detailFromError(err)}`);
    runInProbeContext({ ...(opts.label ? { label: opts.label } : {}), crashed }, () => {
      try {
        body(a);
      } catch (err) {
        a.fail(err);
      }
    });
  });
}
