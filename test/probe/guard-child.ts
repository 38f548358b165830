// Run by guard.test.ts in a process of its own (a process-level guard cannot be tested inside the
// test runner, which has its own uncaughtException handler):
//   node --import tsx test/probe/guard-child.ts probe|outside
// `probe`: a round whose probers throw from a timer callback, reject unhandled, and crash inside a
// real attempt; prints the round's results and the crash counter as JSON. `outside`: an exception
// thrown outside any probe, which must still end the process.
import { createMetrics } from '../../src/metrics/registry.js';
import { runAttempt } from '../../src/probe/attempt.js';
import { installProbeCrashGuard } from '../../src/probe/guard.js';
import { probers } from '../../src/probe/probers.js';
import { runRound } from '../../src/probe/round.js';
import type { ProbeTarget, ProberTable } from '../../src/probe/types.js';

const metrics = createMetrics(
  () => ({ verdict: undefined, sources: {}, probes: undefined, build: { version: 't', revision: 't', nodejsVersion: process.version } }),
  { defaultMetrics: false },
);
const labels: (string | undefined)[] = [];
installProbeCrashGuard({
  onCrash: (_err, label) => {
    labels.push(label);
    metrics.probes.crashed();
  },
});

if (process.argv[2] === 'outside') {
  setTimeout(() => {
    throw new Error('not from a probe');
  }, 10);
} else {
  const table: ProberTable = {
    ...probers,
    // never settles by itself: only the guard can end it before the watchdog
    tcp: () =>
      new Promise(() => {
        setTimeout(() => {
          throw new Error('thrown in a timer callback');
        }, 10);
      }),
    tls: () =>
      new Promise(() => {
        void Promise.reject(new Error('rejected, unhandled'));
      }),
    // inside a real attempt: a socket callback that throws, like the dgram connect crash
    http: (_t, opts) =>
      runAttempt(opts, () => {
        setTimeout(() => {
          throw new RangeError('ERR_SOCKET_BAD_PORT stand-in');
        }, 10);
      }),
  };
  const t = (kind: 'tcp' | 'tls', probe: string): ProbeTarget => ({ kind, probe, path: 'vip', family: 'ipv4', host: '127.0.0.1', port: 1 });
  const targets: ProbeTarget[] = [
    t('tcp', 'timer'),
    t('tls', 'rejection'),
    {
      kind: 'http',
      probe: 'attempt',
      path: 'vip',
      family: 'ipv4',
      host: '127.0.0.1',
      port: 1,
      scheme: 'http',
      httpPath: '/',
      expectedStatus: '2xx',
    },
  ];
  const round = await runRound(targets, { concurrency: 3, timeoutMs: 5000, probers: table });
  const text = await metrics.registry.metrics();
  const crashes = Number(/^service_proxy_exporter_probe_crashes_total (\d+)/m.exec(text)?.[1]);
  process.stdout.write(
    `${JSON.stringify({ results: round.results.map((r) => r.result), crashes, labels, seconds: round.durationSeconds })}\n`,
  );
}
