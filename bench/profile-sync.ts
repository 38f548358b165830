// Profiling aid: the exporter child with --cpu-prof (and a heap snapshot on SIGUSR2 not needed),
// against the generated cluster; prints the top self-time functions during start-up and sync.
//   node scripts/isolate.mjs npx tsx bench/profile-sync.ts [--nodes 5000] [--pods 50000]
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { startFakeApiServer, writeKubeconfig } from '../testkit/apiserver/index.js';
import { generateCluster } from './generate.js';

const { values } = parseArgs({
  options: {
    nodes: { type: 'string', default: '5000' },
    pods: { type: 'string', default: '50000' },
    entry: { type: 'string', default: 'bench/.build/cli/main.js' },
    'no-prof': { type: 'boolean', default: false },
  },
});
const api = await startFakeApiServer();
for (const o of generateCluster({ nodes: Number(values.nodes), pods: Number(values.pods) })) api.store.apply(o as never);
const dir = mkdtempSync(path.join(os.tmpdir(), 'spx-prof-'));
writeKubeconfig(api.url, path.join(dir, 'kc'));
// the generated ClusterIPs lead nowhere: probe nothing (run it through scripts/isolate.mjs as well)
writeFileSync(path.join(dir, 'probes-off.yaml'), 'disabledProbes: [apiserver, dns, me_service, annotated]\n');
const t0 = performance.now();
const child = spawn(
  process.execPath,
  [
    ...(values['no-prof'] ? [] : ['--cpu-prof', `--cpu-prof-dir=${dir}`]),
    values.entry!,
    'serve',
    '--kubeconfig',
    path.join(dir, 'kc'),
    '--config',
    path.join(dir, 'probes-off.yaml'),
    '--listen',
    '127.0.0.1:0',
    '--log-format',
    'json',
  ],
  { stdio: ['ignore', 'ignore', 'pipe'] },
);
const url = await new Promise<string>((resolve) =>
  createInterface({ input: child.stderr! }).on('line', (l) => {
    const e = JSON.parse(l);
    if (e.message === 'listening') resolve(e.url);
  }),
);
for (;;) {
  const r = await fetch(`${url}/readyz`).catch(() => undefined);
  if (r?.status === 200) break;
  await sleep(20);
}
console.log('ready after', Math.round(performance.now() - t0), 'ms');
const m = await (await fetch(`${url}/metrics`)).text();
console.log(
  m
    .split('\n')
    .filter((l) =>
      /^(nodejs_heap_size_used_bytes|nodejs_heap_size_total_bytes|process_resident_memory_bytes|nodejs_external_memory_bytes|proxy_provider_agents)/.test(
        l,
      ),
    )
    .join('\n'),
);
child.kill('SIGTERM');
await new Promise((r) => child.once('exit', r));
const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
if (!file) {
  await api.close();
  process.exit(0);
}
const prof = JSON.parse(readFileSync(path.join(dir, file), 'utf8'));
const self = new Map<string, number>();
const dt = new Map<number, number>();
for (let i = 0; i < prof.samples.length; i++) dt.set(prof.samples[i], (dt.get(prof.samples[i]) ?? 0) + (prof.timeDeltas[i] ?? 0));
for (const n of prof.nodes) {
  const k = `${n.callFrame.functionName || '(anon)'} ${path.basename(n.callFrame.url)}:${n.callFrame.lineNumber}`;
  self.set(k, (self.get(k) ?? 0) + (dt.get(n.id) ?? 0));
}
for (const [k, v] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 30)) console.log(String(Math.round(v / 1000)).padStart(6), 'ms', k);
await api.close();
process.exit(0);
