// The real command line against simulated clusters: exit codes, the JSON shape, the text layout.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startSimulatedCluster, type SimulatedCluster } from '../../testkit/demo/cluster.js';
import { kubeconfigYaml } from '../../testkit/apiserver/index.js';
import { CHECK_GROUPS, CHECK_STATUSES } from '../../src/diagnose/index.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const MAIN = join(ROOT, 'src', 'cli', 'main.ts');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function diagnose(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', MAIN, 'diagnose', ...args],
      // outside a cluster, and no kubeconfig from the environment
      { cwd: ROOT, env: { ...process.env, KUBECONFIG: '', KUBERNETES_SERVICE_HOST: '', NO_COLOR: '', ...env }, timeout: 90_000 },
      (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? -1) : 0, stdout, stderr }),
    );
  });
}

/** A port nothing listens on: bind one, close it. */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

describe('diagnose CLI', () => {
  const clusters = new Map<string, SimulatedCluster>();
  const names = ['cilium-kpr', 'kube-proxy-crashloop', 'cilium-partial-1.18'];
  before(async () => {
    for (const n of names) clusters.set(n, await startSimulatedCluster(n));
  });
  after(async () => {
    for (const c of clusters.values()) await c.close();
  });

  it('healthy cluster (cilium-kpr): exit 0, JSON with the documented shape', async () => {
    const r = await diagnose(['--kubeconfig', clusters.get('cilium-kpr')!.kubeconfigPath, '--output', 'json']);
    assert.equal(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout);
    assert.deepEqual(Object.keys(report), ['schemaVersion', 'generatedAt', 'status', 'counts', 'provider', 'sources', 'checks']);
    assert.equal(report.schemaVersion, 1);
    assert.equal(report.status, 'ok');
    assert.deepEqual(Object.keys(report.provider), ['type', 'mode', 'version', 'flavor', 'conflict', 'agents', 'issues', 'reasons']);
    assert.deepEqual({ type: report.provider.type, version: report.provider.version }, { type: 'cilium-kpr', version: 'v1.18.3' });
    for (const c of report.checks) {
      assert.equal(typeof c.id, 'string');
      assert.ok((CHECK_GROUPS as readonly string[]).includes(c.group));
      assert.ok((CHECK_STATUSES as readonly string[]).includes(c.status));
      assert.equal(typeof c.summary, 'string');
      assert.equal(typeof c.evidence, 'object');
      if (c.next !== undefined) assert.equal(typeof c.next, 'string');
    }
    assert.equal(report.sources.events.state, 'synced', 'Warning events are read');
    const dp = report.checks.find((c: { id: string }) => c.id === 'datapath.probes');
    assert.equal(dp.status, 'skipped');
    assert.match(dp.summary, /outside the cluster/);
  });

  it('kube-proxy-crashloop: exit 1; text names the pods, CrashLoopBackOff, restarts and the next command; no colour off a TTY', async () => {
    const r = await diagnose(['--kubeconfig', clusters.get('kube-proxy-crashloop')!.kubeconfigPath, '--no-probes']);
    assert.equal(r.code, 1, r.stderr);
    assert.doesNotMatch(r.stdout, /\x1b\[/);
    const groups = ['PROVIDER', 'AGENTS', 'CONFIG', 'DATA PATH'].map((g) => r.stdout.indexOf(`\n${g}\n`));
    assert.ok(
      groups.every((i, k) => i > 0 && (k === 0 || i > groups[k - 1]!)),
      'grouped in order',
    );
    // a summary wraps at the text width wherever its words fall (pod names, restart counts): match it unwrapped
    const unwrapped = r.stdout.replace(/\n {2,}(?=\S)/g, ' ');
    assert.match(unwrapped, /FAIL {2}agents\.pods +2 of 4 kube-proxy pods not Ready \(CrashLoopBackOff\): kube-proxy-\w+,/);
    assert.match(r.stdout, /on k8s-worker-2: kube-proxy: CrashLoopBackOff, 1[45] restarts, last exit Error \(code 1\)/);
    assert.match(r.stdout, /next: kubectl -n kube-system describe pod kube-proxy-\w+\n/);
    assert.match(r.stdout, /skip {2}datapath\.probes +Probes not run: disabled with --no-probes/);
    assert.match(r.stdout, /Result: 2 failed, .* → exit 1 \(problems found\)\n$/);
  });

  it('cilium-partial-1.18: exit 1 with the legacy value in JSON', async () => {
    const r = await diagnose(['--kubeconfig', clusters.get('cilium-partial-1.18')!.kubeconfigPath, '--output=json']);
    assert.equal(r.code, 1, r.stderr);
    const c = JSON.parse(r.stdout).checks.find((x: { id: string }) => x.id === 'config.cilium_kpr_value');
    assert.equal(c.status, 'fail');
    assert.equal(c.evidence.value, 'partial');
  });

  it('API unreachable: exit 2 and one line naming the server and why', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'spx-diag-'));
    try {
      const port = await closedPort();
      const kc = join(dir, 'kubeconfig');
      writeFileSync(kc, kubeconfigYaml(`http://127.0.0.1:${port}`));
      const r = await diagnose(['--kubeconfig', kc]);
      assert.equal(r.code, 2);
      assert.equal(r.stdout, '');
      assert.equal(
        r.stderr,
        `service-proxy-exporter: cannot reach the Kubernetes API at http://127.0.0.1:${port}: connect ECONNREFUSED 127.0.0.1:${port}\n`,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('bad --output and a missing kubeconfig: exit 2, one line', async () => {
    const bad = await diagnose(['--kubeconfig', clusters.get('cilium-kpr')!.kubeconfigPath, '--output', 'yaml']);
    assert.equal(bad.code, 2);
    assert.equal(bad.stderr, 'service-proxy-exporter: --output: "yaml" is not one of text, json\n');
    const missing = await diagnose(['--kubeconfig', '/nonexistent/kubeconfig']);
    assert.equal(missing.code, 2);
    assert.equal(missing.stderr.trim().split('\n').length, 1);
    assert.match(missing.stderr, /does not exist/);
  });
});
