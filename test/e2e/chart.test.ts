// The Helm chart on the real cluster (testkit/cluster), as users install it: `helm install`, the exporter reports
// kube-proxy and a working verdict; `helm upgrade` to daemonset mode with TLS and basic auth on /metrics, scraped by a
// real Prometheus (Debian package); `helm uninstall` leaves nothing behind, the canary's EndpointSlice and Lease
// included. Needs root, ip, iptables, Go (helm is built from its module), openssl and prometheus; mandatory under CI=true.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import bcrypt from 'bcryptjs';
import { stringify } from 'yaml';
import { down, missingPrerequisite, up, type Cluster } from '../../testkit/cluster/index.js';
import { REPO_ROOT } from '../../testkit/cluster/config.js';
import { apply, kubectlJson, waitFor } from '../../testkit/cluster/testing.js';
import { CHART, helmBinary } from '../deploy/helm.js';
import { makePki, opensslAvailable } from '../helpers/certs.js';
import { parseExposition, valueOf } from './alerts.js';
import { e2eSkip } from './skip.js';

process.env.SPE_CLUSTER_DIR ??= `${REPO_ROOT}/.cache/cluster-test`;

const has = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
const skip = e2eSkip(
  missingPrerequisite({ proxyMode: 'iptables' }) ??
    (!opensslAvailable() ? 'openssl is missing' : !has('prometheus') ? 'prometheus is missing (Debian package prometheus)' : undefined),
);

const NS = 'service-proxy-exporter';
const RELEASE = 'spe';
const PASSWORD = 'scrape-me';

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

function exporterPods(c: Cluster): any[] {
  return kubectlJson(c, ['-n', NS, 'get', 'pods', '-l', 'app.kubernetes.io/component=exporter']).items.filter(
    (p: any) => !p.metadata.deletionTimestamp,
  );
}

describe('the Helm chart on the real cluster', { skip, timeout: 15 * 60_000 }, () => {
  let c: Cluster;
  let helm: string;
  const dir = mkdtempSync(join(tmpdir(), 'spe-chart-e2e-'));
  const run = (args: string[]) => {
    const r = spawnSync(helm, [...args, '--kubeconfig', c.kubeconfig], { encoding: 'utf8', timeout: 6 * 60_000 });
    assert.equal(r.status, 0, `helm ${args.join(' ')}:\n${r.stderr}${r.stdout}`);
    return r.stdout;
  };

  before(async () => {
    const h = await helmBinary();
    if (!h.ok) throw new Error(h.why);
    helm = h.path;
    c = await up({ nodes: 2, proxyMode: 'iptables', dualStack: false }, () => undefined);
  });

  after(async () => {
    rmSync(dir, { recursive: true, force: true });
    if (!skip) await down(() => undefined);
  });

  it('helm install: the exporter reports kube-proxy and a working verdict', async () => {
    run(['install', RELEASE, CHART, '-n', NS, '--create-namespace', '--wait', '--timeout', '5m']);
    const ip = exporterPods(c)[0].status.podIP as string;
    await waitFor('kube-proxy and a working verdict', 180_000, async () => {
      const s = parseExposition(await (await fetch(`http://${ip}:9808/metrics`)).text());
      return valueOf(s, 'proxy_provider', { type: 'kube-proxy' }) === 1 &&
        valueOf(s, 'service_lb_functional') === 1 &&
        valueOf(s, 'service_lb_probe_verdict', { probe: 'apiserver', verdict: 'ok' }) === 1
        ? true
        : undefined;
    });
  });

  it('helm upgrade to daemonset mode with TLS and basic auth: a real Prometheus scrapes every replica over https', async () => {
    const pki = makePki('spe-chart-e2e');
    const server = pki.issue('exporter', 'server');
    const webConfig = stringify({
      tls_server_config: { cert_file: '/etc/service-proxy-exporter/web/tls.crt', key_file: '/etc/service-proxy-exporter/web/tls.key' },
      basic_auth_users: { prometheus: bcrypt.hashSync(PASSWORD, 10) },
    });
    apply(c, [
      {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'spe-web', namespace: NS },
        stringData: {
          'web-config.yml': webConfig,
          'tls.crt': readFileSync(server.cert, 'utf8'),
          'tls.key': readFileSync(server.key, 'utf8'),
        },
      },
    ]);
    run([
      'upgrade',
      RELEASE,
      CHART,
      '-n',
      NS,
      '--reuse-values',
      '--set',
      'mode=daemonset',
      '--set',
      'webConfig.secretName=spe-web',
      '--wait',
      '--timeout',
      '5m',
    ]);
    const ds = kubectlJson(c, ['-n', NS, 'get', 'daemonset', 'service-proxy-exporter']);
    assert.equal(ds.status.numberReady, 2, 'a replica per node');
    const pods = await waitFor('two replicas with IPs', 60_000, () => {
      const p = exporterPods(c).filter((x) => x.status.podIP && x.metadata.ownerReferences?.[0]?.kind === 'DaemonSet');
      return p.length === 2 ? p : undefined;
    });

    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    writeFileSync(
      join(dir, 'prometheus.yml'),
      stringify({
        global: { scrape_interval: '2s', scrape_timeout: '2s' },
        scrape_configs: [
          {
            job_name: 'service-proxy-exporter',
            scheme: 'https',
            tls_config: { ca_file: pki.ca.cert, server_name: 'localhost' },
            basic_auth: { username: 'prometheus', password: PASSWORD },
            static_configs: [{ targets: pods.map((p) => `${p.status.podIP}:9808`) }],
          },
        ],
      }),
    );
    let prom: ChildProcess | undefined;
    let log = '';
    try {
      prom = spawn(
        'prometheus',
        [
          `--config.file=${join(dir, 'prometheus.yml')}`,
          `--storage.tsdb.path=${join(dir, 'data')}`,
          `--web.listen-address=127.0.0.1:${port}`,
        ],
        {
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      prom.stderr!.on('data', (b: Buffer) => (log += b.toString()));
      const result = await waitFor('both replicas scraped over TLS with kube-proxy reported', 120_000, async () => {
        const q = encodeURIComponent('count(up{job="service-proxy-exporter"} == 1) and count(proxy_provider{type="kube-proxy"} == 1)');
        const body = (await (await fetch(`${base}/api/v1/query?query=${q}`)).json()) as { data: { result: { value: [number, string] }[] } };
        return body.data.result[0]?.value[1] === '2' ? body : undefined;
      }).catch((err: Error) => {
        throw new Error(`${err.message}\nprometheus:\n${log.slice(-2000)}`);
      });
      assert.ok(result);
    } finally {
      prom?.kill('SIGTERM');
    }
    // Plain HTTP and a wrong password are refused.
    const plain = await fetch(`http://${pods[0].status.podIP}:9808/metrics`).then(
      (r) => r.status,
      () => 'refused',
    );
    assert.notEqual(plain, 200);
  });

  it('helm uninstall leaves nothing behind, the canary objects included', async () => {
    run(['uninstall', RELEASE, '-n', NS, '--wait']);
    spawnSync(c.kubectl, ['--kubeconfig', c.kubeconfig, '-n', NS, 'delete', 'secret', 'spe-web']);
    let left: string[] = [];
    await waitFor('nothing of the release left', 120_000, () => {
      left = [
        ...kubectlJson(c, ['-n', NS, 'get', 'all,endpointslices,leases,configmaps,roles,rolebindings,serviceaccounts,networkpolicies'])
          .items,
        ...kubectlJson(c, ['get', 'clusterroles,clusterrolebindings']).items.filter((o: any) =>
          o.metadata.name.startsWith('service-proxy-exporter'),
        ),
      ]
        // what Kubernetes puts in every namespace by itself
        .filter((o: any) => !(o.kind === 'ConfigMap' && o.metadata.name === 'kube-root-ca.crt'))
        .filter((o: any) => !(o.kind === 'ServiceAccount' && o.metadata.name === 'default'))
        .map((o: any) => `${o.kind}/${o.metadata.name}`);
      return left.length === 0 ? true : undefined;
    }).catch((err: Error) => {
      throw new Error(`${err.message}: ${left.join(', ')}`);
    });
  });
});
