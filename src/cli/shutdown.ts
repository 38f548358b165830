// SIGTERM/SIGINT: stop cleanly (the HTTP server drains, watches close, a running probe round is
// aborted) and exit; a second signal, or a stop that hangs past the deadline, exits at once.
import type { Logger } from '../log.js';

export function onShutdown(log: Logger, stop: () => Promise<void>, deadlineMs = 5000): Promise<number> {
  return new Promise((resolve) => {
    let stopping = false;
    const handler = (signal: NodeJS.Signals) => {
      if (stopping) process.exit(130);
      stopping = true;
      log.info('shutting down', { signal });
      const force = setTimeout(() => {
        log.warn('shutdown took too long; exiting');
        process.exit(1);
      }, deadlineMs);
      force.unref();
      stop().then(
        () => resolve(0),
        (e: unknown) => {
          log.error('error during shutdown', { error: String((e as Error)?.message ?? e) });
          resolve(1);
        },
      );
    };
    process.once('SIGTERM', handler);
    process.once('SIGINT', handler);
  });
}
