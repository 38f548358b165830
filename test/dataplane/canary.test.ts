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
import { execFileSync } from 'node:child_process';
import { createNetnsPair, dataplaneSkip, spawnInNamespace } from './netns.js';
import type { CanaryDriverConfig } from './canary-driver.js';

const skip = await dataplaneSkip();
/** The programmer clears stale UDP entries with the conntrack tool, as kube-proxy does (Debian: conntrack). */
function conntrackSkip(): string | undefined {
  if (skip) return skip;
  try {
    execFileSync('sh', ['-c', 'command -v conntrack']);
    return undefined;
  } catch {
    if (process.env.CI === 'true')
      throw new Error('data-plane test cannot run under CI=true: `conntrack` is missing (apt-get install conntrack)');
    return 'data-plane test skipped: `conntrack` is missing (Debian: apt-get install conntrack)';
  }
}
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
    assert.ok(r.metrics['service_lb_programming_duration_seconds_count{protocol="tcp",family="ipv4"}'] >= 4, 'in the histogram');
    assert.equal(r.metrics['service_lb_programming_pending_seconds{protocol="tcp",family="ipv4"}'], 0, 'nothing pending once programmed');
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

  // kubernetes#139628: a conntrack entry that survives an endpoint change keeps a long-lived UDP flow on
  // the old target. A programmer that never clears UDP conntrack: new TCP connections follow every
  // flip, the canary's one UDP socket stays on the port it had.
  it(
    'a programmer that never clears UDP conntrack: protocol="udp" pends past the threshold while tcp stays 0; cleared again, the flow follows',
    { skip: conntrackSkip() },
    async () => {
      const r = await play({ scenario: 'stale-conntrack', delayMs: 100, intervalMs: 1000, pollMs: POLL_MS, thresholdSeconds: 5 });
      assert.ok(r.healthyUdp.length >= 2, 'with conntrack cleared the UDP flow follows every flip');
      for (const s of r.healthyUdp as number[]) assert.ok(s < 1 + POLL_MS / 1000, `healthy UDP observation ${s} s`);
      const samples = r.samples as { t: number; tcp: number; udp: number }[];
      assert.ok(samples.at(-1)!.udp > 5, JSON.stringify(samples));
      // the writer keeps flipping (its hold is TCP only) and TCP keeps following
      assert.ok(r.tcpDuringFault >= 3, `TCP programmed ${r.tcpDuringFault} changes during the fault`);
      assert.equal(r.udpDuringFault, 0, 'the stuck flow took no change, whichever way the canary flipped');
      const late = samples.filter((s) => s.udp > 2);
      assert.ok(late.length > 0);
      for (const s of late) assert.ok(s.tcp < 1.5, `tcp pending ${s.tcp} s while udp ${s.udp} s`);
      const udp = samples.map((s) => s.udp).filter((p) => p > 0);
      for (let i = 1; i < udp.length; i++) assert.ok(udp[i]! >= udp[i - 1]!, `udp pending went down while stuck: ${udp.join(', ')}`);
      assert.equal(r.metricsFault['service_lb_functional'], 1, 'existing TCP paths still forward: not a proxy_broken verdict');
      // healed: within about two flips (the next one that removes the endpoint the flow is stuck on)
      assert.ok(r.healToUdpMs <= 2 * 1000 + 1000, `UDP followed ${r.healToUdpMs} ms after the programmer cleared again`);
      assert.ok(r.udpLatencyAfterHeal >= 5, 'the observation covers the stuck time');
      assert.equal(r.metricsHealed['service_lb_programming_pending_seconds{protocol="udp",family="ipv4"}'], 0);
      assert.ok(r.conntrackCleared >= 1);
    },
  );

  // Both families on one replica: one slice per family, the same port; the programmer writes iptables and
  // ip6tables DNAT; every (protocol, family) is measured on its own.
  it('dual-stack: one slice per family, TCP and UDP observed on each; IPv6 no longer programmed: only ipv6 pends', async () => {
    const r = await play({ scenario: 'dual-stack', delayMs: 100, intervalMs: 1000, pollMs: POLL_MS });
    for (const p of ['tcp', 'udp'])
      for (const f of ['ipv4', 'ipv6']) {
        assert.ok(r.metrics[`service_lb_programming_duration_seconds_count{protocol="${p}",family="${f}"}`] >= 2, `${p}/${f}`);
        assert.ok(r.metrics[`service_lb_programming_pending_seconds{protocol="${p}",family="${f}"}`] !== undefined, `${p}/${f} pending`);
      }
    assert.equal(r.slices.length, 3, r.slices.join('\n')); // the exporter's own Service's slice and the two canary slices
    assert.ok(r.slices.some((s: string) => s.startsWith('service-proxy-exporter-canary IPv4')));
    assert.ok(r.slices.some((s: string) => s.startsWith('service-proxy-exporter-canary-ipv6 IPv6 {"address":"fd00::1"')));
    assert.ok(r.v6Rules >= 2, 'TCP and UDP programmed into ip6tables');
    // then a proxier that stops programming IPv6 (kubernetes#116486): ipv6 pends while ipv4 shows every change
    const samples = r.v6Samples as { v4: number; v6: number }[];
    assert.ok(samples.at(-1)!.v6 > 3);
    assert.ok(
      samples.filter((s) => s.v6 > 1.5).every((s) => s.v4 === 0),
      JSON.stringify(samples),
    );
  });

  // The behaviour checks on the same data plane: the affinity Service's slices (written by the exporter) hold both canary
  // ports; a programmer writing kube-proxy's `-m recent` rules keeps one client on one of them, one that ignores
  // sessionAffinity spreads it (cilium/cilium#35254). Hairpin: the writer reaches itself through the canary VIP.
  for (const honourAffinity of [true, false])
    it(`session_affinity ${honourAffinity ? '1 on a programmer honouring ClientIP affinity' : '0 on a programmer ignoring it'}; hairpin 1`, async () => {
      const r = await play({ scenario: 'affinity', honourAffinity, delayMs: 0, intervalMs: 1000, pollMs: POLL_MS });
      const view = JSON.stringify(r.checks);
      assert.equal(r.metrics['service_lb_check_success{check="session_affinity"}'], honourAffinity ? 1 : 0, view);
      assert.equal(r.metrics['service_lb_check_success{check="hairpin"}'], 1, view);
      const failures = r.metrics['service_lb_check_failures_total{check="session_affinity"}'];
      if (honourAffinity) assert.equal(failures, 0, view);
      else assert.ok(failures >= 1, view);
      const rules = r.affinityRules as { endpoints: unknown[]; affinitySeconds?: number }[];
      assert.equal(rules[0]?.endpoints.length, 2, 'the affinity Service has both canary ports as endpoints');
      assert.equal(rules[0]?.affinitySeconds, honourAffinity ? 10_800 : undefined);
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
