// The canary end to end on a real kernel: the exporter's writer moves the canary EndpointSlice on the
// fake API server, the test programmer (a kube-proxy stand-in, test/dataplane/programmer.ts) writes
// iptables DNAT for it into a network namespace after an injected delay, and the exporter's observer
// times it through the VIP. Needs root; skipped with a message otherwise, mandatory under CI=true.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { createNetnsPair, dataplaneSkip, spawnInNamespace } from './netns.js';
import type { CanaryDriverConfig } from './canary-driver.js';

const skip = await dataplaneSkip();
const driver = fileURLToPath(new URL('./canary-driver.ts', import.meta.url));
const POLL_MS = 200;

async function play(config: Omit<CanaryDriverConfig, 'netns' | 'dir' | 'podIps'> & { replicas?: number }): Promise<Record<string, any>> {
  const pair = await createNetnsPair();
  const dir = mkdtempSync(join(tmpdir(), 'spe-canary-'));
  try {
    const podIps = [pair.clientIP, '198.18.0.11'].slice(0, config.replicas ?? 1);
    let result: Record<string, any> | undefined;
    const child = await spawnInNamespace(pair, pair.client, driver, [JSON.stringify({ ...config, netns: pair.client, dir, podIps })], {
      onLine: (line) => {
        if (line.startsWith('{')) {
          const o = JSON.parse(line) as Record<string, any>;
          if (o.type === 'result') result = o;
        }
      },
    });
    await new Promise<void>((resolve) => (child.exitCode !== null ? resolve() : child.once('exit', () => resolve())));
    assert.ok(result, 'the driver reported');
    assert.equal(result.error, undefined, `${result.error}\n${(result.logs ?? []).join('\n')}`);
    return result;
  } finally {
    await pair.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('canary on a real data plane (iptables DNAT in a netns)', { skip, timeout: 180_000 }, () => {
  // The programmer writes its rules `delay` after the change plus its own iptables-restore time (a
  // spawned `ip netns exec iptables-restore`: 50–600 ms on a loaded CI machine). So: every observation is
  // at least the delay, and the observer sees the new target within poll + 300 ms of the rules being
  // written — the measurement's own error.
  it('with a 1 s programming delay every observation is ≥ 1 s and within poll + 300 ms of the rules being written', async () => {
    const r = await play({ scenario: 'latency', delayMs: 1000, intervalMs: 2000, pollMs: POLL_MS });
    assert.ok(r.observations.length >= 4);
    for (const s of r.observations as number[]) assert.ok(s >= 1, `observation ${s} s (${r.observations.join(', ')})`);
    for (const lag of r.lagsMs as number[])
      assert.ok(
        lag >= 0 && lag <= POLL_MS + 300,
        `seen ${lag} ms after the rules were written (${r.lagsMs.join(', ')}; observations ${r.observations.join(', ')})`,
      );
    assert.ok(r.metrics.service_lb_programming_duration_seconds_count >= 4, 'in the histogram');
    assert.equal(r.metrics.service_lb_programming_pending_seconds, 0, 'nothing pending once programmed');
    assert.equal(r.metrics.service_proxy_exporter_canary_writer, 1);
  });

  it('frozen programmer: pending climbs past the threshold while service_lb_functional stays 1; thawed: back to 0 within one poll', async () => {
    const r = await play({ scenario: 'freeze', delayMs: 100, intervalMs: 1000, pollMs: POLL_MS, thresholdSeconds: 4 });
    const samples = r.samples as { pending: number; functional: number }[];
    assert.ok(samples.at(-1)!.pending > 4, JSON.stringify(samples));
    for (const s of samples) assert.equal(s.functional, 1, 'existing rules keep forwarding: the probes still pass');
    // monotonic growth while frozen (the writer holds its next flip)
    const grown = samples.map((s) => s.pending).filter((p) => p > 0);
    for (let i = 1; i < grown.length; i++) assert.ok(grown[i]! >= grown[i - 1]!, `pending went down while frozen: ${grown.join(', ')}`);
    assert.ok(r.thawToProgrammedMs <= POLL_MS + 300, `programmed ${r.thawToProgrammedMs} ms after thaw`);
    assert.equal(r.pendingAfterThaw, 0);
    assert.ok(r.latencyAfterThaw > 4, 'the observation covers the frozen time');
  });

  it('two replicas against one API: exactly one writer; kill it and the other takes over within the lease duration', async () => {
    const r = await play({ scenario: 'takeover', delayMs: 100, intervalMs: 1000, pollMs: POLL_MS, replicas: 2 });
    for (const n of r.writerCounts as number[]) assert.equal(n, 1, `writers over time: ${r.writerCounts.join(',')}`);
    assert.ok(r.tookOverMs <= 2_000 + 100, `took over after ${r.tookOverMs} ms (lease 2 s)`);
    assert.notEqual(r.newTarget.address, r.firstWriter, 'the slice now points at the survivor');
  });

  it('writes forbidden (403): observing continues, one log line, no writer, never a crash', async () => {
    const r = await play({ scenario: 'forbidden', delayMs: 100, intervalMs: 1000, pollMs: POLL_MS });
    assert.equal(r.forbiddenLines, 1, (r.logs ?? []).join('\n'));
    assert.ok(r.observations.length >= 1, 'a change made by someone else is still measured');
    assert.equal(r.writer, 0);
    assert.ok(r.forbiddenErrors >= 2 && r.attempts >= 2, `retried with backoff: ${r.attempts} attempts`);
  });
});
