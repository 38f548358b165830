// The real cluster, as a library: what `npm run cluster` and the tests call. `up` is idempotent (a cluster with the same
// options that is up is reused), replaces a cluster with other options, and cleans whatever a crashed run left behind
// before it starts; `down` leaves no process, namespace, mount or rule.
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { MAX_NODES, PROXY_MODES, REPO_ROOT, stateDir, type ClusterOptions } from './config.js';
import { ensureBinaries } from './binaries.js';
import { tearDownAll } from './network.js';
import { alive, readState, removeCreatedPaths, type ClusterState } from './state.js';
import { hasCommand } from './exec.js';

export type { ClusterOptions, ProxyMode } from './config.js';
export { DEFAULT_OPTIONS, NET, nodePlan, KUBERNETES_VERSION } from './config.js';

export interface Cluster {
  kubeconfig: string;
  kubectl: string;
  /** Folder of the built upstream binaries (kube-proxy, agnhost, …). */
  bin: string;
  dir: string;
  opts: ClusterOptions;
}

type Log = (line: string) => void;
const stderrLog: Log = (l) => process.stderr.write(`${l}\n`);

/** Why the test bed cannot run on this machine, or undefined when it can. */
export function missingPrerequisite(opts: Pick<ClusterOptions, 'proxyMode'> = { proxyMode: 'iptables' }): string | undefined {
  if (process.platform !== 'linux') return 'the test bed needs Linux (network namespaces)';
  if (process.getuid?.() !== 0) return 'the test bed needs root (network namespaces, iptables)';
  const tools = ['ip', 'openssl', 'go', opts.proxyMode === 'nftables' ? 'nft' : 'iptables'];
  const missing = tools.filter((t) => !hasCommand(t));
  if (missing.length) return `the test bed needs ${missing.join(', ')} on PATH (.ci/run installs them)`;
  return undefined;
}

export function validateOptions(opts: ClusterOptions): string | undefined {
  if (!Number.isInteger(opts.nodes) || opts.nodes < 1 || opts.nodes > MAX_NODES) return `--nodes must be 1 to ${MAX_NODES}`;
  if (!PROXY_MODES.includes(opts.proxyMode)) return `--proxy-mode must be one of ${PROXY_MODES.join(', ')} (this kernel has no IPVS)`;
  return undefined;
}

const sameOpts = (a: ClusterOptions, b: ClusterOptions) =>
  a.nodes === b.nodes && a.proxyMode === b.proxyMode && a.dualStack === b.dualStack;

function toCluster(s: ClusterState): Cluster {
  return { kubeconfig: s.kubeconfig!, kubectl: s.kubectl!, bin: s.bin!, dir: stateDir(), opts: s.opts };
}

/** dist/ is what the exporter's image runs: build it when a source file is newer than the build. */
function ensureDist(log: Log): void {
  const main = join(REPO_ROOT, 'dist', 'cli', 'main.js');
  const newest = (dir: string): number =>
    readdirSync(dir, { recursive: true }).reduce<number>((m, f) => Math.max(m, statSync(join(dir, String(f))).mtimeMs), 0);
  if (existsSync(main) && statSync(main).mtimeMs >= newest(join(REPO_ROOT, 'src'))) return;
  log('building the exporter (npm run build): the test bed runs dist/ as its image');
  const r = spawnSync('npm', ['run', '-s', 'build'], { cwd: REPO_ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.status !== 0) throw new Error('npm run build failed');
}

export async function up(opts: ClusterOptions, log: Log = stderrLog): Promise<Cluster> {
  const bad = validateOptions(opts) ?? missingPrerequisite(opts);
  if (bad) throw new Error(bad);
  const existing = readState();
  if (existing && alive(existing.pid) && existing.phase === 'ready' && sameOpts(existing.opts, opts)) return toCluster(existing);
  if (existing && alive(existing.pid) && existing.phase === 'ready') {
    log(`replacing the running cluster (${JSON.stringify(existing.opts)}) with ${JSON.stringify(opts)}`);
  }
  await down(() => undefined);

  await ensureBinaries(log);
  ensureDist(log);

  const dir = stateDir();
  // This cluster's logs start empty; the previous cluster's stay beside them until the next up.
  rmSync(join(dir, 'logs.prev'), { recursive: true, force: true });
  if (existsSync(join(dir, 'logs'))) renameSync(join(dir, 'logs'), join(dir, 'logs.prev'));
  mkdirSync(join(dir, 'logs'), { recursive: true });
  const out = openSync(join(dir, 'logs', 'daemon.out'), 'a');
  const daemon = spawn(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'testkit', 'cluster', 'daemon.ts'), JSON.stringify(opts)], {
    cwd: REPO_ROOT,
    detached: true,
    stdio: ['ignore', out, out],
    env: { ...process.env, SPE_CLUSTER_DIR: dir },
  });
  closeSync(out);
  daemon.unref();
  const started = Date.now();
  let shown = 0;
  const daemonLog = join(dir, 'logs', 'daemon.log');
  for (;;) {
    await new Promise((r) => setTimeout(r, 250));
    if (existsSync(daemonLog)) {
      const lines = readFileSync(daemonLog, 'utf8').split('\n').filter(Boolean);
      for (const l of lines.slice(shown)) log(`cluster: ${l.replace(/^\S+ /, '')}`);
      shown = lines.length;
    }
    const s = readState();
    if (s && s.pid === daemon.pid && s.phase === 'ready') {
      log(`cluster up in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      return toCluster(s);
    }
    if (s && s.pid === daemon.pid && (s.phase === 'failed' || s.phase === 'stopped')) {
      const tail = readFileSync(daemonLog, 'utf8').split('\n').slice(-40).join('\n');
      throw new Error(`cluster failed to start: ${s.error ?? 'see logs'} (logs: ${dir}/logs)\n${tail}`);
    }
    if (daemon.pid === undefined || !alive(daemon.pid)) {
      const tail = existsSync(join(dir, 'logs', 'daemon.out')) ? readFileSync(join(dir, 'logs', 'daemon.out'), 'utf8').slice(-2000) : '';
      throw new Error(`the cluster daemon exited during start-up (logs: ${dir}/logs)\n${tail}`);
    }
  }
}

export async function down(log: Log = stderrLog): Promise<void> {
  const s = readState();
  if (s && alive(s.pid)) {
    log('stopping the cluster');
    process.kill(s.pid, 'SIGTERM');
    const deadline = Date.now() + 60_000;
    while (alive(s.pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
  }
  // Whatever is left of the daemon's process group (a crashed or hung daemon's components and containers).
  if (s) {
    try {
      process.kill(-s.pid, 'SIGKILL');
    } catch {
      /* no such group */
    }
  }
  await tearDownAll();
  if (s) removeCreatedPaths(s.createdPaths, s.pid);
  const dir = stateDir();
  for (const f of ['etcd', 'pods', 'nodes', 'pki', 'state.json', 'control.sock']) rmSync(join(dir, f), { recursive: true, force: true });
}

export function current(): Cluster | undefined {
  const s = readState();
  return s && s.phase === 'ready' && alive(s.pid) ? toCluster(s) : undefined;
}

/** A request to the daemon's control socket (GET /status, POST /restart/<component>). */
export function control<T = any>(method: 'GET' | 'POST', path: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: join(stateDir(), 'control.sock'), path, method }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () =>
        (res.statusCode ?? 500) < 300 ? resolve(JSON.parse(body) as T) : reject(new Error(`${res.statusCode} ${body}`)),
      );
    });
    req.on('error', reject);
    req.end();
  });
}
