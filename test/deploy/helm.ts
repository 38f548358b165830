// Helm for the chart tests, built from its Go module (testkit/cluster/build/helm) once into .cache/helm/<key>/,
// where <key> hashes that module's go.mod and go.sum and the Go version, so a new helm or a new Go builds
// again and nothing else does. Without `go` the chart tests skip (CI=true makes them fail instead).
//
//   npx tsx test/deploy/helm.ts        # build (or find) helm and print its path; .ci/run does this before
//                                      # `npm test`, whose network namespace cannot download Go modules
import { execFile, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, watch, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';
import type { K8sObject } from './kustomize.js';

const run = promisify(execFile);

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const HELM_MODULE = path.join(ROOT, 'testkit/cluster/build/helm');
export const HELM_PACKAGE = 'helm.sh/helm/v4/cmd/helm';
export const CHART = path.join(ROOT, 'charts/service-proxy-exporter');
const CACHE = path.join(ROOT, '.cache/helm');

/** The `go version` line, or undefined when go is not installed. */
function goVersion(): string | undefined {
  const r = spawnSync('go', ['version'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

function cacheKey(version: string): string {
  const h = createHash('sha256');
  for (const f of ['go.mod', 'go.sum']) h.update(readFileSync(path.join(HELM_MODULE, f)));
  h.update(version);
  return h.digest('hex').slice(0, 16);
}

export type HelmBinary = { ok: true; path: string } | { ok: false; why: string };

let built: Promise<HelmBinary> | undefined;

/** Builds helm unless the cache has it (a few minutes on a shared 2-core machine; seconds when cached). */
export function helmBinary(): Promise<HelmBinary> {
  built ??= build();
  return built;
}

async function build(): Promise<HelmBinary> {
  const version = goVersion();
  if (!version) return { ok: false, why: '`go` is not installed: the chart tests build helm from testkit/cluster/build/helm' };
  const dir = path.join(CACHE, cacheKey(version));
  const bin = path.join(dir, 'helm');
  if (existsSync(bin)) return { ok: true, path: bin };
  mkdirSync(dir, { recursive: true });
  // npm test runs two test files at once, both wanting helm: one builds, the other waits for it.
  const release = await buildLock(dir);
  try {
    if (existsSync(bin)) return { ok: true, path: bin };
    return await goBuild(bin);
  } finally {
    release();
  }
}

/** Holds `<dir>/build.lock` (a file naming its pid); waits while a live process holds it. */
async function buildLock(dir: string): Promise<() => void> {
  const lock = path.join(dir, 'build.lock');
  for (;;) {
    try {
      writeFileSync(lock, String(process.pid), { flag: 'wx' });
      return () => rmSync(lock, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    let text: string;
    try {
      text = readFileSync(lock, 'utf8').trim();
    } catch {
      continue; // released meanwhile
    }
    // empty: its holder has created it and not yet written its pid
    const holder = text === '' ? process.pid : Number(text);
    if (!isAlive(holder)) {
      rmSync(lock, { force: true }); // left by a build that was killed
      continue;
    }
    await lockGone(dir, lock, holder);
  }
}

function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Resolves when the lock file goes, or when its holder dies without removing it. */
function lockGone(dir: string, lock: string, holder: number): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      watcher.close();
      clearInterval(reaper);
      resolve();
    };
    const watcher = watch(dir, () => {
      if (!existsSync(lock)) done();
    });
    // a killed holder sends no event: look for it now and then (the build takes minutes)
    const reaper = setInterval(() => {
      if (!existsSync(lock) || !isAlive(holder)) done();
    }, 5_000);
    if (!existsSync(lock)) done();
  });
}

async function goBuild(bin: string): Promise<HelmBinary> {
  // Build beside and rename: a concurrent build or an interrupted one never leaves a half-written binary.
  const tmp = `${bin}.${process.pid}.tmp`;
  try {
    await run('go', ['build', '-trimpath', '-o', tmp, HELM_PACKAGE], {
      cwd: HELM_MODULE,
      maxBuffer: 16 << 20,
      env: { ...process.env, CGO_ENABLED: '0' },
    });
    renameSync(tmp, bin);
    return { ok: true, path: bin };
  } catch (err) {
    rmSync(tmp, { force: true });
    const e = err as { stderr?: string; message: string };
    const detail = (e.stderr || e.message).trim().split('\n').slice(-3).join(' | ');
    return {
      ok: false,
      why:
        `\`go build ${HELM_PACKAGE}\` in ${path.relative(ROOT, HELM_MODULE)} failed: ${detail}` +
        ' (inside `npm test` there is no network for Go modules: run `npx tsx test/deploy/helm.ts` once first)',
    };
  }
}

/** node:test's `skip` for the chart tests: a reason to skip, or false; under CI=true a missing helm fails. */
export async function helmSkip(): Promise<string | false> {
  const h = await helmBinary();
  if (h.ok) return false;
  if (process.env.CI === 'true') throw new Error(`helm is required under CI=true: ${h.why}`);
  return `skipped: ${h.why}`;
}

// Helm keeps repositories, plugins and its cache under these; a scratch home keeps the user's out of the tests.
const HELM_HOME = mkdtempSync(path.join(tmpdir(), 'spe-helm-home-'));
process.on('exit', () => rmSync(HELM_HOME, { recursive: true, force: true }));

export interface HelmResult {
  code: number;
  stdout: string;
  stderr: string;
}

export async function helm(args: string[]): Promise<HelmResult> {
  const h = await helmBinary();
  if (!h.ok) throw new Error(h.why);
  const env = {
    PATH: process.env.PATH ?? '',
    HOME: HELM_HOME,
    HELM_CACHE_HOME: path.join(HELM_HOME, 'cache'),
    HELM_CONFIG_HOME: path.join(HELM_HOME, 'config'),
    HELM_DATA_HOME: path.join(HELM_HOME, 'data'),
    // no cluster: `helm template` must not read the developer's kubeconfig
    KUBECONFIG: path.join(HELM_HOME, 'no-kubeconfig'),
  };
  return run(h.path, args, { env, maxBuffer: 64 << 20 }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (e: { code?: number; stdout?: string; stderr?: string; message: string }) => ({
      code: typeof e.code === 'number' ? e.code : 1,
      stdout: e.stdout ?? '',
      stderr: e.stderr ?? e.message,
    }),
  );
}

export const RELEASE = 'spe';
export const RELEASE_NAMESPACE = 'service-proxy-exporter';
/** What a cluster with the Prometheus Operator's CRDs (kube-prometheus-stack) reports to Helm. */
export const OPERATOR_APIS = ['monitoring.coreos.com/v1/ServiceMonitor', 'monitoring.coreos.com/v1/PrometheusRule'];

export interface TemplateOptions {
  /** values, as `-f` would give them (written to a file: no --set escaping) */
  values?: object;
  /** API versions the pretend cluster offers (default: the Prometheus Operator's) */
  apiVersions?: string[];
  release?: string;
  namespace?: string;
}

/** `helm template` as `helm install spe charts/service-proxy-exporter -n service-proxy-exporter` would render it. */
export async function helmTemplateRaw(opts: TemplateOptions = {}): Promise<HelmResult> {
  const args = ['template', opts.release ?? RELEASE, CHART, '--namespace', opts.namespace ?? RELEASE_NAMESPACE];
  for (const a of opts.apiVersions ?? OPERATOR_APIS) args.push('--api-versions', a);
  const dir = mkdtempSync(path.join(tmpdir(), 'spe-values-'));
  try {
    if (opts.values) {
      const file = path.join(dir, 'values.json');
      writeFileSync(file, JSON.stringify(opts.values));
      args.push('--values', file);
    }
    return await helm(args);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * NOTES.txt as `helm install` prints it: a client-side dry run, so no cluster, and a pretend cluster without the
 * Prometheus Operator's CRDs (`helm install` takes no --api-versions).
 */
export async function helmNotes(opts: Omit<TemplateOptions, 'apiVersions'> = {}): Promise<string> {
  const args = ['install', opts.release ?? RELEASE, CHART, '--namespace', opts.namespace ?? RELEASE_NAMESPACE, '--dry-run=client'];
  const dir = mkdtempSync(path.join(tmpdir(), 'spe-values-'));
  try {
    if (opts.values) {
      const file = path.join(dir, 'values.json');
      writeFileSync(file, JSON.stringify(opts.values));
      args.push('--values', file);
    }
    const r = await helm(args);
    if (r.code !== 0) throw new Error(`helm install --dry-run failed (${r.code}): ${r.stderr.trim()}`);
    const at = r.stdout.indexOf('\nNOTES:\n');
    if (at < 0) throw new Error('helm install --dry-run printed no NOTES');
    return r.stdout.slice(at + '\nNOTES:\n'.length);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The rendered objects; throws with helm's message when rendering fails. */
export async function helmTemplate(opts: TemplateOptions = {}): Promise<K8sObject[]> {
  const r = await helmTemplateRaw(opts);
  if (r.code !== 0) throw new Error(`helm template failed (${r.code}): ${r.stderr.trim()}`);
  return parseAllDocuments(r.stdout)
    .map((d) => {
      if (d.errors.length > 0) throw new Error(`helm template printed invalid YAML: ${d.errors[0]!.message}`);
      return d.toJS() as K8sObject | null;
    })
    .filter((o): o is K8sObject => o !== null);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const h = await helmBinary();
  if (h.ok) console.log(h.path);
  else {
    console.error(h.why);
    process.exitCode = 1;
  }
}
