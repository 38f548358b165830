// End to end: a real Prometheus (Debian package `prometheus`) scrapes the running demo exporter every
// second with our rules file loaded, and every recording rule and every dashboard panel query must
// return data through Prometheus' HTTP API. Alert expressions must evaluate without error.
//
// Skips locally without /usr/bin/prometheus; fails under CI=true.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { RULES_FILE } from '../../src/artifacts/render.js';
import { EXPORTER_JOB } from '../../src/artifacts/metrics.js';
import { silentLogger } from '../../src/log.js';
import { PROMETHEUS, ROOT, allQueries, requireBinary, type ShippedQuery } from './helpers.js';

/** What Grafana would put for $__rate_interval with a 1s scrape interval (4 × scrape, rounded up). */
const RATE_INTERVAL = '15s';
const SAMPLES_DEADLINE_MS = 60_000;
const QUERIES_DEADLINE_MS = 60_000;

interface Exporter {
  url: string;
  close(): Promise<void>;
  /** which exporter this is, for the test log */
  what: string;
}

async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolvePort(port));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The lead's embedded demo: the real exporter against the simulated cluster, real probes over loopback. */
async function startRealDemo(): Promise<Exporter> {
  const { startDemo } = await import('../../testkit/demo/demo.js');
  const port = await freePort();
  const demo = await startDemo({
    listen: `127.0.0.1:${port}`,
    probeInterval: '1s',
    flags: { 'probe-timeout': '500ms' },
    log: silentLogger(),
  });
  return { url: demo.url, close: () => demo.close(), what: `the embedded demo (${demo.url})` };
}

interface PromResponse {
  status: 'success' | 'error';
  data?: { resultType: string; result: unknown[] };
  error?: string;
}

async function promQuery(base: string, expr: string): Promise<PromResponse> {
  const res = await fetch(`${base}/api/v1/query?query=${encodeURIComponent(expr)}`);
  return (await res.json()) as PromResponse;
}

test('a real Prometheus scraping the demo returns data for every recording rule and panel query', { timeout: 240_000 }, async (t) => {
  if (!requireBinary(t, PROMETHEUS)) return;

  const exporter = await startRealDemo();
  t.diagnostic(`scraping ${exporter.what}`);

  const dir = await mkdtemp(join(tmpdir(), 'spe-prometheus-'));
  let prom: ChildProcess | undefined;
  let promLog = '';
  try {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const target = new URL(exporter.url).host;
    await writeFile(
      join(dir, 'prometheus.yml'),
      stringify({
        global: { scrape_interval: '1s', evaluation_interval: '1s', scrape_timeout: '1s' },
        rule_files: [resolve(ROOT, RULES_FILE)],
        scrape_configs: [{ job_name: EXPORTER_JOB, static_configs: [{ targets: [target] }] }],
      }),
    );
    prom = spawn(
      PROMETHEUS,
      [
        `--config.file=${join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--log.level=warn',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    prom.stdout?.on('data', (b: Buffer) => (promLog += b.toString()));
    prom.stderr?.on('data', (b: Buffer) => (promLog += b.toString()));
    const exited = new Promise<number | null>((r) => prom!.once('exit', (code) => r(code)));

    // 1. Prometheus up and samples from the exporter arriving (bounded)
    const deadline = Date.now() + SAMPLES_DEADLINE_MS;
    let scraped = false;
    while (!scraped && Date.now() < deadline) {
      if (prom.exitCode !== null) assert.fail(`prometheus exited with ${prom.exitCode}:\n${promLog}`);
      try {
        const r = await promQuery(base, `up{job="${EXPORTER_JOB}"} == 1 and on() count(proxy_provider) > 0`);
        scraped = r.status === 'success' && (r.data?.result.length ?? 0) > 0;
      } catch {
        // not listening yet
      }
      if (!scraped) await sleep(250);
    }
    assert.ok(scraped, `no samples from ${exporter.url} within ${SAMPLES_DEADLINE_MS / 1000}s:\n${promLog}`);

    // 2. every rule loaded and healthy
    const rules = (await (await fetch(`${base}/api/v1/rules`)).json()) as {
      data: { groups: { name: string; rules: { name: string; health: string; lastError?: string }[] }[] };
    };
    const loaded = rules.data.groups.flatMap((g) => g.rules);
    const expected = allQueries().filter((q) => q.kind === 'recording' || q.kind === 'alert');
    assert.equal(loaded.length, expected.length, 'all rules loaded');

    // 3. every recording rule and panel/variable query returns data; alert expressions evaluate
    const pending = new Map<string, ShippedQuery>();
    for (const q of allQueries(RATE_INTERVAL)) {
      if (q.kind === 'alert') {
        const r = await promQuery(base, q.expr);
        assert.equal(r.status, 'success', `${q.where}: ${r.error ?? ''}`);
      } else {
        pending.set(`${q.where}\n    ${q.expr}`, q.kind === 'recording' ? { ...q, expr: q.where.replace(/^record /, '') } : q);
      }
    }
    const errors: string[] = [];
    const queriesDeadline = Date.now() + QUERIES_DEADLINE_MS;
    while (pending.size > 0 && Date.now() < queriesDeadline) {
      for (const [key, q] of pending) {
        const r = await promQuery(base, q.expr);
        if (r.status !== 'success') {
          errors.push(`${key}\n    error: ${r.error}`);
          pending.delete(key);
        } else if ((r.data?.result.length ?? 0) > 0) {
          pending.delete(key);
        }
      }
      if (pending.size > 0) await sleep(1000);
    }
    assert.deepEqual(errors, [], 'queries Prometheus rejected');
    assert.deepEqual([...pending.keys()], [], `queries with no data after ${QUERIES_DEADLINE_MS / 1000}s`);

    const unhealthy = ((await (await fetch(`${base}/api/v1/rules`)).json()) as typeof rules).data.groups
      .flatMap((g) => g.rules)
      .filter((r) => r.health !== 'ok' || r.lastError)
      .map((r) => `${r.name}: ${r.health} ${r.lastError ?? ''}`);
    assert.deepEqual(unhealthy, [], 'rule evaluation health');

    prom.kill('SIGTERM');
    await Promise.race([exited, sleep(10_000)]);
  } finally {
    if (prom && prom.exitCode === null) prom.kill('SIGKILL');
    await exporter.close();
    await rm(dir, { recursive: true, force: true });
  }
});
