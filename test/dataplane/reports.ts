// What exporter-driver.ts reports, as a test reads it: rounds and log lines as they arrive, and
// waits for the first that satisfies a predicate. Shared by the data-plane exporter tests.
import type { ChildProcess } from 'node:child_process';
import type { LogReport, MetricSample, RoundReport } from './exporter-driver.js';

export type Round = RoundReport & { receivedAt: number };

export function metric(r: Round, name: string, labels: Record<string, string> = {}): number | undefined {
  const hit = r.metrics.find((s: MetricSample) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  return hit?.value;
}

export const summary = (r: Round): string =>
  `round #${r.seq} functional=${metric(r, 'service_lb_functional')} ` +
  r.results.map((x) => `${x.probe}/${x.path}=${x.success ? 'ok' : `${x.reason}${x.detail ? `(${x.detail})` : ''}`}`).join(' ');

export class Reports {
  readonly rounds: Round[] = [];
  readonly logs: (LogReport & { receivedAt: number })[] = [];
  private waiters = new Set<() => void>();
  private exited: string | undefined;
  stderr = '';

  /** `defaultWaitMs`: how long round() and log() wait unless told */
  constructor(private readonly defaultWaitMs: number) {}

  onLine = (line: string): void => {
    let o: { type?: string };
    try {
      o = JSON.parse(line) as { type?: string };
    } catch {
      return;
    }
    const receivedAt = Date.now();
    if (o.type === 'round') this.rounds.push({ ...(o as RoundReport), receivedAt });
    else if (o.type === 'log') this.logs.push({ ...(o as LogReport), receivedAt });
    for (const w of this.waiters) w();
  };

  attach(child: ChildProcess): void {
    child.stderr?.on('data', (d: Buffer) => (this.stderr = (this.stderr + d.toString()).slice(-4000)));
    child.once('exit', (code, signal) => {
      this.exited = `driver exited (${code ?? signal})`;
      for (const w of this.waiters) w();
    });
  }

  last(): Round | undefined {
    return this.rounds.at(-1);
  }

  /** The first round received at or after `since` (ms) that satisfies pred; waits for it. */
  round(what: string, pred: (r: Round) => boolean, o: { since?: number; timeoutMs?: number } = {}): Promise<Round> {
    const since = o.since ?? 0;
    return this.wait(what, () => this.rounds.find((r) => r.receivedAt >= since && pred(r)), o.timeoutMs ?? this.defaultWaitMs);
  }

  /** The first log entry received at or after `since` that satisfies pred; waits for it. */
  log(what: string, pred: (l: LogReport) => boolean, o: { since?: number; timeoutMs?: number } = {}): Promise<LogReport> {
    const since = o.since ?? 0;
    return this.wait(what, () => this.logs.find((l) => l.receivedAt >= since && pred(l)), o.timeoutMs ?? this.defaultWaitMs);
  }

  private wait<T>(what: string, find: () => T | undefined, timeoutMs: number): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const check = (): void => {
        const hit = find();
        if (hit !== undefined) {
          done();
          resolve(hit);
        } else if (this.exited) {
          done();
          reject(new Error(`waiting for ${what}: ${this.exited}; stderr: ${this.stderr.trim()}`));
        }
      };
      const timer = setTimeout(() => {
        done();
        const last = this.last();
        reject(
          new Error(
            `timed out after ${timeoutMs} ms waiting for ${what}; last: ${last ? summary(last) : 'no round yet'}; stderr: ${this.stderr.trim()}`,
          ),
        );
      }, timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        this.waiters.delete(check);
      };
      this.waiters.add(check);
      check();
    });
  }
}
