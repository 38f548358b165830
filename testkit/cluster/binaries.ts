// The upstream components, built from Go modules into a cache keyed by everything that decides the bytes (go.mod,
// go.sum, the Go sources of the test bed's own commands, the Go version, the version stamp): a second `up`, another
// clone on the same machine or CI after a developer's run reuse them; a changed input builds anew.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, relative } from 'node:path';
import { spawn } from 'node:child_process';
import { KUBERNETES_VERSION, REPO_ROOT } from './config.js';
import { runSync } from './exec.js';

const BUILD_ROOT = join(REPO_ROOT, 'testkit', 'cluster', 'build');

const [major, minor] = KUBERNETES_VERSION.slice(1).split('.');
/** What `kubectl version`, `/version` and kube-proxy's own metrics report, as a release build says it. */
const VERSION_LDFLAGS = [
  '-s',
  '-w',
  `-X k8s.io/component-base/version.gitVersion=${KUBERNETES_VERSION}`,
  `-X k8s.io/component-base/version.gitMajor=${major}`,
  `-X k8s.io/component-base/version.gitMinor=${minor}`,
  '-X k8s.io/component-base/version.gitTreeState=clean',
  `-X k8s.io/client-go/pkg/version.gitVersion=${KUBERNETES_VERSION}`,
].join(' ');

interface GoBuild {
  /** The module's folder under testkit/cluster/build. */
  module: string;
  packages: string[];
  ldflags: string;
}

/** Every binary the test bed runs, and the module that builds it. Add a component here and in kubelet/images.ts. */
export const BUILDS: GoBuild[] = [
  {
    module: '.',
    packages: [
      'k8s.io/kubernetes/cmd/kube-apiserver',
      'k8s.io/kubernetes/cmd/kube-controller-manager',
      'k8s.io/kubernetes/cmd/kube-scheduler',
      'k8s.io/kubernetes/cmd/kube-proxy',
      'k8s.io/kubernetes/cmd/kubectl',
      // The image Kubernetes' own Service e2e tests use (netexec: /hostname, /clientip, /echo, UDP hostname).
      'k8s.io/kubernetes/test/images/agnhost',
      './cmd/etcd',
    ],
    ldflags: VERSION_LDFLAGS,
  },
  { module: 'coredns', packages: ['.'], ldflags: '-s -w' },
];

export type Binary =
  'kube-apiserver' | 'kube-controller-manager' | 'kube-scheduler' | 'kube-proxy' | 'kubectl' | 'agnhost' | 'etcd' | 'coredns';

/** Modules under build/ that are not in BUILDS (helm: built by test/deploy/helm.ts for the chart tests). */
const NOT_HERE = ['helm'];

function sourcesOf(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { recursive: true })) {
    if (NOT_HERE.includes(String(entry).split('/')[0]!)) continue;
    const f = join(dir, String(entry));
    if (/\.(go|mod|sum)$/.test(f) && statSync(f).isFile()) out.push(f);
  }
  return out.sort();
}

function inputsHash(): string {
  const h = createHash('sha256');
  h.update(runSync('go', ['version']));
  h.update(VERSION_LDFLAGS);
  for (const b of BUILDS) h.update(JSON.stringify(b));
  for (const f of sourcesOf(BUILD_ROOT)) {
    h.update(relative(BUILD_ROOT, f));
    h.update(readFileSync(f));
  }
  return h.digest('hex').slice(0, 16);
}

export function cacheRoot(): string {
  return (
    process.env.SPE_TESTBED_CACHE ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'service-proxy-exporter', 'testbed')
  );
}

function goBuild(b: GoBuild, out: string, log: (line: string) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const args = ['build', '-trimpath', '-ldflags', b.ldflags, '-o', `${out}/`, ...b.packages];
    log(
      `go ${args.slice(0, 1).join(' ')} (${b.module === '.' ? 'kubernetes' : b.module}): ${b.packages.map((p) => p.split('/').pop()).join(', ')}`,
    );
    const child = spawn('go', args, { cwd: join(BUILD_ROOT, b.module), stdio: ['ignore', 'inherit', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`go build in ${b.module} failed:\n${stderr.slice(-4000)}`))));
  });
}

/** The folder holding every binary of BUILDS, building what is missing first. */
export async function ensureBinaries(log: (line: string) => void = (l) => process.stderr.write(`${l}\n`)): Promise<string> {
  const dir = join(cacheRoot(), inputsHash());
  if (existsSync(join(dir, '.complete'))) return dir;
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  const started = Date.now();
  log(`building the test bed's components into ${dir} (a cold build takes a while; later runs reuse it)`);
  for (const b of BUILDS) await goBuild(b, tmp, log);
  runSync('touch', [join(tmp, '.complete')]);
  try {
    renameSync(tmp, dir);
  } catch {
    // Another run finished the same build first: theirs is as good as ours.
    rmSync(tmp, { recursive: true, force: true });
  }
  log(`built in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  return dir;
}

export function binaryPath(dir: string, b: Binary): string {
  return join(dir, b);
}
