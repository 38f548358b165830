// Both IP families and the health-check node ports on a real kernel data plane (iptables and ip6tables
// DNAT in a network namespace, written by the test programmer standing in for kube-proxy; the whole
// exporter inside that namespace, see families-driver.ts):
//   a dual-stack Service on a data plane that programs IPv4 only → ipv4 ok, ipv6 proxy_broken,
//   service_lb_functional 0 (kubernetes#116486); programmed in both families → both ok, functional 1;
//   a health-check node port server answering 200 on every node → serves_without_endpoint on the node
//   without an endpoint, consistent 0 (cilium/cilium#11043); answering as kube-proxy does → consistent 1.
// Needs root and ip6tables; skipped with a message otherwise, a failure under CI=true (see dataplaneSkip).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { createNetnsPair, dataplaneSkip, spawnInNamespace } from './netns.js';
import { HC_PORT, type FamiliesDriverConfig } from './families-driver.js';

const skip = (await dataplaneSkip()) ?? (await ip6tablesSkip());

/** The IPv6 half needs ip6tables too (dataplaneSkip checks iptables only); mandatory under CI=true. */
async function ip6tablesSkip(): Promise<string | undefined> {
  const ok = await promisify(execFile)('sh', ['-c', 'command -v ip6tables-restore && command -v ip6tables-save']).then(
    () => true,
    () => false,
  );
  if (ok) return undefined;
  const why = '`ip6tables-restore` is missing (Debian: apt-get install iptables)';
  if (process.env.CI === 'true') throw new Error(`data-plane test cannot run under CI=true: ${why}`);
  return `data-plane test skipped: ${why}`;
}
const driver = fileURLToPath(new URL('./families-driver.ts', import.meta.url));
const NODE_B = '198.18.0.3';

async function play(scenario: FamiliesDriverConfig['scenario']): Promise<Record<string, any>> {
  const pair = await createNetnsPair({ ipv6: true });
  const dir = mkdtempSync(join(tmpdir(), 'spe-families-'));
  try {
    let result: Record<string, any> | undefined;
    const config: FamiliesDriverConfig = {
      scenario,
      netns: pair.client,
      dir,
      clientIP: pair.clientIP,
      clientIP6: pair.clientIP6!,
      nodeBIP: NODE_B,
    };
    const child = await spawnInNamespace(pair, pair.client, driver, [JSON.stringify(config)], {
      onLine: (line) => {
        if (line.startsWith('{')) {
          const o = JSON.parse(line) as Record<string, any>;
          if (o.type === 'result') result = o;
        }
      },
    });
    await new Promise<void>((resolve) => (child.exitCode !== null ? resolve() : child.once('exit', () => resolve())));
    assert.ok(result, 'the driver reported');
    assert.equal(
      result.error,
      undefined,
      `${result.error}\n${(result.logs ?? []).join('\n')}\n${(result.programmerErrors ?? []).join('\n')}`,
    );
    return result;
  } finally {
    await pair.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('IP families and health-check node ports on a real data plane', { skip, timeout: 120_000 }, () => {
  it('a data plane programming only IPv4 of a dual-stack Service: ipv6 proxy_broken, ipv4 ok, service_lb_functional 0', async () => {
    const r = await play('dual-stack');
    const why = JSON.stringify(r.broken, null, 1);
    assert.deepEqual(
      r.broken.verdicts,
      [
        { family: 'ipv4', verdict: 'ok' },
        { family: 'ipv6', verdict: 'proxy_broken' },
      ],
      why,
    );
    assert.equal(r.broken.functional, false, why);
    const m = r.broken.metrics as Record<string, number>;
    assert.equal(m.service_lb_functional, 0, why);
    assert.equal(m['service_lb_probe_verdict{probe="apps/web",family="ipv6",verdict="proxy_broken"}'], 1, why);
    assert.equal(m['service_lb_probe_verdict{probe="apps/web",family="ipv4",verdict="ok"}'], 1, why);
    assert.equal(m['service_lb_probe_success{probe="apps/web",path="vip",family="ipv6"}'], 0, why);
    assert.equal(m['service_lb_probe_success{probe="apps/web",path="endpoint",family="ipv6"}'], 1, 'the IPv6 backend answers directly');
    // programmed in both families, the same Service heals
    assert.deepEqual(r.healed.verdicts, [
      { family: 'ipv4', verdict: 'ok' },
      { family: 'ipv6', verdict: 'ok' },
    ]);
    assert.equal(r.healed.metrics.service_lb_functional, 1);
  });

  it("a health-check server answering 200 on every node: serves_without_endpoint on the node without one; kube-proxy's answers: consistent", async () => {
    const r = await play('health-check');
    const why = JSON.stringify(r.wrong.service, null, 1);
    assert.equal(r.wrong.service.port, HC_PORT);
    assert.equal(r.wrong.service.consistent, false, why);
    const byNode = Object.fromEntries(
      (r.wrong.service.nodes as { node: string; kind?: string; agreed: boolean }[]).map((n) => [n.node, n]),
    );
    assert.equal(byNode['node-a']!.agreed, true, 'node-a hosts the endpoint: 200 is right');
    assert.equal(byNode['node-b']!.kind, 'serves_without_endpoint', why);
    const m = r.wrong.metrics as Record<string, number>;
    assert.equal(m['service_lb_health_check_consistent{probe="apps/lb"}'], 0);
    assert.ok(m['service_lb_health_check_mismatches_total{probe="apps/lb",kind="serves_without_endpoint"}']! >= 1);
    assert.equal(m['service_lb_health_check_mismatches_total{probe="apps/lb",kind="refuses_with_endpoint"}'], 0);
    const check = (r.wrong.diagnose.checks as { id: string; status: string; runbook?: string }[]).find(
      (c) => c.id === 'datapath.health_check.apps/lb',
    );
    assert.equal(check?.status, 'fail');
    assert.equal(check?.runbook, 'ServiceHealthCheckNodePortWrong');
    assert.match(r.statusPage, /Health-check node ports/);
    assert.match(r.statusPage, /ServiceHealthCheckNodePortWrong/);
    // answered as kube-proxy does (503 on node-b): consistent, and the counter stops growing
    assert.equal(r.fixed.service.consistent, true, JSON.stringify(r.fixed.service, null, 1));
    assert.equal(r.fixed.metrics['service_lb_health_check_consistent{probe="apps/lb"}'], 1);
  });
});
