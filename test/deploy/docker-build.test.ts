// SLOW (about a minute; needs the npm registry or a warm npm cache): executes the Dockerfile's own
// steps for real, without Docker. There is no container runtime or registry here, so this proves what can
// be proven: the build context (.dockerignore applied) holds what the build needs, `npm ci` + `npm run
// build` work in a fresh copy, `npm ci --omit=dev` gives the runtime its production dependencies, and the
// image's ENTRYPOINT starts a working exporter from the runtime stage's files alone.
//
// Each stage gets its own scratch root; WORKDIR/COPY/RUN/ENV are applied to it as Docker would, RUN
// through `sh -c` on this machine. In the runtime stage `/nodejs/bin/node` (the distroless image's Node.js)
// is this machine's node, and other absolute paths are mapped into the stage root.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { DockerIgnore, DOCKERIGNORE, args, execForm, flags, parseDockerfile, type Stage } from './dockerfile-model.js';
import { ROOT } from './helpers.js';
import { startSimulatedCluster } from '../../testkit/demo/cluster.js';
import { DEFAULT_SCENARIO } from '../../testkit/scenarios.js';

const execFileP = promisify(execFile);
const PKG = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string; dependencies: Record<string, string> };
const CI = process.env.CI === 'true';
const TIMEOUT_MS = 10 * 60_000;

/** Whether npm can install at all: the registry answers, or the cache has packages. */
function npmUsable(): { ok: boolean; why: string } {
  let cacheDir: string;
  try {
    cacheDir = execFileSync('npm', ['config', 'get', 'cache'], { encoding: 'utf8', timeout: 30_000 }).trim();
  } catch {
    return { ok: false, why: 'npm is not installed' };
  }
  const cacache = path.join(cacheDir, '_cacache');
  if (existsSync(cacache) && readdirSync(cacache).length > 0) return { ok: true, why: 'npm cache' };
  try {
    execFileSync('npm', ['ping'], { stdio: 'ignore', timeout: 30_000 });
    return { ok: true, why: 'npm registry' };
  } catch {
    return { ok: false, why: `the npm registry is unreachable and the npm cache (${cacache}) is empty` };
  }
}

/** Copy the build context: the repository with .dockerignore applied. */
function buildContext(dest: string): string[] {
  const ig = new DockerIgnore(readFileSync(DOCKERIGNORE, 'utf8'));
  const copied: string[] = [];
  const walk = (rel: string) => {
    for (const entry of readdirSync(path.join(ROOT, rel), { withFileTypes: true })) {
      const r = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) {
        if (!ig.excludes(r) || ig.mayReinclude(r)) walk(r);
      } else if (entry.isFile() && !ig.excludes(r)) {
        mkdirSync(path.join(dest, rel), { recursive: true });
        cpSync(path.join(ROOT, r), path.join(dest, r));
        copied.push(r);
      }
    }
  };
  walk('');
  return copied;
}

interface StageState {
  stage: Stage;
  root: string;
  workdir: string;
  env: Record<string, string>;
}

/** A path inside a stage's filesystem. */
function inStage(root: string, workdir: string, p: string): string {
  return path.join(root, path.posix.resolve(workdir, p));
}

/** Docker's COPY: a directory source copies its contents; several sources or a trailing / make dest a directory. */
function dockerCopy(sources: string[], dest: string, destIsDir: boolean): void {
  for (const src of sources) {
    assert.ok(existsSync(src), `COPY source ${src} exists`);
    if (statSync(src).isDirectory()) {
      mkdirSync(dest, { recursive: true });
      cpSync(src, dest, { recursive: true, verbatimSymlinks: true });
    } else {
      const target = destIsDir ? path.join(dest, path.basename(src)) : dest;
      mkdirSync(path.dirname(target), { recursive: true });
      cpSync(src, target);
    }
  }
}

async function runStage(state: StageState, context: string, done: StageState[], log: string[]): Promise<void> {
  for (const ins of state.stage.instructions) {
    const kw = ins.getKeyword();
    const a = args(ins);
    switch (kw) {
      case 'WORKDIR':
        state.workdir = path.posix.resolve(state.workdir, a[0]!);
        mkdirSync(inStage(state.root, '/', state.workdir), { recursive: true });
        break;
      case 'ENV':
        for (const p of (ins as unknown as { getProperties(): { getName(): string; getValue(): string | null }[] }).getProperties()) {
          state.env[p.getName()] = p.getValue() ?? '';
        }
        break;
      case 'COPY': {
        const f = flags(ins);
        for (const k of f.keys()) assert.ok(k === 'from', `COPY --${k} is not supported by this test`);
        const from = f.get('from');
        const srcRoot = from == null ? context : done.find((s) => s.stage.name === from || String(s.stage.index) === from)?.root;
        assert.ok(srcRoot, `COPY --from=${from}: stage built`);
        const dest = a.at(-1)!;
        const sources = a.slice(0, -1).map((s) => (from == null ? path.join(context, s) : inStage(srcRoot, '/', s)));
        dockerCopy(sources, inStage(state.root, state.workdir, dest), dest.endsWith('/') || sources.length > 1);
        break;
      }
      case 'RUN': {
        assert.equal(flags(ins).size, 0, 'RUN flags are not supported by this test');
        const exec = execForm(ins);
        const [file, ...argv] = exec ?? ['sh', '-c', a.join(' ')];
        const cwd = inStage(state.root, '/', state.workdir);
        log.push(`[${state.stage.name}] RUN ${(exec ?? a).join(' ')}`);
        const t0 = Date.now();
        // prefer the npm cache: the exact Dockerfile commands, offline-capable
        const env = {
          ...process.env,
          ...state.env,
          npm_config_prefer_offline: 'true',
          npm_config_update_notifier: 'false',
          npm_config_audit: 'false',
          npm_config_fund: 'false',
        };
        try {
          await execFileP(file!, argv, { cwd, env, timeout: TIMEOUT_MS, maxBuffer: 64 * 1024 * 1024 });
        } catch (err) {
          const e = err as { stdout?: string; stderr?: string; message: string };
          assert.fail(`[${state.stage.name}] RUN ${(exec ?? a).join(' ')} failed: ${e.message}\n${e.stdout ?? ''}\n${e.stderr ?? ''}`);
        }
        log.push(`  ${Date.now() - t0} ms`);
        break;
      }
      case 'ARG':
      case 'LABEL':
      case 'USER':
      case 'EXPOSE':
      case 'ENTRYPOINT':
      case 'CMD':
        break;
      default:
        assert.fail(`${kw} is not supported by this test: extend test/deploy/docker-build.test.ts`);
    }
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

const npm = npmUsable();
const skip = npm.ok ? false : CI ? false : `skipped: ${npm.why}`;

describe('Dockerfile build steps, executed (SLOW)', { skip, timeout: TIMEOUT_MS * 2 }, () => {
  let scratch: string;
  let runtime: StageState;
  const log: string[] = [];
  const children: ChildProcess[] = [];

  before(async () => {
    assert.ok(npm.ok, `npm cannot install: ${npm.why} (CI must have the registry or a cache)`);
    scratch = mkdtempSync(path.join(tmpdir(), 'spx-docker-build-'));
    const context = path.join(scratch, 'context');
    const files = buildContext(context);
    assert.ok(files.includes('package-lock.json'));
    const { stages } = parseDockerfile();
    const done: StageState[] = [];
    for (const stage of stages) {
      const state: StageState = { stage, root: path.join(scratch, `stage-${stage.index}-${stage.name ?? 'final'}`), workdir: '/', env: {} };
      mkdirSync(state.root, { recursive: true });
      const parent = done.find((s) => s.stage.name === stage.image);
      if (parent) {
        cpSync(parent.root, state.root, { recursive: true, verbatimSymlinks: true });
        state.workdir = parent.workdir;
        state.env = { ...parent.env };
      }
      await runStage(state, context, done, log);
      done.push(state);
    }
    runtime = done.at(-1)!;
  });

  after(() => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGTERM');
    if (scratch) rmSync(scratch, { recursive: true, force: true });
    if (log.length) console.log(log.join('\n'));
  });

  /** The image's ENTRYPOINT with these arguments instead of CMD, run from the runtime stage's files. */
  function entrypoint(extra: string[]): { file: string; argv: string[]; cwd: string; env: NodeJS.ProcessEnv } {
    const ep = execForm(runtime.stage.instructions.find((i) => i.getKeyword() === 'ENTRYPOINT')!)!;
    const mapped = ep.map((p) => (p === '/nodejs/bin/node' ? process.execPath : p.startsWith('/') ? inStage(runtime.root, '/', p) : p));
    // a clean environment: no NODE_OPTIONS (tsx), no KUBECONFIG from the developer
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: runtime.root, ...runtime.env };
    return { file: mapped[0]!, argv: [...mapped.slice(1), ...extra], cwd: inStage(runtime.root, '/', runtime.workdir), env };
  }

  it('the runtime stage has production dependencies only', () => {
    const app = inStage(runtime.root, '/', '/app');
    assert.ok(existsSync(path.join(app, 'node_modules')), 'node_modules present');
    // package-lock.json marks every package only dev dependencies pull in with "dev": true
    const lock = JSON.parse(readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, { dev?: boolean; optional?: boolean }>;
    };
    const devOnly = Object.entries(lock.packages)
      .filter(([k, v]) => k && v.dev)
      .map(([k]) => k);
    assert.ok(devOnly.length > 0);
    for (const k of devOnly) assert.ok(!existsSync(path.join(app, k)), `dev-only package ${k} is not in the image`);
    for (const dep of Object.keys(PKG.dependencies))
      assert.ok(existsSync(path.join(app, 'node_modules', dep)), `production dependency ${dep} is`);
    assert.ok(!existsSync(path.join(app, 'src', 'cli')), 'no TypeScript sources at run time');
  });

  it('the runtime stage carries the exporter only: no demo, no simulated cluster', () => {
    const app = inStage(runtime.root, '/', '/app');
    const files = readdirSync(path.join(app, 'dist'), { recursive: true }).map(String);
    assert.ok(files.includes(path.join('cli', 'main.js')), 'dist/cli/main.js is there');
    const machinery = files.filter((f) => /(^|\/)(sim|testkit|scenarios|apiserver|dataplane)(\/|$)|\.(yaml|prom|pem)$/.test(f));
    assert.deepEqual(machinery, [], 'no test machinery in dist/');
    assert.ok(!existsSync(path.join(app, 'testkit')), 'no testkit/ in the image');
  });

  it('ENTRYPOINT --version prints the package version', async () => {
    const { file, argv, cwd, env } = entrypoint(['--version']);
    const { stdout } = await execFileP(file, argv, { cwd, env, timeout: 60_000 });
    assert.ok(stdout.includes(PKG.version), `--version printed ${JSON.stringify(stdout)}`);
  });

  it('ENTRYPOINT demo says the demo runs from a checkout, in one line, exit 2', async () => {
    const { file, argv, cwd, env } = entrypoint(['demo']);
    const err = await execFileP(file, argv, { cwd, env, timeout: 60_000 }).then(
      () => assert.fail('demo succeeded in the image'),
      (e: { code: number; stderr: string }) => e,
    );
    assert.equal(err.code, 2);
    assert.equal(err.stderr.trim().split('\n').length, 1, err.stderr);
    assert.match(err.stderr, /npm run demo/);
  });

  it('ENTRYPOINT serve against a cluster serves /metrics with the metric contract', async () => {
    const cluster = await startSimulatedCluster(DEFAULT_SCENARIO);
    try {
      const port = await freePort();
      const { file, argv, cwd, env } = entrypoint(['serve', `--listen=127.0.0.1:${port}`, `--kubeconfig=${cluster.kubeconfigPath}`]);
      const child = spawn(file, argv, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
      children.push(child);
      let output = '';
      child.stdout!.on('data', (d) => (output += d));
      child.stderr!.on('data', (d) => (output += d));
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      const deadline = Date.now() + 60_000;
      let body = '';
      while (Date.now() < deadline) {
        assert.equal(child.exitCode, null, `serve exited early:\n${output}`);
        try {
          const res = await fetch(`http://127.0.0.1:${port}/metrics`);
          body = await res.text();
          if (res.ok && /^proxy_provider\{type="cilium-kpr"\} 1$/m.test(body)) break;
        } catch {
          // not listening yet
        }
        await new Promise((r) => setTimeout(r, 250));
      }
      assert.match(body, /^proxy_provider\{type="cilium-kpr"\} 1$/m, `the image's exporter did not detect the cluster:\n${output}`);
      assert.match(body, /^service_proxy_exporter_build_info\{/m);
      child.kill('SIGTERM');
      await exited;
    } finally {
      await cluster.close();
    }
  });
});
