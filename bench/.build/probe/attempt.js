// The part every prober shares: one deadline, one abort hook, settle exactly once, release the
// socket whatever happened, measure the duration. A prober only wires its socket's events to
// `succeed` / `fail`; it cannot forget the timeout or throw.
import { performance } from 'node:perf_hooks';
import { detailFromError, reasonFromError } from './reason.js';
export function runAttempt(opts, body) {
    const start = performance.now();
    return new Promise((resolve) => {
        let settled = false;
        const cleanups = [];
        const settle = (r) => {
            if (settled)
                return;
            settled = true;
            clearTimeout(timer);
            opts.signal?.removeEventListener('abort', onAbort);
            for (const fn of cleanups) {
                try {
                    fn();
                }
                catch {
                    // releasing a socket must never turn a result into a throw
                }
            }
            resolve({ ...r, durationSeconds: (performance.now() - start) / 1000 });
        };
        const a = {
            succeed: (detail) => settle(detail ? { success: true, detail } : { success: true }),
            fail: (err) => settle({ success: false, reason: reasonFromError(err), detail: detailFromError(err) }),
            failWith: (reason, detail) => settle({ success: false, reason, detail }),
            onSettle: (fn) => {
                if (settled)
                    fn();
                else
                    cleanups.push(fn);
            },
            get settled() {
                return settled;
            },
        };
        const timeoutMs = Math.max(1, Math.floor(opts.timeoutMs));
        const timer = setTimeout(() => {
            if (a.whenTimedOut)
                a.whenTimedOut();
            a.failWith('timeout', `no answer within ${timeoutMs} ms`);
        }, timeoutMs);
        const onAbort = () => a.failWith('other', 'aborted');
        if (opts.signal?.aborted) {
            onAbort();
            return;
        }
        opts.signal?.addEventListener('abort', onAbort, { once: true });
        try {
            body(a);
        }
        catch (err) {
            a.fail(err);
        }
    });
}
