// Judging the shipped alert rules on what the real exporter exported: a recorder scrapes the exporter (and kube-proxy,
// as kube-prometheus-stack's `kube-proxy` job would) every few seconds; the recording is replayed through
// `promtool test rules` against the shipped rules file, unchanged, one scrape per minute of rule time (time compressed),
// and promtool's own report says which alerts fire at the end. Nothing here decides what an alert means: the rules do.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import { REPO_ROOT } from '../../testkit/cluster/config.js';

const run = promisify(execFile);
export const RULES_FILE = join(REPO_ROOT, 'rules', 'service-proxy-exporter.rules.yml');

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

function parseLabels(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of text.matchAll(LABEL)) out[m[1]!] = m[2]!.replace(/\\n/g, '\n').replace(/\\"/g, '"').replace(/\\\\/g, '\\');
  return out;
}

/** The Prometheus text exposition as samples (comments and blank lines skipped). */
export function parseExposition(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    out.push({ name: m[1]!, labels: m[3] ? parseLabels(m[3]) : {}, value: Number(m[4]) });
  }
  return out;
}

/** The value of the first series of `name` whose labels include `labels`, or undefined. */
export function valueOf(samples: Sample[], name: string, labels: Record<string, string> = {}): number | undefined {
  return samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
}

export function seriesKey(s: { name: string; labels: Record<string, string> }): string {
  const l = Object.entries(s.labels)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
    .join(',');
  return `${s.name}{${l}}`;
}

export interface Target {
  /** Labels the scrape adds (job, instance, …), as Prometheus would. */
  labels: Record<string, string>;
  url: string;
  /** Keep only these families (kube-proxy's exposition is large and the rules need only its `up`). */
  keep?: RegExp;
}

/** Scrapes targets on an interval; each round is one step of the recording. */
export class Recorder {
  readonly steps: Map<string, number>[] = [];
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;

  constructor(
    private readonly targets: () => Target[],
    private readonly intervalMs = 2000,
  ) {}

  start(): void {
    const tick = async () => {
      this.running = this.round();
      await this.running;
      if (this.timer !== undefined) this.timer = setTimeout(() => void tick(), this.intervalMs);
    };
    this.timer = setTimeout(() => void tick(), 0);
  }

  async stop(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** One scrape of every target, now (also usable without start()). */
  async round(): Promise<Map<string, number>> {
    const step = new Map<string, number>();
    await Promise.all(
      this.targets().map(async (t) => {
        let up = 0;
        try {
          const res = await fetch(t.url, { signal: AbortSignal.timeout(5000) });
          if (res.ok) {
            up = 1;
            for (const s of parseExposition(await res.text())) {
              if (t.keep && !t.keep.test(s.name)) continue;
              if (!Number.isFinite(s.value)) continue;
              step.set(seriesKey({ name: s.name, labels: { ...s.labels, ...t.labels } }), s.value);
            }
          }
        } catch {
          up = 0;
        }
        step.set(seriesKey({ name: 'up', labels: t.labels }), up);
      }),
    );
    this.steps.push(step);
    return step;
  }
}

export interface FiringAlert {
  alertname: string;
  labels: Record<string, string>;
}

/**
 * Which of the shipped alerts fire after replaying `steps` (one per minute of rule time), as promtool reports them.
 * Every alert is asked for with an empty expectation; promtool lists what it got for each one that fires.
 */
export async function firingAlerts(steps: Map<string, number>[], alertnames: string[]): Promise<FiringAlert[]> {
  const keys = new Set<string>();
  for (const s of steps) for (const k of s.keys()) keys.add(k);
  const input_series = [...keys].map((k) => ({
    series: k.replace(/=("(?:[^"\\]|\\.)*")/g, '=$1'),
    values: steps.map((s) => (s.has(k) ? String(s.get(k)) : '_')).join(' '),
  }));
  const evalTime = `${steps.length - 1}m`;
  const test = {
    rule_files: [RULES_FILE],
    evaluation_interval: '1m',
    tests: [
      {
        interval: '1m',
        input_series,
        alert_rule_test: alertnames.map((alertname) => ({ eval_time: evalTime, alertname, exp_alerts: [] })),
      },
    ],
  };
  const dir = mkdtempSync(join(tmpdir(), 'spe-alerts-'));
  try {
    const file = join(dir, 'replay.test.yml');
    writeFileSync(file, stringify(test));
    let out: string;
    try {
      const r = await run('promtool', ['test', 'rules', file], { maxBuffer: 64 * 1024 * 1024 });
      out = r.stdout + r.stderr;
    } catch (err) {
      const e = err as { stdout?: string; stderr?: string };
      out = (e.stdout ?? '') + (e.stderr ?? '');
      if (!/FAILED:/.test(out)) throw new Error(`promtool could not replay the recording: ${out.slice(0, 2000)}`, { cause: err });
    }
    const alerts: FiringAlert[] = [];
    for (const m of out.matchAll(/Labels:\{(.*)\}/g)) {
      const labels = parseLabels(m[1]!);
      alerts.push({ alertname: labels.alertname!, labels });
    }
    return alerts;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
