// The canary's programming latency against the real kube-proxy (testkit/cluster), set beside what kube-proxy says
// about itself. For each proxy mode: a 2-node cluster, the exporter applied unchanged (`kubectl apply -k manifests`),
// then — without editing the manifests — `kubectl set env` makes the canary flip every 5 s and log each observation;
// after --changes changes, the exporter's `service_lb_programming_duration_seconds` (every observation, from its log,
// and the histogram's bucket deltas) and kube-proxy's `kubeproxy_network_programming_duration_seconds` and
// `kubeproxy_sync_proxy_rules_duration_seconds` (bucket deltas over the same window, scraped from the real :10249 of
// the exporter's node). Writes bench/results/real-cluster-sli.json and the section between the markers in
// docs/benchmarks.md.
//
//   npm run bench:real-cluster -- [--changes 25] [--modes iptables,nftables] [--no-write]
//
// Needs root, ip, iptables and nft, and the test bed's built components (docs/testbed.md).
import { readFileSync, readdirSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { down, missingPrerequisite, nodePlan, up, type Cluster, type ProxyMode } from '../testkit/cluster/index.js';
import { REPO_ROOT } from '../testkit/cluster/config.js';
import { kubectl, kubectlJson, waitFor } from '../testkit/cluster/testing.js';
import { parseExposition, type Sample } from '../test/e2e/alerts.js';

process.env.SPE_CLUSTER_DIR ??= `${REPO_ROOT}/.cache/cluster-bench`;

const { values: flags } = parseArgs({
  options: {
    changes: { type: 'string', default: '25' },
    modes: { type: 'string', default: 'iptables,nftables' },
    interval: { type: 'string', default: '5s' },
    'no-write': { type: 'boolean', default: false },
  },
});
const CHANGES = Number(flags.changes);
const MODES = flags.modes.split(',') as ProxyMode[];
const NS = 'service-proxy-exporter';
const DEPLOYMENT = 'service-proxy-exporter';
const TRIGGER_ANNOTATION = 'endpoints.kubernetes.io/last-change-trigger-time';

const missing = missingPrerequisite({ proxyMode: 'nftables' }) ?? missingPrerequisite({ proxyMode: 'iptables' });
if (missing) {
  console.error(`bench:real-cluster: ${missing}`);
  process.exit(2);
}

async function scrape(url: string): Promise<Sample[]> {
  const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
  if (res.status !== 200) throw new Error(`${url}: HTTP ${res.status}`);
  return parseExposition(await res.text());
}

/** A histogram's cumulative buckets (le → count) and count. */
interface Hist {
  buckets: Map<number, number>;
  count: number;
  sum: number;
}

function histogram(s: Sample[], name: string): Hist {
  const buckets = new Map<number, number>();
  let count = 0;
  let sum = 0;
  for (const x of s) {
    if (x.name === `${name}_bucket`) {
      const le = x.labels.le === '+Inf' ? Infinity : Number(x.labels.le);
      buckets.set(le, (buckets.get(le) ?? 0) + x.value);
    } else if (x.name === `${name}_count`) count += x.value;
    else if (x.name === `${name}_sum`) sum += x.value;
  }
  return { buckets, count, sum };
}

function delta(a: Hist, b: Hist): Hist {
  const buckets = new Map<number, number>();
  for (const [le, v] of b.buckets) buckets.set(le, v - (a.buckets.get(le) ?? 0));
  return { buckets, count: b.count - a.count, sum: b.sum - a.sum };
}

/** histogram_quantile as Prometheus computes it: linear within the bucket holding the rank. */
function quantile(q: number, h: Hist): number | undefined {
  const les = [...h.buckets.keys()].sort((x, y) => x - y);
  const total = h.buckets.get(Infinity) ?? 0;
  if (total <= 0) return undefined;
  const rank = q * total;
  let prevLe = 0;
  let prevCount = 0;
  for (const le of les) {
    const c = h.buckets.get(le)!;
    if (c >= rank) {
      if (le === Infinity) return prevLe;
      return prevLe + ((le - prevLe) * (rank - prevCount)) / (c - prevCount || 1);
    }
    prevLe = le;
    prevCount = c;
  }
  return prevLe;
}

/** The upper bound of the bucket that holds quantile q: what the histogram can actually tell. */
function bucketOf(q: number, h: Hist): number | undefined {
  const total = h.buckets.get(Infinity) ?? 0;
  if (total <= 0) return undefined;
  return [...h.buckets.keys()].sort((x, y) => x - y).find((le) => h.buckets.get(le)! >= q * total);
}

/** Non-empty bucket deltas, le → count, for the record. */
function nonEmpty(h: Hist): Record<string, number> {
  const out: Record<string, number> = {};
  let prev = 0;
  for (const le of [...h.buckets.keys()].sort((x, y) => x - y)) {
    const c = h.buckets.get(le)!;
    if (c - prev > 0) out[String(le)] = c - prev;
    prev = c;
  }
  return out;
}

/** The nearest-rank quantile of individual observations. */
function exact(q: number, xs: number[]): number | undefined {
  if (!xs.length) return undefined;
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

/** Every "canary change programmed" the pod logged (its --log-level=debug line), in seconds. */
function observations(c: Cluster, pod: string): number[] {
  const dir = join(c.dir, 'logs', 'pods');
  const d = readdirSync(dir).find((f) => f.startsWith(`${NS}_${pod}_`));
  if (!d) return [];
  return readFileSync(join(dir, d, 'exporter.log'), 'utf8')
    .split('\n')
    .flatMap((l) => {
      try {
        const j = JSON.parse(l) as { message?: string; seconds?: number };
        return j.message === 'canary change programmed' && typeof j.seconds === 'number' ? [j.seconds] : [];
      } catch {
        return [];
      }
    });
}

interface ModeResult {
  mode: ProxyMode;
  node: string;
  windowSeconds: number;
  exporter: {
    changes: number;
    p50: number;
    p99: number;
    histP50?: number;
    histP99?: number;
    observations: number[];
    buckets: Record<string, number>;
  };
  kubeProxy: {
    programmingCount: number;
    p50?: number;
    p99?: number;
    /** upper bounds of the buckets holding p50 and p99 */
    p50Le?: number;
    p99Le?: number;
    buckets: Record<string, number>;
    syncs: number;
    syncP50?: number;
    syncP99?: number;
  };
  triggerTimeAnnotation: boolean;
}

const EXP = 'service_lb_programming_duration_seconds';
const KP = 'kubeproxy_network_programming_duration_seconds';
const SYNC = 'kubeproxy_sync_proxy_rules_duration_seconds';

async function runMode(mode: ProxyMode): Promise<ModeResult> {
  const log = (l: string) => process.stderr.write(`[${mode}] ${l}\n`);
  const c = await up({ nodes: 2, proxyMode: mode, dualStack: false }, log);
  kubectl(c, ['apply', '-k', join(REPO_ROOT, 'manifests')]);
  // The flags' environment variables (src/config/options.ts): no manifest edited.
  kubectl(c, [
    '-n',
    NS,
    'set',
    'env',
    `deployment/${DEPLOYMENT}`,
    `SERVICE_PROXY_EXPORTER_CANARY_INTERVAL=${flags.interval}`,
    'SERVICE_PROXY_EXPORTER_LOG_LEVEL=debug',
  ]);
  kubectl(c, ['-n', NS, 'rollout', 'status', `deployment/${DEPLOYMENT}`, '--timeout=300s']);
  const pod = await waitFor('one exporter pod', 120_000, () => {
    const pods = kubectlJson(c, ['-n', NS, 'get', 'pods', '-l', 'app.kubernetes.io/component=exporter']).items.filter(
      (p: any) => !p.metadata.deletionTimestamp && p.status.podIP,
    );
    return pods.length === 1 ? pods[0] : undefined;
  });
  const name = pod.metadata.name as string;
  const node = pod.spec.nodeName as string;
  const exporterUrl = `http://${pod.status.podIP}:9808/metrics`;
  const nodeIp = nodePlan(Number(node.replace('node-', '')) - 1).ipV4;
  const proxyUrl = `http://${nodeIp}:10249/metrics`;
  log(`exporter ${name} on ${node}; waiting for the first programmed change`);
  await waitFor('a first canary observation', 180_000, async () => histogram(await scrape(exporterUrl), EXP).count >= 1);

  const e0 = histogram(await scrape(exporterUrl), EXP);
  const p0 = await scrape(proxyUrl);
  const k0 = histogram(p0, KP);
  const s0 = histogram(p0, SYNC);
  const obs0 = observations(c, name).length;
  const t0 = Date.now();
  await waitFor(`${CHANGES} changes`, CHANGES * 60_000, async () => {
    const n = histogram(await scrape(exporterUrl), EXP).count - e0.count;
    return n >= CHANGES;
  });
  await sleep(1000);
  const e1 = histogram(await scrape(exporterUrl), EXP);
  const p1 = await scrape(proxyUrl);
  const windowSeconds = (Date.now() - t0) / 1000;
  const ed = delta(e0, e1);
  const kd = delta(k0, histogram(p1, KP));
  const sd = delta(s0, histogram(p1, SYNC));
  const obs = observations(c, name).slice(obs0);
  const slice = kubectlJson(c, ['-n', NS, 'get', 'endpointslice', 'service-proxy-exporter-canary']);
  const result: ModeResult = {
    mode,
    node,
    windowSeconds,
    exporter: {
      changes: ed.count,
      p50: exact(0.5, obs) ?? NaN,
      p99: exact(0.99, obs) ?? NaN,
      histP50: quantile(0.5, ed),
      histP99: quantile(0.99, ed),
      observations: obs,
      buckets: nonEmpty(ed),
    },
    kubeProxy: {
      programmingCount: kd.count,
      p50: quantile(0.5, kd),
      p99: quantile(0.99, kd),
      p50Le: bucketOf(0.5, kd),
      p99Le: bucketOf(0.99, kd),
      buckets: nonEmpty(kd),
      syncs: sd.count,
      syncP50: quantile(0.5, sd),
      syncP99: quantile(0.99, sd),
    },
    triggerTimeAnnotation: TRIGGER_ANNOTATION in (slice.metadata.annotations ?? {}),
  };
  log(JSON.stringify({ ...result, exporter: { ...result.exporter, observations: undefined } }));
  log(
    `kube-proxy programming buckets: ${JSON.stringify(result.kubeProxy.buckets)}; exporter buckets: ${JSON.stringify(result.exporter.buckets)}`,
  );
  return result;
}

const ms = (s: number | undefined) => (s === undefined || Number.isNaN(s) ? '—' : `${Math.round(s * 1000)} ms`);

function section(results: ModeResult[]): string {
  const rows = results.map(
    (r) =>
      `| ${r.mode} | ${r.exporter.changes} | ${ms(r.exporter.p50)} / ${ms(r.exporter.p99)} | ${ms(r.exporter.histP50)} / ${ms(r.exporter.histP99)} | ${r.kubeProxy.programmingCount} | ${ms(r.kubeProxy.p50)} / ${ms(r.kubeProxy.p99)} (bucket ≤ ${ms(r.kubeProxy.p50Le)} / ≤ ${ms(r.kubeProxy.p99Le)}) | ${r.kubeProxy.syncs} | ${ms(r.kubeProxy.syncP50)} / ${ms(r.kubeProxy.syncP99)} |`,
  );
  return [
    '<!-- real-cluster-sli:begin -->',
    '## The canary against the real kube-proxy',
    '',
    '`npm run bench:real-cluster` — the test bed (docs/testbed.md: upstream kube-apiserver, controller-manager and',
    'kube-proxy v1.37.2 on network namespaces, 2 nodes), the exporter applied unchanged (`kubectl apply -k manifests`),',
    `then \`kubectl set env\` for \`--canary-interval=${flags.interval}\` and debug logs (each observation). Over one window per mode`,
    "(after the first change): the exporter's `service_lb_programming_duration_seconds` (p50/p99 of its logged",
    'observations, and as `histogram_quantile` over the bucket deltas), and from the real `:10249/metrics` of the',
    "exporter's node kube-proxy's `kubeproxy_network_programming_duration_seconds` and `kubeproxy_sync_proxy_rules_duration_seconds`",
    `(bucket deltas, \`histogram_quantile\`). ${new Date().toISOString().slice(0, 10)}, 2 CPUs shared with other work.`,
    '',
    '| mode | changes | exporter p50 / p99 (observations) | exporter p50 / p99 (buckets) | kube-proxy programming observations | kube-proxy programming p50 / p99 (interpolated; the buckets holding them) | kube-proxy syncs | kube-proxy sync p50 / p99 |',
    '|---|---|---|---|---|---|---|---|',
    ...rows,
    '',
    `The canary EndpointSlice carries \`${TRIGGER_ANNOTATION}\`: ${results.every((r) => r.triggerTimeAnnotation) ? 'yes' : 'no'}.`,
    '<!-- real-cluster-sli:end -->',
  ].join('\n');
}

const results: ModeResult[] = [];
try {
  for (const mode of MODES) results.push(await runMode(mode));
} finally {
  await down(() => undefined);
}
const text = section(results);
process.stdout.write(`${text}\n`);
if (!flags['no-write']) {
  mkdirSync(join(REPO_ROOT, 'bench', 'results'), { recursive: true });
  writeFileSync(join(REPO_ROOT, 'bench', 'results', 'real-cluster-sli.json'), `${JSON.stringify(results, null, 2)}\n`);
  const docPath = join(REPO_ROOT, 'docs', 'benchmarks.md');
  const doc = readFileSync(docPath, 'utf8');
  const re = /<!-- real-cluster-sli:begin -->[\s\S]*<!-- real-cluster-sli:end -->/;
  writeFileSync(docPath, re.test(doc) ? doc.replace(re, text) : `${doc.trimEnd()}\n\n${text}\n`);
}
