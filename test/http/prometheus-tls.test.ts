// End to end: a real Prometheus (Debian package `prometheus`) scrapes the real exporter over TLS with a
// client certificate and basic auth, as a user's scrape config would (`scheme: https`, `tls_config`,
// `basic_auth`): up == 1 and the exporter's series arrive. A second job with a wrong password is refused
// with 401. The certificate is then rotated behind the `..data` symlink, as the kubelet updates a
// mounted Secret: Prometheus keeps scraping with no failed scrape.
//
// Skips locally without /usr/bin/prometheus or openssl; fails under CI=true.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import bcrypt from 'bcryptjs';
import { stringify } from 'yaml';
import { PROMETHEUS, requireBinary } from '../artifacts/helpers.js';
import { makePki, requireOpenssl } from '../helpers/certs.js';
import { startHarness } from '../helpers/exporter.js';
import { ciliumConfig, ciliumDs, ciliumPod, twoNodes } from '../../testkit/objects/minimal.js';

const PASSWORD = 'scrape-me';
const DEADLINE_MS = 60_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

interface Sample {
  metric: Record<string, string>;
  value: [number, string];
}

async function query(base: string, expr: string): Promise<Sample[]> {
  const res = await fetch(`${base}/api/v1/query?query=${encodeURIComponent(expr)}`);
  const body = (await res.json()) as { status: string; data?: { result: Sample[] }; error?: string };
  if (body.status !== 'success') throw new Error(`${expr}: ${body.error}`);
  return body.data?.result ?? [];
}

/** Poll Prometheus (a separate process: there is no event to await) until pred holds, bounded. */
async function eventually<T>(what: string, fn: () => Promise<T | undefined>, log: () => string): Promise<T> {
  const deadline = Date.now() + DEADLINE_MS;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    await sleep(250);
  }
  assert.fail(`${what} not within ${DEADLINE_MS / 1000}s (${String(last ?? '')}):\n${log()}`);
}

function served(url: string, ca: Buffer, client: { cert: Buffer; key: Buffer }): Promise<string> {
  return new Promise((resolve, reject) => {
    https
      .get(`${url}/healthz`, { ca, ...client, servername: 'localhost', agent: false }, (res) => {
        resolve((res.socket as TLSSocket).getPeerX509Certificate()?.fingerprint256 ?? '');
        res.resume();
      })
      .on('error', reject);
  });
}

test(
  'a real Prometheus scrapes over TLS with a client certificate and basic auth; a wrong password is refused; rotation loses no scrape',
  { timeout: 240_000 },
  async (t) => {
    if (!requireBinary(t, PROMETHEUS) || !requireOpenssl(t)) return;
    const pki = makePki('spx-e2e-ca');
    const dir = mkdtempSync(join(tmpdir(), 'spx-prom-tls-'));
    let prom: ChildProcess | undefined;
    let promLog = '';
    let harness: Awaited<ReturnType<typeof startHarness>> | undefined;
    try {
      const [serverA, serverB, client] = [
        pki.issue('server-a', 'server'),
        pki.issue('server-b', 'server'),
        pki.issue('prometheus', 'client'),
      ];
      // a mounted Secret: files are links into ..data, which the kubelet swaps in one rename
      const secret = join(dir, 'tls');
      let version = 0;
      const mount = (pair: { cert: string; key: string }) => {
        const v = join(secret, `..v${++version}`);
        mkdirSync(v, { recursive: true });
        writeFileSync(join(v, 'tls.crt'), readFileSync(pair.cert));
        writeFileSync(join(v, 'tls.key'), readFileSync(pair.key));
        writeFileSync(join(v, 'ca.crt'), readFileSync(pki.ca.cert));
        symlinkSync(`..v${version}`, join(secret, '..data_tmp'));
        renameSync(join(secret, '..data_tmp'), join(secret, '..data'));
        if (version === 1) for (const f of ['tls.crt', 'tls.key', 'ca.crt']) symlinkSync(join('..data', f), join(secret, f));
      };
      mount(serverA);
      const webConfig = join(dir, 'web-config.yml');
      writeFileSync(
        webConfig,
        stringify({
          tls_server_config: {
            cert_file: 'tls/tls.crt',
            key_file: 'tls/tls.key',
            client_ca_file: 'tls/ca.crt',
            client_auth_type: 'RequireAndVerifyClientCert',
            min_version: 'TLS12',
          },
          basic_auth_users: { prometheus: bcrypt.hashSync(PASSWORD, 10) },
        }),
      );
      harness = await startHarness({
        objects: [
          ...twoNodes(),
          ciliumDs('v1.18.3'),
          ciliumPod('node-aaaa1', 'v1.18.3'),
          ciliumPod('node-bbbb2', 'v1.18.3'),
          ciliumConfig({ 'kube-proxy-replacement': 'true' }),
        ],
        flags: { 'web-config-file': webConfig },
      });
      assert.match(harness.url, /^https:/);
      const target = new URL(harness.url).host;

      const port = await freePort();
      const base = `http://127.0.0.1:${port}`;
      const job = (name: string, password: string) => ({
        job_name: name,
        scheme: 'https',
        tls_config: { ca_file: pki.ca.cert, cert_file: client.cert, key_file: client.key, server_name: 'localhost' },
        basic_auth: { username: 'prometheus', password },
        static_configs: [{ targets: [target] }],
      });
      writeFileSync(
        join(dir, 'prometheus.yml'),
        stringify({
          global: { scrape_interval: '1s', scrape_timeout: '1s', evaluation_interval: '1s' },
          scrape_configs: [job('spx-tls', PASSWORD), job('spx-wrong-password', 'not-the-password')],
        }),
      );
      prom = spawn(
        PROMETHEUS,
        [
          `--config.file=${join(dir, 'prometheus.yml')}`,
          `--storage.tsdb.path=${join(dir, 'data')}`,
          `--web.listen-address=127.0.0.1:${port}`,
          '--log.level=warn',
        ],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      prom.stdout?.on('data', (b: Buffer) => (promLog += b.toString()));
      prom.stderr?.on('data', (b: Buffer) => (promLog += b.toString()));
      const log = () => `prometheus:\n${promLog}`;

      // 1. up == 1 with the exporter's own series, through TLS, the client certificate and basic auth
      await eventually(
        'up == 1 and proxy_provider scraped over TLS',
        async () => {
          if (prom!.exitCode !== null) assert.fail(`prometheus exited with ${prom!.exitCode}:\n${promLog}`);
          const r = await query(base, 'up{job="spx-tls"} == 1 and on() count(proxy_provider{job="spx-tls",type="cilium-kpr"} == 1) > 0');
          return r.length > 0 ? true : undefined;
        },
        log,
      );

      // 2. the wrong password: Prometheus is answered 401
      const refused = await eventually(
        'the wrong-password job reported down',
        async () => {
          const body = (await (await fetch(`${base}/api/v1/targets`)).json()) as {
            data: { activeTargets: { labels: { job: string }; health: string; lastError: string }[] };
          };
          const tgt = body.data.activeTargets.find((x) => x.labels.job === 'spx-wrong-password');
          return tgt && tgt.health === 'down' ? tgt : undefined;
        },
        log,
      );
      assert.match(refused.lastError, /401/);
      assert.deepEqual(await query(base, 'up{job="spx-wrong-password"} == 1'), []);

      // 3. rotation while Prometheus scrapes every second: the new certificate is served, no scrape is lost
      const ca = readFileSync(pki.ca.cert);
      const clientPair = { cert: readFileSync(client.cert), key: readFileSync(client.key) };
      const b = new X509Certificate(readFileSync(serverB.cert)).fingerprint256;
      const before = Number((await query(base, 'count_over_time(up{job="spx-tls"}[10m])'))[0]!.value[1]);
      mount(serverB);
      await eventually(
        'the rotated certificate served',
        async () => ((await served(harness!.url, ca, clientPair)) === b ? true : undefined),
        log,
      );
      await eventually(
        'five more scrapes after the rotation',
        async () => {
          const n = Number((await query(base, 'count_over_time(up{job="spx-tls"}[10m])'))[0]?.value[1] ?? 0);
          return n >= before + 5 ? n : undefined;
        },
        log,
      );
      const min = await query(base, 'min_over_time(up{job="spx-tls"}[10m])');
      assert.equal(min[0]?.value[1], '1', 'every scrape of the TLS job succeeded, before, during and after the rotation');
      prom.kill('SIGTERM');
    } finally {
      if (prom && prom.exitCode === null) prom.kill('SIGKILL');
      await harness?.close();
      pki.close();
      rmSync(dir, { recursive: true, force: true });
    }
  },
);
