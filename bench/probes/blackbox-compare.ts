// Cost of one probe round — 100 TCP connects + 100 HTTP GETs against local targets — with our round
// runner in-process versus Debian's prometheus-blackbox-exporter (/probe per target, same
// concurrency). Loopback only, bounded loops.
//
//   node --import tsx bench/probes/blackbox-compare.ts [--rounds 5] [--concurrency 20] [--count 100]
//
// Wall time: median over the measured rounds (after one warm-up round each). CPU: ours from
// process.cpuUsage() around our rounds (the targets run in a child process so they are not
// counted); blackbox from /proc/<pid>/stat utime+stime around its rounds. The driver's own CPU for
// sending /probe requests is reported apart, not added to blackbox's. Writes bench/results/probes.json.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { runRound } from '../../src/probe/round.js';
import type { ProbeTarget } from '../../src/probe/types.js';

const BLACKBOX = '/usr/bin/prometheus-blackbox-exporter';
const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '../..');

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '5' },
    concurrency: { type: 'string', default: '20' },
    count: { type: 'string', default: '100' },
    timeout: { type: 'string', default: '5000' },
  },
});
const ROUNDS = Math.min(50, Math.max(1, Number(values.rounds)));
const CONCURRENCY = Math.max(1, Number(values.concurrency));
const COUNT = Math.min(1000, Math.max(1, Number(values.count)));
const TIMEOUT_MS = Number(values.timeout);

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

function readLine(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let buf = '';
    const onData = (d: Buffer): void => {
      buf += d.toString();
      const nl = buf.indexOf('\n');
      if (nl >= 0) {
        child.stdout!.off('data', onData);
        resolve(buf.slice(0, nl));
      }
    };
    child.stdout!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`child exited (${code}) before its first line`)));
  });
}

const clkTck = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
/** utime+stime of a process in seconds, from /proc/<pid>/stat (fields 14 and 15). */
function procCpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state); utime is field 14 → index 11, stime field 15 → index 12.
  return (Number(fields[11]) + Number(fields[12])) / clkTck;
}
function procRssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

async function pool<T>(items: T[], concurrency: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}

function get(agent: http.Agent, url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.setTimeout(TIMEOUT_MS + 5000, () => req.destroy(new Error('timeout')));
  });
}

interface Side {
  wallSecondsMedian: number;
  wallSeconds: number[];
  cpuSecondsPerRound: number;
  probesPerRound: number;
  succeeded: number;
}

async function main(): Promise<void> {
  const children: ChildProcess[] = [];
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'spe-bench-'));
  try {
    // --- targets, in their own process
    const targetsProc = spawn(process.execPath, ['--import', 'tsx', path.join(here, 'targets-server.ts'), String(COUNT), String(COUNT)], {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    children.push(targetsProc);
    const ports = JSON.parse(await readLine(targetsProc)) as { tcp: number[]; http: number[] };
    const targets: ProbeTarget[] = [
      ...ports.tcp.map((port, i): ProbeTarget => ({ kind: 'tcp', probe: `tcp${i}`, path: 'vip', family: 'ipv4', host: '127.0.0.1', port })),
      ...ports.http.map((port, i): ProbeTarget => ({
        kind: 'http',
        probe: `http${i}`,
        path: 'vip',
        family: 'ipv4',
        host: '127.0.0.1',
        port,
        scheme: 'http',
        httpPath: '/',
        expectedStatus: '2xx',
      })),
    ];

    // --- ours
    const oursWall: number[] = [];
    let oursOk = 0;
    await runRound(targets, { concurrency: CONCURRENCY, timeoutMs: TIMEOUT_MS }); // warm-up
    const cpu0 = process.cpuUsage();
    for (let r = 0; r < ROUNDS; r++) {
      const t0 = performance.now();
      const round = await runRound(targets, { concurrency: CONCURRENCY, timeoutMs: TIMEOUT_MS });
      oursWall.push((performance.now() - t0) / 1000);
      oursOk += round.results.filter((x) => x.result.success).length;
    }
    const cpu1 = process.cpuUsage(cpu0);
    const ours: Side = {
      wallSecondsMedian: median(oursWall),
      wallSeconds: oursWall,
      cpuSecondsPerRound: (cpu1.user + cpu1.system) / 1e6 / ROUNDS,
      probesPerRound: targets.length,
      succeeded: oursOk / ROUNDS,
    };

    // --- blackbox_exporter
    const config = path.join(tmp, 'blackbox.yml');
    const secs = Math.max(1, Math.round(TIMEOUT_MS / 1000));
    writeFileSync(
      config,
      [
        'modules:',
        '  tcp_connect:',
        '    prober: tcp',
        `    timeout: ${secs}s`,
        '    tcp:',
        '      preferred_ip_protocol: ip4',
        '  http_2xx:',
        '    prober: http',
        `    timeout: ${secs}s`,
        '    http:',
        '      preferred_ip_protocol: ip4',
        '',
      ].join('\n'),
    );
    const bbPort = await freePort();
    const bb = spawn(BLACKBOX, [`--config.file=${config}`, `--web.listen-address=127.0.0.1:${bbPort}`, '--log.level=warn'], {
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    children.push(bb);
    const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
    const base = `http://127.0.0.1:${bbPort}`;
    let ready = false;
    for (let i = 0; i < 100 && !ready; i++) {
      ready = await get(agent, `${base}/-/healthy`).then(
        (r) => r.status === 200,
        () => false,
      );
      if (!ready) await new Promise((r) => setTimeout(r, 100));
    }
    if (!ready) throw new Error('blackbox_exporter did not become healthy');
    const urls = targets.map(
      (t) =>
        `${base}/probe?module=${t.kind === 'tcp' ? 'tcp_connect' : 'http_2xx'}&target=${encodeURIComponent(t.kind === 'tcp' ? `127.0.0.1:${t.port}` : `http://127.0.0.1:${t.port}/`)}`,
    );
    const bbRound = async (): Promise<number> => {
      let ok = 0;
      await pool(urls, CONCURRENCY, async (url) => {
        const r = await get(agent, url);
        if (r.status === 200 && /^probe_success 1$/m.test(r.body)) ok++;
      });
      return ok;
    };
    await bbRound(); // warm-up
    const bbWall: number[] = [];
    let bbOk = 0;
    const bbCpu0 = procCpuSeconds(bb.pid!);
    const drv0 = process.cpuUsage();
    for (let r = 0; r < ROUNDS; r++) {
      const t0 = performance.now();
      bbOk += await bbRound();
      bbWall.push((performance.now() - t0) / 1000);
    }
    const drv1 = process.cpuUsage(drv0);
    const blackbox: Side & { rssMiB: number; driverCpuSecondsPerRound: number; version: string } = {
      wallSecondsMedian: median(bbWall),
      wallSeconds: bbWall,
      cpuSecondsPerRound: (procCpuSeconds(bb.pid!) - bbCpu0) / ROUNDS,
      probesPerRound: urls.length,
      succeeded: bbOk / ROUNDS,
      rssMiB: procRssMiB(bb.pid!),
      driverCpuSecondsPerRound: (drv1.user + drv1.system) / 1e6 / ROUNDS,
      version: execFileSync(BLACKBOX, ['--version'], { stdio: ['ignore', 'pipe', 'pipe'] })
        .toString()
        .split('\n')[0]!
        .trim(),
    };
    agent.destroy();

    // --- report
    const ratio = { wall: blackbox.wallSecondsMedian / ours.wallSecondsMedian, cpu: blackbox.cpuSecondsPerRound / ours.cpuSecondsPerRound };
    const row = (name: string, a: string, b: string): string => `${name.padEnd(28)}${a.padStart(14)}${b.padStart(18)}`;
    const f = (n: number, d = 3): string => n.toFixed(d);
    console.log(`one round = ${COUNT} TCP + ${COUNT} HTTP probes, concurrency ${CONCURRENCY}, ${ROUNDS} measured rounds (after 1 warm-up)`);
    console.log(row('', 'ours', 'blackbox_exporter'));
    console.log(row('wall s / round (median)', f(ours.wallSecondsMedian), f(blackbox.wallSecondsMedian)));
    console.log(row('CPU s / round', f(ours.cpuSecondsPerRound), f(blackbox.cpuSecondsPerRound)));
    console.log(row('probes succeeded / round', String(ours.succeeded), String(blackbox.succeeded)));
    // Ours runs inside this bench process (tsx, the compiler, the driver): its RSS says nothing
    // about the prober, so only blackbox's is shown.
    console.log(row('RSS MiB (process)', 'n/a', f(blackbox.rssMiB, 1)));
    console.log(`driver CPU for /probe requests (not counted above): ${f(blackbox.driverCpuSecondsPerRound)} s / round`);
    console.log(`ratio blackbox/ours: wall ×${f(ratio.wall, 2)}, CPU ×${f(ratio.cpu, 2)}  (CPU resolution of /proc: ${1000 / clkTck} ms)`);
    if (ours.succeeded !== targets.length || blackbox.succeeded !== urls.length)
      console.log('WARNING: not every probe succeeded; numbers are not comparable');

    const out = {
      benchmark: 'probe round cost: service-proxy-exporter round runner vs prometheus-blackbox-exporter',
      date: new Date().toISOString(),
      machine: {
        cpus: os.cpus().length,
        cpuModel: os.cpus()[0]?.model ?? '',
        node: process.version,
        platform: `${os.platform()} ${os.release()}`,
      },
      params: { tcpTargets: COUNT, httpTargets: COUNT, concurrency: CONCURRENCY, rounds: ROUNDS, timeoutMs: TIMEOUT_MS },
      ours,
      blackbox,
      ratio,
    };
    const results = path.join(repoRoot, 'bench/results');
    mkdirSync(results, { recursive: true });
    writeFileSync(path.join(results, 'probes.json'), `${JSON.stringify(out, null, 2)}\n`);
    console.log(`written: bench/results/probes.json`);
  } finally {
    for (const c of children) c.kill('SIGTERM');
    rmSync(tmp, { recursive: true, force: true });
  }
}

await main();
