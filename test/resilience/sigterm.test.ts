// SIGTERM while a probe round is stuck on a target that never answers: the real CLI process must
// abort the round and exit 0, long before the probe's own timeout would have ended it.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { startFakeApiServer, writeKubeconfig } from '../../testkit/apiserver/index.js';
import { ciliumConfig, ciliumDs, ciliumPod, twoNodes } from '../../testkit/objects/minimal.js';
import { probedService, startHangingServer } from './helpers.js';

const MAIN = new URL('../../src/cli/main.ts', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'spx-sigterm-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('SIGTERM during a probe round', () => {
  it('the serve process aborts the hung probe and exits 0', async () => {
    const hang = await startHangingServer();
    const api = await startFakeApiServer();
    for (const o of [
      ...twoNodes(),
      ciliumDs('v1.18.3'),
      ciliumPod('node-aaaa1', 'v1.18.3'),
      ciliumPod('node-bbbb2', 'v1.18.3'),
      ciliumConfig({ 'kube-proxy-replacement': 'true' }),
      ...probedService('apps', 'stuck', hang.port, { path: '/healthz', endpoint: false }),
    ]) {
      api.store.apply(o as never);
    }
    const kubeconfig = join(dir, 'kubeconfig');
    writeKubeconfig(api.url, kubeconfig);
    // A 2-minute probe timeout: if the exit waited for the probe, this test would time out.
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        MAIN,
        'serve',
        '--kubeconfig',
        kubeconfig,
        '--listen',
        '127.0.0.1:0',
        '--log-format',
        'json',
        '--probe-interval',
        '2m',
        '--probe-timeout',
        '2m',
      ],
      { env: { PATH: process.env.PATH ?? '', HOME: dir }, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    const messages: string[] = [];
    createInterface({ input: child.stderr! }).on('line', (line) => {
      try {
        messages.push(String((JSON.parse(line) as { message?: string }).message));
      } catch {
        messages.push(line);
      }
    });
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.once('exit', (code, signal) => resolve({ code, signal })),
    );
    try {
      // the first round starts as soon as the targets are known: wait until it is stuck in the target
      await once(hang.events, 'connection', { signal: AbortSignal.timeout(30_000) }).catch((e) => {
        throw new Error(`no probe reached the hanging target: ${String(e)}; log: ${messages.join(' | ')}`);
      });
      const closedBefore = hang.closed();
      const socketClosed = once(hang.events, 'closed', { signal: AbortSignal.timeout(30_000) });
      child.kill('SIGTERM');
      const { code, signal } = await exited;
      assert.equal(signal, null, 'exited by itself, not killed');
      assert.equal(code, 0, `clean exit; log: ${messages.join(' | ')}`);
      if (hang.closed() === closedBefore) await socketClosed;
      assert.ok(hang.closed() > closedBefore, 'the hung probe connection was closed');
      assert.ok(messages.includes('shutting down'), 'logged the shutdown');
      assert.ok(!messages.some((m) => /took too long/.test(m)), 'did not need the forced exit');
    } finally {
      child.kill('SIGKILL');
      await api.close();
      await hang.close();
    }
  });
});
