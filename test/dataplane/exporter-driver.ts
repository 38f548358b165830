// The whole exporter inside the client namespace, for exporter.test.ts:
//   ip netns exec CLIENT node --import tsx test/dataplane/exporter-driver.ts '<DriverConfig JSON>'
// Starts the fake API server on the namespace's loopback with the given objects, then the real
// exporter (runExporter) against it, and reports on stdout, one JSON line each:
//   {"type":"log",...}    every exporter log entry (winston, level debug)
//   READY                 once the exporter listens (rounds follow)
//   {"type":"round",...}  after every published probe round, with /metrics as scraped right then
// Exits on SIGTERM after stopping the exporter and the API server.
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { openConnection } from '../../src/cluster/kubeconfig.js';
import winston from 'winston';
import type { ProbeView } from '../../src/app/probes.js';
import { runExporter } from '../../src/app/run.js';
import { eachVerdict } from '../../src/probe/differential.js';
import { resolveSettings } from '../../src/config/load.js';
import { startFakeApiServer, writeKubeconfig } from '../../testkit/apiserver/index.js';
import { FAST_REFLECTOR } from '../helpers/exporter.js';

export interface DriverConfig {
  /** raw Kubernetes objects for the fake API server */
  objects: object[];
  /** exporter flags (kubeconfig is added) */
  flags: Record<string, string>;
  /** a directory the test owns (and removes): the kubeconfig goes there */
  dir: string;
}

export interface MetricSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface RoundReport {
  type: 'round';
  seq: number;
  /** Date.now() when the round was published */
  publishedAt: number;
  /** Date.now() when /metrics had been scraped */
  scrapedAt: number;
  /** how long that scrape took, from request to the last byte */
  scrapeMs: number;
  /** the exporter process's resident set size right after the round */
  rssBytes: number;
  startedAt: number;
  durationSeconds: number;
  /** the schedule the exporter really uses */
  intervalMs: number;
  /** the exporter's state for this round */
  functional: boolean;
  targets: string[];
  results: {
    probe: string;
    path: string;
    family: string;
    host: string;
    port: number;
    success: boolean;
    reason?: string;
    detail?: string;
    ms: number;
  }[];
  /** by probe, the verdict of its first family (ipv4 before ipv6) */
  verdicts: Record<string, { verdict: string; explanation: string }>;
  /** every (probe, family) verdict */
  familyVerdicts: { probe: string; family: string; verdict: string; explanation: string }[];
  provider: string | null;
  /** service_lb_* and proxy_provider samples from /metrics (no histogram series) */
  metrics: MetricSample[];
}

export interface LogReport {
  type: 'log';
  level: string;
  message: string;
  [field: string]: unknown;
}

/** Exposition text → samples (enough for the exporter's own output: no escapes in our label values). */
export function parseExposition(text: string, keep: (name: string) => boolean): MetricSample[] {
  const out: MetricSample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || !keep(m[1]!)) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!;
    out.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return out;
}

const emit = (o: unknown): void => void process.stdout.write(`${typeof o === 'string' ? o : JSON.stringify(o)}\n`);

async function main(): Promise<void> {
  const config = JSON.parse(process.argv[2] ?? '{}') as DriverConfig;
  const api = await startFakeApiServer({ host: '127.0.0.1' });
  for (const o of config.objects) api.store.apply(o as never);
  const kubeconfig = join(config.dir, 'kubeconfig');
  writeKubeconfig(api.url, kubeconfig);
  const settings = resolveSettings({ ...config.flags, kubeconfig }, {});
  const conn = await openConnection(kubeconfig);

  // Every log entry becomes a stdout line the test can wait on (verdict changes, skipped ticks).
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n')) {
        if (!line.trim()) continue;
        try {
          emit({ ...(JSON.parse(line) as object), type: 'log' });
        } catch {
          emit({ type: 'log', level: 'info', message: line });
        }
      }
      done();
    },
  });
  const log = winston.createLogger({
    level: 'debug',
    format: winston.format.json(),
    transports: [new winston.transports.Stream({ stream: sink })],
  });

  const running = await runExporter({ settings, conn, log, reflector: FAST_REFLECTOR });
  const intervalMs = running.probes.state.schedule.effectiveMs;
  let seq = 0;
  let queue = Promise.resolve();
  running.probes.on('round', (view: ProbeView) => {
    const publishedAt = Date.now();
    const round = view.lastRound!;
    const n = ++seq;
    // In order, one scrape per round: the state families read the state this round just set.
    queue = queue.then(async () => {
      let metrics: MetricSample[] = [];
      const scrapeStart = Date.now();
      try {
        const text = await (await fetch(`${running.url}/metrics`)).text();
        metrics = parseExposition(
          text,
          (name) =>
            (name.startsWith('service_lb_') && !name.startsWith('service_lb_probe_duration')) ||
            name === 'proxy_provider' ||
            name === 'service_proxy_exporter_probe_crashes_total',
        );
      } catch (err) {
        emit({ type: 'log', level: 'error', message: 'driver: scrape failed', error: String(err) });
      }
      // read after the scrape, not at publish time: detection may have settled in between
      const provider = running.exporter.state.verdict?.provider ?? null;
      const report: RoundReport = {
        type: 'round',
        seq: n,
        publishedAt,
        scrapedAt: Date.now(),
        scrapeMs: Date.now() - scrapeStart,
        rssBytes: process.memoryUsage().rss,
        startedAt: Date.parse(round.at),
        durationSeconds: round.durationSeconds,
        intervalMs,
        functional: round.functional,
        targets: view.targets.map((t) => `${t.probe}/${t.path}`),
        results: round.results.map(({ target, result }) => ({
          probe: target.probe,
          path: target.path,
          family: target.family,
          host: target.host,
          port: target.port,
          success: result.success,
          ...(result.reason ? { reason: result.reason } : {}),
          ...(result.detail ? { detail: result.detail } : {}),
          ms: Math.round(result.durationSeconds * 1000),
        })),
        verdicts: Object.fromEntries(
          eachVerdict(round.classifications)
            .reverse()
            .map((c) => [c.probe, { verdict: c.verdict, explanation: c.explanation }]),
        ),
        familyVerdicts: eachVerdict(round.classifications).map(({ probe, family, verdict, explanation }) => ({
          probe,
          family,
          verdict,
          explanation,
        })),
        provider,
        metrics,
      };
      emit(report);
    });
  });

  let stopping = false;
  process.once('SIGTERM', () => {
    if (stopping) return;
    stopping = true;
    void running
      .stop()
      .catch(() => undefined)
      .then(() => api.close())
      .finally(() => process.exit(0));
  });
  emit('READY');
}

// Only when run as a script: the test imports the report types from here.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
