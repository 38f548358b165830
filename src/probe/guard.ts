// The backstop behind "a probe never throws into the event loop". Probers wire every socket event
// through their attempt (attempt.ts), but a throw in a callback that Node calls later — the kind
// behind the dgram `connect()` crash (Node passes a failed connect's error to the callback, and a
// send() on that unconnected socket throws) — escapes any try/catch. Every probe attempt runs in an
// AsyncLocalStorage context; the process-level guard finds that context for an uncaught exception
// or unhandled rejection, settles the attempt (reason `other`), counts and logs it, and the
// process goes on. Anything thrown outside a probe is not ours to swallow: it ends the process as
// Node would have.
import { AsyncLocalStorage } from 'node:async_hooks';

export interface ProbeContext {
  /** `<probe>/<path>` when known, for the log line */
  label?: string;
  /** settles the attempt the exception came from */
  crashed(err: unknown): void;
}

const contexts = new AsyncLocalStorage<ProbeContext>();

/** Runs `fn` (and every callback it schedules) as part of a probe attempt. */
export function runInProbeContext<T>(ctx: ProbeContext, fn: () => T): T {
  return contexts.run(ctx, fn);
}

/** The probe attempt the current code runs for, if any. */
export function currentProbeContext(): ProbeContext | undefined {
  return contexts.getStore();
}

export interface CrashGuardOptions {
  /** an exception from a probe was caught: count and log it */
  onCrash(err: unknown, label: string | undefined): void;
}

let installed: { opts: CrashGuardOptions; uninstall: () => void } | undefined;

function notOurs(err: unknown): void {
  // Another uncaughtException listener (a test runner, an embedding program) decides for itself.
  if (process.listenerCount('uncaughtException') > 1) return;
  process.stderr.write(`Uncaught exception: ${(err as Error)?.stack ?? String(err)}\n`);
  process.exit(1);
}

/**
 * Installs the process-level guard (once; a second call replaces the callback). Returns the
 * function that removes it.
 */
export function installProbeCrashGuard(opts: CrashGuardOptions): () => void {
  if (installed) {
    installed.opts = opts;
    return installed.uninstall;
  }
  const handle = (err: unknown): boolean => {
    const ctx = contexts.getStore();
    if (!ctx) return false;
    try {
      installed?.opts.onCrash(err, ctx.label);
    } catch {
      // a reporter that throws must not take the process with it
    }
    try {
      ctx.crashed(err);
    } catch {
      // settling is idempotent and guarded; nothing left to do
    }
    return true;
  };
  const onException = (err: unknown): void => {
    if (!handle(err)) notOurs(err);
  };
  const onRejection = (reason: unknown): void => {
    if (handle(reason)) return;
    // Node's default for an unhandled rejection (--unhandled-rejections=throw) is to raise it.
    onException(reason);
  };
  process.on('uncaughtException', onException);
  process.on('unhandledRejection', onRejection);
  const uninstall = (): void => {
    process.off('uncaughtException', onException);
    process.off('unhandledRejection', onRejection);
    installed = undefined;
  };
  installed = { opts, uninstall };
  return uninstall;
}
