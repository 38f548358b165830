// Reading the exporter on the real cluster: its /metrics at the pod IP, waiting for a condition on it, and its
// container log (the test bed keeps it under <state>/logs/pods/).
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Cluster } from '../../testkit/cluster/index.js';
import { waitFor } from '../../testkit/cluster/testing.js';
import { parseExposition, valueOf, type Sample } from './alerts.js';

export const EXPORTER_NS = 'service-proxy-exporter';

export async function scrape(ip: string): Promise<Sample[]> {
  const res = await fetch(`http://${ip}:9808/metrics`, { signal: AbortSignal.timeout(5000) });
  assert.equal(res.status, 200);
  return parseExposition(await res.text());
}

/** Wait until the exporter's scrape satisfies `check` (returns a failure description, or undefined when satisfied). */
export async function until(ip: string, what: string, timeoutMs: number, check: (s: Sample[]) => string | undefined): Promise<Sample[]> {
  let last = '';
  return waitFor(what, timeoutMs, async () => {
    const s = await scrape(ip);
    const problem = check(s);
    last = problem ?? '';
    return problem === undefined ? s : undefined;
  }).catch((err: Error) => {
    throw new Error(`${err.message}; last: ${last}`);
  });
}

export const verdict = (s: Sample[], probe: string, v: string) => valueOf(s, 'service_lb_probe_verdict', { probe, verdict: v });

/** The exporter container's log of pod `podName`. */
export function exporterLog(c: Cluster, podName: string): string {
  const dir = join(c.dir, 'logs', 'pods');
  const d = readdirSync(dir).find((f) => f.startsWith(`${EXPORTER_NS}_${podName}_`));
  return d ? readFileSync(join(dir, d, 'exporter.log'), 'utf8') : '';
}
