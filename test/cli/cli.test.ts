// The binary as a user runs it: bad input is one line and exit code 2; serve answers on /metrics.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { startFakeApiServer, writeKubeconfig } from '../../testkit/apiserver/index.js';
import { ciliumConfig, ciliumDs, ciliumPod, twoNodes } from '../../testkit/objects/minimal.js';

const MAIN = new URL('../../src/cli/main.ts', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'spx-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function run(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', MAIN, ...args], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', HOME: dir, ...env },
    timeout: 30_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr.trim() };
}

function assertUsageError(r: ReturnType<typeof run>, pattern: RegExp) {
  assert.equal(r.code, 2, `exit code 2, got ${r.code}: ${r.stderr}`);
  assert.equal(r.stderr.split('\n').length, 1, `one line: ${r.stderr}`);
  assert.match(r.stderr, pattern);
  assert.doesNotMatch(r.stderr, /\bat .*\.ts:\d+/, 'no stack trace');
}

describe('service-proxy-exporter CLI', () => {
  it('prints its version and help', () => {
    const v = run(['--version']);
    assert.equal(v.code, 0);
    assert.match(v.stdout, /^service-proxy-exporter \d+\.\d+\.\d+ \(revision \S+, node v\d+/);
    const h = run(['--help']);
    assert.equal(h.code, 0);
    for (const flag of [
      '--kubeconfig',
      '--listen',
      '--probe-interval',
      '--probe-timeout',
      '--mode',
      '--node-name',
      '--config',
      '--log-level',
      '--log-format',
    ]) {
      assert.ok(h.stdout.includes(flag), `help mentions ${flag}`);
    }
  });

  it('rejects bad flags, environment variables and config files with one line naming the setting', () => {
    assertUsageError(run(['serve', '--probe-interval', 'soon']), /--probe-interval: "soon" is not a duration/);
    assertUsageError(run(['--listen', 'nope']), /--listen: "nope" is not HOST:PORT/);
    assertUsageError(run(['--mode', 'sidecar']), /--mode: "sidecar" is not one of deployment, daemonset/);
    assertUsageError(run(['--mode', 'daemonset']), /--node-name: required with --mode daemonset/);
    assertUsageError(run(['--probe-timeout', '10s', '--probe-interval', '5s']), /--probe-timeout: 10s is longer than --probe-interval 5s/);
    assertUsageError(run(['--frobnicate']), /unknown flag --frobnicate/);
    assertUsageError(run(['explode']), /unknown command "explode"/);
    assertUsageError(run(['serve', '--scenario', 'k3s']), /--scenario: only valid for "demo"/);
    assertUsageError(run([], { SERVICE_PROXY_EXPORTER_LOG_LEVEL: 'loud' }), /SERVICE_PROXY_EXPORTER_LOG_LEVEL: "loud" is not one of/);
    const cfg = join(dir, 'bad.yaml');
    writeFileSync(cfg, 'probeInterval: 30s\nprobeIntervall: 1m\n');
    assertUsageError(run(['--config', cfg]), /--config: .*bad\.yaml: unknown setting "probeIntervall"/);
    writeFileSync(cfg, 'probeTimeout: [1, 2]\n');
    assertUsageError(run(['--config', cfg]), /"probeTimeout"/);
    writeFileSync(cfg, 'listen: ":9808\n  - broken');
    assertUsageError(run(['--config', cfg]), /is not valid YAML/);
    assertUsageError(run(['--config', join(dir, 'missing.yaml')]), /--config: cannot read/);
    assertUsageError(run(['--kubeconfig', join(dir, 'nope')]), /--kubeconfig: .* does not exist/);
    assertUsageError(run(['demo', '--scenario', 'atlantis']), /unknown scenario "atlantis"; valid: .*cilium-kpr/);
  });

  it('says plainly when no API server is configured', () => {
    assertUsageError(run(['serve'], { KUBECONFIG: '' }), /no Kubernetes API configured/);
  });

  it('serve reports the provider of the cluster it is pointed at, and stops on SIGTERM', async () => {
    const api = await startFakeApiServer();
    for (const o of [
      ...twoNodes(),
      ciliumDs('v1.18.3'),
      ciliumPod('node-aaaa1', 'v1.18.3'),
      ciliumPod('node-bbbb2', 'v1.18.3'),
      ciliumConfig({ 'kube-proxy-replacement': 'true' }),
    ]) {
      api.store.apply(o as never);
    }
    const kubeconfig = join(dir, 'kubeconfig');
    writeKubeconfig(api.url, kubeconfig);
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', MAIN, 'serve', '--kubeconfig', kubeconfig, '--listen', '127.0.0.1:0', '--log-format', 'json'],
      {
        env: { PATH: process.env.PATH ?? '', HOME: dir },
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    try {
      // Logs are JSON lines on stderr: wait for the listen address, then for the verdict.
      const lines = createInterface({ input: child.stderr! });
      let url = '';
      for await (const line of lines) {
        const entry = JSON.parse(line) as { message: string; url?: string; provider?: string };
        if (entry.message === 'listening') url = entry.url!;
        if (entry.message === 'service proxy detected' && entry.provider === 'cilium-kpr') break;
      }
      assert.ok(url, 'logged its URL');
      const text = await (await fetch(`${url}/metrics`)).text();
      assert.match(text, /^proxy_provider\{type="cilium-kpr"\} 1$/m);
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      child.kill('SIGTERM');
      assert.equal(await exited, 0, 'clean exit on SIGTERM');
    } finally {
      child.kill('SIGKILL');
      await api.close();
    }
  });
});
