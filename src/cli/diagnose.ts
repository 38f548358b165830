// `diagnose`: one pass of the real exporter's pieces (sources, detection, one probe round — no HTTP
// server) and the runbook checks, printed for a human or as JSON. Exit 0 healthy, 1 problems found,
// 2 could not run (one line on stderr, like every other start-up failure).
import type { ParsedArgs } from './args.js';
import { UsageError } from './args.js';
import { resolveSettings, ConfigError } from '../config/load.js';
import { envName } from '../config/options.js';
import { openConnection } from '../cluster/kubeconfig.js';
import { createLogger } from '../log.js';
import type { Exporter } from '../app/exporter.js';
import type { ProbeEngine } from '../app/probes.js';
import { nextProbeRound } from '../app/diagnose.js';
import { wire } from '../app/wire.js';
import { exitCodeOf, renderText } from '../diagnose/index.js';

/** How long to wait for the sources to list before judging with what there is. */
export const SETTLE_TIMEOUT_MS = 20_000;
const OUTPUTS = ['text', 'json'] as const;

/** The user asked for probes although diagnose runs outside the cluster (a flag, once args.ts has it, or the environment). */
function probesForced(args: ParsedArgs, env: NodeJS.ProcessEnv): boolean {
  if (args.switches['force-probes'] === true) return true;
  const v = (env[envName('force-probes')] ?? '').toLowerCase();
  return v === 'true' || v === '1' || v === 'yes';
}

export function probesSkipReason(args: ParsedArgs, env: NodeJS.ProcessEnv): string | undefined {
  if (args.switches['no-probes'] === true) return 'disabled with --no-probes';
  if (!env.KUBERNETES_SERVICE_HOST && !probesForced(args, env)) {
    return `diagnose runs outside the cluster (KUBERNETES_SERVICE_HOST is not set), where Service VIPs and pod IPs are not reachable; run it in a pod (kubectl exec into the exporter) for data-path checks, or set ${envName('force-probes')}=true if this machine can reach them`;
  }
  return undefined;
}

export async function diagnoseCommand(args: ParsedArgs): Promise<number> {
  const output = args.flags.output ?? 'text';
  if (!(OUTPUTS as readonly string[]).includes(output)) throw new UsageError(`--output: "${output}" is not one of ${OUTPUTS.join(', ')}`);
  const settings = resolveSettings(args.flags, process.env);
  const conn = await openConnection(settings.kubeconfig, process.env);
  const server = conn.server;
  // stdout carries the report; the log (stderr) only speaks when asked to.
  const explicitLevel = args.flags['log-level'] ?? process.env[envName('log-level')];
  const log = createLogger({ level: explicitLevel ? settings.logLevel : 'error', format: settings.logFormat });
  const skip = probesSkipReason(args, process.env);
  const wired = wire({
    settings,
    conn,
    log,
    reflector: { backoff: { initialMs: 500, maxMs: 2000 } },
    probes: !skip,
    scheduleProbes: false,
    canary: false,
  });
  const { exporter, probes } = wired;
  wired.start();
  try {
    const settled = await waitSettled(exporter, SETTLE_TIMEOUT_MS);
    if (settled.cannotRun) throw new ConfigError(settled.cannotRun.replace('<server>', server));
    exporter.evaluate();
    if (probes) await oneRound(exporter, probes, settings.probeTimeoutMs * 4 + 5000);
    await wired.agentHealth?.runNow();
    await wired.healthChecks?.runNow();
    const report = wired.report(skip ? { probesSkipped: skip } : {});
    if (output === 'json') process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    else {
      const color = process.stdout.isTTY === true && args.switches['no-color'] !== true && !process.env.NO_COLOR;
      process.stdout.write(renderText(report, { color, ...(process.stdout.columns ? { width: process.stdout.columns } : {}) }));
    }
    return exitCodeOf(report);
  } finally {
    await wired.stop();
    conn.close();
  }
}

interface Settled {
  /** a one-line reason diagnose cannot run ("<server>" is filled in by the caller) */
  cannotRun?: string;
}

/**
 * Until every source has settled (synced, absent, forbidden-optional), or every required source has
 * failed (the API is unreachable or refuses us: nothing to diagnose), or the deadline passes (then
 * the report shows what could not be read). Driven by the sources' state events, no polling.
 */
async function waitSettled(exporter: Exporter, timeoutMs: number): Promise<Settled> {
  const required = exporter.specs.filter((s) => s.required).map((s) => s.name);
  const judge = (): Settled | undefined => {
    if (exporter.readiness().ready) return {};
    const st = exporter.sources.statuses();
    const failing = required.map((n) => st[n]).filter((s) => s && !s.everSynced && (s.state === 'error' || s.state === 'forbidden'));
    if (failing.length === required.length && required.length > 0) {
      const forbidden = failing.every((s) => s!.state === 'forbidden');
      const why = failing[0]!.error || failing[0]!.state;
      return {
        cannotRun: forbidden
          ? `the Kubernetes API at <server> refuses to list what diagnose reads: ${why} (grant get/list/watch as in manifests/base/clusterrole.yaml)`
          : `cannot reach the Kubernetes API at <server>: ${why}`,
      };
    }
    return undefined;
  };
  let result: Settled | undefined;
  const settled = await exporter.sources.until(() => (result = judge()) !== undefined, timeoutMs);
  if (settled) return result!;
  const st = exporter.sources.statuses();
  const none = required.every((n) => !st[n]?.everSynced);
  return none ? { cannotRun: `cannot reach the Kubernetes API at <server>: no answer within ${timeoutMs / 1000} s` } : {};
}

/** One completed probe round, once the engine has seen the settled sources. */
async function oneRound(exporter: Exporter, probes: ProbeEngine, timeoutMs: number): Promise<void> {
  // The engine recomputes its targets on the next coalesced change after the sources settled.
  await new Promise<void>((resolve) => {
    const t = setTimeout(resolve, 1000);
    exporter.sources.once('change', () => {
      clearTimeout(t);
      resolve();
    });
  });
  if (probes.state.lastRound) return;
  await nextProbeRound(probes, timeoutMs);
}
