// Runs the real exporter (sources, detection, metrics, HTTP) against the project's fake API
// server, and waits on its events rather than on the clock.
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openConnection } from '../../src/cluster/kubeconfig.js';
import type { ApiConnection, ConnectionOptions } from '../../src/cluster/connection.js';
import { startFakeApiServer, writeKubeconfig, type FakeApiServer, type FakeApiServerOptions } from '../../testkit/apiserver/index.js';
import { resolveSettings } from '../../src/config/load.js';
import { runExporter, type RunningExporter } from '../../src/app/run.js';
import { silentLogger, createLogger } from '../../src/log.js';
import type { Verdict } from '../../src/detect/types.js';
import type { Exporter } from '../../src/app/exporter.js';
import type { ProberTable } from '../../src/probe/types.js';

export interface Harness {
  api: FakeApiServer;
  running: RunningExporter;
  conn: ApiConnection;
  url: string;
  kubeconfigPath: string;
  /** resolve when the verdict satisfies pred (checks the current one first) */
  verdict(pred: (v: Verdict) => boolean, what?: string, timeoutMs?: number): Promise<Verdict>;
  /** resolve once every synced source has its watch open (so dropWatches() has something to drop) */
  watching(): Promise<void>;
  /** resolve once /readyz would answer 200 (every source settled) */
  ready(timeoutMs?: number): Promise<void>;
  /** the /metrics text */
  scrape(): Promise<string>;
  close(): Promise<void>;
}

/** Every probe kind disabledProbes knows: all of them off. */
export const ALL_PROBES = ['apiserver', 'dns', 'me_service', 'annotated'] as const;

export const FAST_REFLECTOR = { backoff: { initialMs: 20, maxMs: 200 }, recheckMs: 200, watchTimeoutSeconds: 60 };

export async function startHarness(
  opts: {
    objects?: object[];
    flags?: Record<string, string>;
    api?: FakeApiServerOptions;
    crds?: string[];
    log?: boolean;
    beforeStart?: (api: FakeApiServer) => void;
    /** probers to use; with them, probes run (the test says where they go) */
    probers?: ProberTable;
    /** run the real probers: only for objects whose Services lead to loopback or the test's own netns */
    probes?: boolean;
    /** the kubeconfig to write for the fake API server's URL (default: bearer token, skip TLS) */
    kubeconfig?: (apiUrl: string) => string;
    connection?: ConnectionOptions;
  } = {},
): Promise<Harness> {
  const api = await startFakeApiServer(opts.api ?? {});
  for (const crd of opts.crds ?? []) api.store.install(crd.split('.')[0]!);
  for (const o of opts.objects ?? []) api.store.apply(o as never);
  opts.beforeStart?.(api);
  const dir = mkdtempSync(join(tmpdir(), 'spx-harness-'));
  const kubeconfigPath = join(dir, 'kubeconfig');
  if (opts.kubeconfig) writeFileSync(kubeconfigPath, opts.kubeconfig(api.url), { mode: 0o600 });
  else writeKubeconfig(api.url, kubeconfigPath);
  const settings = resolveSettings({ listen: '127.0.0.1:0', kubeconfig: kubeconfigPath, 'source-grace-period': '1s', ...opts.flags }, {});
  // A fixture's ClusterIPs lead nowhere on this machine: without probers or a data plane the test
  // opted into, no probe runs (test traffic never leaves the machine).
  if (!opts.probers && !opts.probes) settings.disabledProbes = [...ALL_PROBES];
  const conn = await openConnection(kubeconfigPath, undefined, opts.connection ?? {});
  const running = await runExporter({
    settings,
    conn,
    log: opts.log ? createLogger({ level: 'debug', format: 'text' }) : silentLogger(),
    reflector: FAST_REFLECTOR,
    ...(opts.probers ? { probers: opts.probers } : {}),
  });
  const exporter = running.exporter;
  return {
    api,
    running,
    conn,
    url: running.url,
    kubeconfigPath,
    verdict: (pred, what, timeoutMs) => waitForVerdict(exporter, pred, what, timeoutMs),
    async watching() {
      const signal = AbortSignal.timeout(15_000);
      for (const r of exporter.sources.reflectors.values()) {
        if (r.state === 'synced' && !r.watching) await once(r, 'watching', { signal });
      }
    },
    async ready(timeoutMs = 15_000) {
      if (!(await exporter.whenReady(timeoutMs)))
        throw new Error(`timed out waiting for readiness: ${exporter.readiness().waitingFor.join(', ')}`);
    },
    async scrape() {
      const res = await fetch(`${running.url}/metrics`);
      return res.text();
    },
    async close() {
      // API first: requests held by an injected delay are cut, so the reflectors stop at once
      api.faults.clear();
      await api.close();
      await running.stop();
      conn.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Resolve with the exporter's verdict once it satisfies pred (the current one counts). */
export function waitForVerdict(exporter: Exporter, pred: (v: Verdict) => boolean, what = 'verdict', timeoutMs = 15_000): Promise<Verdict> {
  return new Promise<Verdict>((resolve, reject) => {
    const current = exporter.state.verdict;
    if (current && pred(current)) return resolve(current);
    const last = () =>
      JSON.stringify(
        exporter.state.verdict && {
          provider: exporter.state.verdict.provider,
          conflict: exporter.state.verdict.conflict,
          agents: exporter.state.verdict.agents,
          reasons: exporter.state.verdict.reasons,
        },
      );
    let done = false;
    const check = (v: Verdict | undefined) => {
      if (done || !v || !pred(v)) return;
      done = true;
      clearTimeout(timer);
      exporter.sources.off('change', onSources);
      resolve(v);
    };
    // A predicate may read more than the verdict (source states): detection re-runs only on its own
    // sources, so other sources' changes re-check the predicate against the current verdict.
    const onSources = () => check(exporter.state.verdict);
    const timer = setTimeout(() => {
      exporter.sources.off('change', onSources);
      reject(new Error(`timed out waiting for ${what}; last verdict: ${last()}`));
    }, timeoutMs);
    exporter.onVerdict(check);
    exporter.sources.on('change', onSources);
  });
}

/** The value of one sample in exposition text, or undefined. `series` is e.g. 'proxy_provider{type="cilium-kpr"}'. */
export function sample(text: string, series: string): number | undefined {
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const i = line.lastIndexOf(' ');
    if (i > 0 && line.slice(0, i) === series) return Number(line.slice(i + 1));
  }
  return undefined;
}
