import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveSettings, ConfigError } from '../../src/config/load.js';
import { canaryOffReason } from '../../src/app/canary.js';
import { datapathProgramming } from '../../src/diagnose/checks/programming.js';
import type { DiagnoseInput } from '../../src/diagnose/types.js';

describe('canary settings', () => {
  it('defaults: on, 30s, 9810,9811, 200ms; the pod IP from POD_IP', () => {
    const s = resolveSettings({}, { POD_IP: '10.1.2.3', POD_NAMESPACE: 'mon' });
    assert.equal(s.canary, 'on');
    assert.equal(s.canaryIntervalMs, 30_000);
    assert.deepEqual(s.canaryPorts, [9810, 9811]);
    assert.equal(s.canaryPollMs, 200);
    assert.equal(s.podIp, '10.1.2.3');
    assert.equal(canaryOffReason(s), undefined);
  });

  it('from flags, environment and config file, flags winning', () => {
    const dir = mkdtempSync(join(tmpdir(), 'spe-canary-'));
    const file = join(dir, 'c.yaml');
    writeFileSync(file, 'canaryPorts: [7000, 7001]\ncanaryInterval: 10s\ncanary: "off"\n');
    const s = resolveSettings({ config: file, 'canary-poll': '50ms' }, { SERVICE_PROXY_EXPORTER_CANARY_INTERVAL: '20s' });
    assert.deepEqual(s.canaryPorts, [7000, 7001]);
    assert.equal(s.canaryIntervalMs, 20_000);
    assert.equal(s.canaryPollMs, 50);
    assert.equal(s.canary, 'off');
    assert.equal(canaryOffReason(s), '--canary off');
  });

  for (const [flags, message] of [
    [{ 'canary-ports': '9810' }, /^--canary-ports: "9810" is not two different ports/],
    [{ 'canary-ports': '9810,9810' }, /^--canary-ports: .*two different ports/],
    [{ 'canary-ports': '9808,9811' }, /^--canary-ports: 9808,9811 includes the --listen port 9808/],
    [{ canary: 'maybe' }, /^--canary: "maybe" is not one of on, off/],
    [{ 'canary-interval': '500ms' }, /^--canary-interval: must be at least 1s/],
    [{ 'canary-poll': '5s', 'canary-interval': '5s' }, /^--canary-poll: 5s is not shorter than --canary-interval 5s/],
    [{ 'pod-ip': 'pod-a' }, /^--pod-ip: "pod-a" is not an IP address/],
    [{ 'pod-ips': '10.0.0.1,pod-a' }, /^--pod-ips: "pod-a" is not an IP address; set it from the downward API \(env POD_IPS/],
    [{ 'pod-ips': '10.0.0.1,10.0.0.2' }, /^--pod-ips: "10.0.0.1,10.0.0.2" is not one address per family/],
  ] as const) {
    it(`rejects ${JSON.stringify(flags)} with one line naming the flag`, () => {
      assert.throws(
        () => resolveSettings(flags as Record<string, string>, {}),
        (e: unknown) => e instanceof ConfigError && message.test(e.message) && !e.message.includes('\n'),
      );
    });
  }

  it('POD_IPS from status.podIPs: one address per family, the canary answers on both', () => {
    const s = resolveSettings({ 'pod-ip': '198.18.0.1' }, { POD_IPS: '198.18.0.1,fd00::1', POD_NAMESPACE: 'mon' });
    assert.deepEqual(s.podIps, ['198.18.0.1', 'fd00::1']);
    assert.equal(canaryOffReason(s), undefined);
  });

  it('without a pod IP or a namespace the canary is off, and says why', () => {
    assert.match(canaryOffReason(resolveSettings({}, { POD_NAMESPACE: 'mon' }))!, /no pod IP/);
    assert.match(canaryOffReason(resolveSettings({ 'pod-ip': '10.0.0.1' }, {}))!, /no namespace/);
  });
});

describe('diagnose: datapath.programming', () => {
  const base = {
    verdict: undefined,
    snapshot: undefined,
    sources: {},
    events: undefined,
    probes: undefined,
    now: 0,
  } satisfies DiagnoseInput;
  const view = {
    namespace: 'mon',
    identity: 'a',
    writer: true,
    holder: 'a',
    writesForbidden: false,
    ports: [9810, 9811],
    listening: true,
    vip: { clusterIp: '10.96.0.9', port: 80 },
    changes: 3,
  };

  it('skipped when the canary is off, with the reason', () => {
    const [c] = datapathProgramming({ ...base, canaryOff: 'no pod IP' });
    assert.equal(c!.status, 'skipped');
    assert.match(c!.summary, /no pod IP/);
  });

  it('ok with the last latency; warn while a change is pending; fail past 60 s with the runbook', () => {
    const last = { seconds: 1.25, at: '2026-01-01T00:00:00.000Z' };
    assert.equal(datapathProgramming({ ...base, canary: { ...view, pendingSeconds: 0, last } })[0]!.status, 'ok');
    assert.match(datapathProgramming({ ...base, canary: { ...view, pendingSeconds: 0, last } })[0]!.summary, /1\.25 s/);
    const pending = datapathProgramming({
      ...base,
      canary: { ...view, pendingSeconds: 12, last, target: { address: '10.0.0.1', port: 9811 }, lastAnswer: 'port 9810' },
    })[0]!;
    assert.equal(pending.status, 'warn');
    assert.match(pending.summary, /waited 12\.0 s .*want port 9811, last answer: port 9810/);
    const stalled = datapathProgramming({ ...base, canary: { ...view, pendingSeconds: 75, last } })[0]!;
    assert.equal(stalled.status, 'fail');
    assert.equal(stalled.runbook, 'ServiceProxyProgrammingStalled');
  });

  it('UDP pending while TCP of its family is done: stale conntrack, with the port the flow is stuck on and the runbook', () => {
    const flows = (udp: number, tcp: number) => [
      { protocol: 'tcp' as const, family: 'ipv4' as const, clusterIp: '10.96.0.9', pendingSeconds: tcp },
      { protocol: 'udp' as const, family: 'ipv4' as const, clusterIp: '10.96.0.9', pendingSeconds: udp, answeringPort: 9810 },
    ];
    const warn = datapathProgramming({ ...base, canary: { ...view, pendingSeconds: 0, flows: flows(20, 0) } })[0]!;
    assert.equal(warn.status, 'warn');
    assert.match(warn.summary, /UDP flow .* 20\.0 s .*port 9810/);
    assert.equal(warn.runbook, 'ServiceProxyStaleConntrack');
    assert.equal(datapathProgramming({ ...base, canary: { ...view, pendingSeconds: 0, flows: flows(90, 0) } })[0]!.status, 'fail');
    // both pending: the data plane stalls, not a conntrack entry
    const both = datapathProgramming({ ...base, canary: { ...view, pendingSeconds: 90, flows: flows(90, 90) } })[0]!;
    assert.equal(both.runbook, 'ServiceProxyProgrammingStalled');
  });

  it('a stall in the second family shows though the first is programmed', () => {
    const c = datapathProgramming({
      ...base,
      canary: {
        ...view,
        pendingSeconds: 0,
        flows: [
          { protocol: 'tcp', family: 'ipv4', pendingSeconds: 0 },
          { protocol: 'tcp', family: 'ipv6', clusterIp: 'fd00::9', pendingSeconds: 75 },
        ],
      },
    })[0]!;
    assert.equal(c.status, 'fail');
    assert.match(c.summary, /over ipv6/);
  });
});
