// `npx tsx bench/agenthealth.ts`: one deployment-mode agent health round over 5,000 simulated node
// addresses on loopback (127.20.0.1 … 127.39.249.250: Linux answers all of 127.0.0.0/8 on lo), with
// the exporter's defaults (--agent-health-interval 30s, --agent-health-timeout 2s,
// --agent-health-concurrency 32) and the engine's spreading. One HTTP server on 0.0.0.0 plays every
// node's kube-proxy (/livez, kube-proxy's JSON); a share of the nodes (--hung, default 5 %) accepts
// and never answers, so their requests run into the timeout. Reports whether the round stays within
// the interval, the peak of open requests and the busiest second of starts, and writes
// bench/results/agenthealth.json and the "Agent health round" section of docs/benchmarks.md.
//
//   npx tsx bench/agenthealth.ts [--nodes 5000] [--interval 30s] [--timeout 2s] [--concurrency 32] [--hung 0.05] [--no-write]
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { parseDuration } from '../src/config/duration.js';
import { runRound, type Target } from '../src/agenthealth/prober.js';
import { spreadFor } from '../src/app/agent-health.js';
import { summarize } from '../src/agenthealth/summary.js';
import { kubeProxyBody } from '../testkit/dataplane/agents.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');
const { values: flags } = parseArgs({
  options: {
    nodes: { type: 'string', default: '5000' },
    interval: { type: 'string', default: '30s' },
    timeout: { type: 'string', default: '2s' },
    concurrency: { type: 'string', default: '32' },
    hung: { type: 'string', default: '0.05' },
    'no-write': { type: 'boolean', default: false },
  },
});
const NODES = Number(flags.nodes);
const INTERVAL_MS = parseDuration(flags.interval!)!;
const TIMEOUT_MS = parseDuration(flags.timeout!)!;
const CONCURRENCY = Number(flags.concurrency);
const HUNG = Number(flags.hung);

const address = (i: number) => `127.${20 + Math.floor(i / 62500)}.${Math.floor((i % 62500) / 250)}.${(i % 250) + 1}`;
const targets: Target[] = Array.from({ length: NODES }, (_, i) => ({ node: `node-${i}`, address: address(i) }));
const hungEvery = HUNG > 0 ? Math.round(1 / HUNG) : 0;
const hung = new Set(targets.filter((_, i) => hungEvery && i % hungEvery === hungEvery - 1).map((t) => t.address));

let open = 0;
let peakOpen = 0;
const startsPerSecond = new Map<number, number>();
const held = new Set<Socket>();
const server = http.createServer((req, res) => {
  const local = req.socket.localAddress ?? '';
  if (hung.has(local)) {
    held.add(req.socket);
    return; // accepted, never answered
  }
  const now = Date.now();
  res.writeHead(200, { 'content-type': 'application/json' }).end(kubeProxyBody(now, now, true));
});
server.on('connection', (s) => {
  open++;
  peakOpen = Math.max(peakOpen, open);
  const sec = Math.floor(Date.now() / 1000);
  startsPerSecond.set(sec, (startsPerSecond.get(sec) ?? 0) + 1);
  s.on('close', () => open--);
});
await new Promise<void>((r) => server.listen(0, '0.0.0.0', r));
const port = (server.address() as AddressInfo).port;

const cpu0 = process.cpuUsage();
const t0 = performance.now();
const nodes = await runRound(targets, {
  location: { served: true, port, path: '/livez', bodyFormat: 'kube-proxy-json', source: 'bench' },
  timeoutMs: TIMEOUT_MS,
  concurrency: CONCURRENCY,
  spreadMs: spreadFor(INTERVAL_MS, TIMEOUT_MS),
});
const wallMs = performance.now() - t0;
const cpu = process.cpuUsage(cpu0);
for (const s of held) s.destroy();
await new Promise((r) => server.close(r));

const sum = summarize(nodes);
const results = {
  date: new Date().toISOString(),
  machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model ?? '', node: process.version },
  nodes: NODES,
  intervalSeconds: INTERVAL_MS / 1000,
  timeoutSeconds: TIMEOUT_MS / 1000,
  concurrency: CONCURRENCY,
  hungNodes: hung.size,
  roundSeconds: Number((wallMs / 1000).toFixed(2)),
  withinInterval: wallMs <= INTERVAL_MS,
  peakOpenConnections: peakOpen,
  busiestSecondStarts: Math.max(...startsPerSecond.values()),
  averageStartsPerSecond: Number((NODES / (wallMs / 1000)).toFixed(1)),
  cpuSeconds: Number(((cpu.user + cpu.system) / 1e6).toFixed(2)),
  counts: sum.counts,
};
console.log(JSON.stringify(results, null, 2));

const BEGIN = '<!-- agent-health-bench:begin -->';
const END = '<!-- agent-health-bench:end -->';
function section(r: typeof results): string {
  return `${BEGIN}
## Agent health round (deployment mode)

\`npx tsx bench/agenthealth.ts\` — one round of \`proxy_provider_agent_health\` over ${r.nodes} simulated node
addresses on loopback (127.20.0.1 …, all answered by one kube-proxy-shaped server on \`lo\`), ${r.hungNodes} of
them accepting and never answering. Exporter defaults: interval ${r.intervalSeconds}s, timeout ${r.timeoutSeconds}s,
concurrency ${r.concurrency}; starts spread over 80 % of the interval minus one timeout. ${r.machine.cpus} CPUs
(${r.machine.model}), Node ${r.machine.node}, ${r.date.slice(0, 10)}.

| measure | value |
|---|---|
| round duration | ${r.roundSeconds} s (${r.withinInterval ? 'within' : '**over**'} the ${r.intervalSeconds} s interval) |
| results | ${r.counts.healthy} healthy, ${r.counts.unreachable} unreachable (timeout), ${r.counts.unhealthy} unhealthy |
| peak open requests | ${r.peakOpenConnections} (bound: concurrency ${r.concurrency}) |
| busiest second | ${r.busiestSecondStarts} new connections (average ${r.averageStartsPerSecond}/s: no burst) |
| exporter CPU for the round | ${r.cpuSeconds} s |
${END}`;
}

if (!flags['no-write']) {
  mkdirSync(path.join(here, 'results'), { recursive: true });
  writeFileSync(path.join(here, 'results', 'agenthealth.json'), `${JSON.stringify(results, null, 2)}\n`);
  const doc = path.join(root, 'docs', 'benchmarks.md');
  const text = readFileSync(doc, 'utf8');
  const i = text.indexOf(BEGIN);
  const j = text.indexOf(END);
  const next =
    i >= 0 && j > i ? `${text.slice(0, i)}${section(results)}${text.slice(j + END.length)}` : `${text.trimEnd()}\n\n${section(results)}\n`;
  writeFileSync(doc, next);
  console.error('wrote bench/results/agenthealth.json and docs/benchmarks.md');
}
if (!results.withinInterval) process.exitCode = 1;
