// The exporter's connection to the API server: resolved by client-node in a worker thread, then
// plain node:http/https in the main thread, which keeps the credential fresh.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { stringify } from 'yaml';
import { startHarness, sample } from '../helpers/exporter.js';
import { startFakeApiServer } from '../../testkit/apiserver/index.js';
import { openConnection, KubeconfigError } from '../../src/cluster/kubeconfig.js';
import { ApiError, request } from '../../src/cluster/connection.js';

const ROOT = resolve(import.meta.dirname, '../..');

/** A kubeconfig whose user reads its bearer token from a file, as the in-cluster service account does. */
function tokenFileKubeconfig(url: string, tokenFile: string): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'fake', cluster: { server: url, 'insecure-skip-tls-verify': true } }],
    // client-node's loadFromCluster() builds exactly this user: its FileAuth reads the file
    users: [{ name: 'sa', user: { 'auth-provider': { name: 'tokenFile', config: { tokenFile } } } }],
    contexts: [{ name: 'fake', context: { cluster: 'fake', user: 'sa' } }],
    'current-context': 'fake',
  });
}

const agent = {
  apiVersion: 'apps/v1',
  kind: 'DaemonSet',
  metadata: { namespace: 'kube-system', name: 'kube-proxy' },
  spec: { template: { spec: { containers: [{ name: 'kube-proxy', image: 'registry.k8s.io/kube-proxy:v1.31.0' }] } } },
  status: { desiredNumberScheduled: 0, numberReady: 0 },
};

describe('API connection', () => {
  it('picks up a token rotated on disk without a restart, when the API server rejects the old one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'spx-token-'));
    const tokenFile = join(dir, 'token');
    writeFileSync(tokenFile, 'token-1\n');
    const h = await startHarness({
      objects: [agent],
      api: { tokens: ['token-1'] },
      kubeconfig: (url) => tokenFileKubeconfig(url, tokenFile),
    });
    try {
      await h.ready();
      await h.watching();
      // the kubelet writes a new token; the API server stops accepting the old one at once
      writeFileSync(tokenFile, 'token-2\n');
      h.api.setTokens(['token-2']);
      const from = h.api.requests.length;
      // every watch reconnects: each new request must carry the new token
      const signal = AbortSignal.timeout(15_000);
      const rewatched = [...h.running.exporter.sources.reflectors.values()]
        .filter((r) => r.watching)
        .map((r) => once(r, 'watching', { signal }));
      assert.ok(h.api.dropWatches() > 0);
      await Promise.all(rewatched);
      const after = h.api.requests.slice(from);
      assert.ok(
        after.some((r) => r.status === 401),
        'the old token was refused at least once',
      );
      assert.ok(
        after.some((r) => r.watch && r.status === 200),
        'watches were re-established with the new token',
      );
      assert.ok(h.conn.stats.unauthorized >= 1);
      assert.equal(h.running.exporter.readiness().ready, true);
      const text = await h.scrape();
      assert.equal(sample(text, 'service_proxy_exporter_source_up{source="daemonsets"}'), 1);
      // and a later request goes out with the new token first time
      const before401 = h.conn.stats.unauthorized;
      await request(h.conn, 'GET', '/api/v1/nodes');
      assert.equal(h.conn.stats.unauthorized, before401);
    } finally {
      await h.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('re-reads the token file on its interval, before the API server refuses anything', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'spx-token-'));
    const tokenFile = join(dir, 'token');
    writeFileSync(tokenFile, 'a');
    const api = await startFakeApiServer({ tokens: ['a'] });
    const kc = join(dir, 'kubeconfig');
    writeFileSync(kc, tokenFileKubeconfig(api.url, tokenFile));
    let now = 0;
    const conn = await openConnection(kc, undefined, { tokenRereadMs: 60_000, now: () => now });
    try {
      await request(conn, 'GET', '/api/v1/nodes');
      writeFileSync(tokenFile, 'b');
      api.setTokens(['a', 'b']);
      now += 30_000;
      await request(conn, 'GET', '/api/v1/nodes');
      assert.equal(api.requests.at(-1)!.status, 200);
      now += 31_000; // a minute since the last read: the next request reads the file again
      api.setTokens(['b']);
      await request(conn, 'GET', '/api/v1/nodes');
      assert.equal(conn.stats.unauthorized, 0, 'the new token went out before the old one was refused');
    } finally {
      conn.close();
      await api.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('runs an exec plugin again before its credential expires, so the expired token is never sent', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'spx-exec-'));
    // an EKS/GKE-style plugin: a new token each run, valid for 3 s (client.authentication.k8s.io ExecCredential)
    const plugin = join(dir, 'plugin.mjs');
    const runs = join(dir, 'runs');
    writeFileSync(
      plugin,
      `import { existsSync, readFileSync, writeFileSync } from 'node:fs';
const n = (existsSync(${JSON.stringify(runs)}) ? Number(readFileSync(${JSON.stringify(runs)}, 'utf8')) : 0) + 1;
writeFileSync(${JSON.stringify(runs)}, String(n));
process.stdout.write(JSON.stringify({
  apiVersion: 'client.authentication.k8s.io/v1', kind: 'ExecCredential',
  status: { token: 'exec-' + n, expirationTimestamp: new Date(Date.now() + 3000).toISOString() },
}));
`,
    );
    const api = await startFakeApiServer({ tokens: ['exec-1'] });
    const kc = join(dir, 'kubeconfig');
    writeFileSync(
      kc,
      stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [{ name: 'fake', cluster: { server: api.url, 'insecure-skip-tls-verify': true } }],
        users: [
          {
            name: 'exec',
            user: {
              exec: { apiVersion: 'client.authentication.k8s.io/v1', command: process.execPath, args: [plugin], interactiveMode: 'Never' },
            },
          },
        ],
        contexts: [{ name: 'fake', context: { cluster: 'fake', user: 'exec' } }],
        'current-context': 'fake',
      }),
    );
    const events: string[] = [];
    let renewed!: () => void;
    const renewal = new Promise<void>((r) => (renewed = r));
    const conn = await openConnection(kc, undefined, {
      onEvent: (e) => {
        events.push(e);
        if (e === 'resolved') renewed();
      },
    });
    try {
      await request(conn, 'GET', '/api/v1/nodes');
      assert.equal(api.requests.at(-1)!.status, 200);
      // resolved again before the 3 s are up, without any request having been refused
      const t = setTimeout(() => renewed(), 10_000);
      await renewal;
      clearTimeout(t);
      assert.deepEqual(events, ['resolved'], 'the plugin ran again on its own within 10 s');
      assert.equal(readFileSync(runs, 'utf8'), '2');
      assert.equal(conn.stats.unauthorized, 0);
      // the API server now takes only the new credential: the next request carries it first time
      api.setTokens(['exec-2']);
      await request(conn, 'GET', '/api/v1/nodes');
      assert.equal(api.requests.at(-1)!.status, 200);
      assert.equal(conn.stats.unauthorized, 0, 'the expired token was never sent');
      assert.deepEqual(events, ['resolved']);
    } finally {
      conn.close();
      await api.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('answers a failed request with the status and the API reason; writes are one call', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'spx-conn-'));
    const api = await startFakeApiServer({ tokens: ['t'] });
    const kc = join(dir, 'kubeconfig');
    writeFileSync(kc, tokenFileKubeconfig(api.url, join(dir, 'token')));
    writeFileSync(join(dir, 'token'), 'wrong');
    const conn = await openConnection(kc);
    try {
      const err = await request(conn, 'GET', '/api/v1/nodes').catch((e: unknown) => e);
      assert.ok(err instanceof ApiError);
      assert.equal(err.code, 401);
      assert.equal(err.reason, 'Unauthorized');
    } finally {
      conn.close();
      await api.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a kubeconfig mistake is a one-line KubeconfigError naming the file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'spx-conn-'));
    try {
      const missing = join(dir, 'nope');
      await assert.rejects(
        openConnection(missing),
        (e: unknown) => e instanceof KubeconfigError && /--kubeconfig: .*nope does not exist/.test(e.message),
      );
      const bad = join(dir, 'bad');
      writeFileSync(
        bad,
        stringify({
          apiVersion: 'v1',
          kind: 'Config',
          clusters: [{ name: 'c', cluster: { server: 'ftp://x' } }],
          contexts: [{ name: 'c', context: { cluster: 'c' } }],
          'current-context': 'c',
        }),
      );
      await assert.rejects(openConnection(bad), (e: unknown) => e instanceof KubeconfigError && /not an http\(s\) URL/.test(e.message));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('serve never loads @kubernetes/client-node in the main thread (only its resolver worker does)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'spx-noclient-'));
    const api = await startFakeApiServer();
    api.store.apply(agent as never);
    const kc = join(dir, 'kubeconfig');
    writeFileSync(kc, tokenFileKubeconfig(api.url, join(dir, 'token')));
    writeFileSync(join(dir, 'token'), 'x');
    const record = join(dir, 'resolved.txt');
    // module hooks see every import the main thread resolves; a worker's own imports only when the
    // runtime passes hooks on to workers, and those come from the resolver worker (checked below)
    const hooks = `import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const r = await next(specifier, context);
  if (r.url.includes('/@kubernetes/client-node/') && !(context.parentURL ?? '').includes('/@kubernetes/client-node/')) {
    appendFileSync(${JSON.stringify(record)}, (context.parentURL ?? '') + ' -> ' + r.url + '\\n');
  }
  if (specifier === 'prom-client') appendFileSync(${JSON.stringify(record)}, 'seen prom-client\\n');
  return r;
}`;
    const registerHooks = `import { register } from 'node:module'; register(${JSON.stringify(`data:text/javascript,${encodeURIComponent(hooks)}`)});`;
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        '--import',
        `data:text/javascript,${encodeURIComponent(registerHooks)}`,
        join(ROOT, 'src/cli/main.ts'),
        'serve',
        '--kubeconfig',
        kc,
        '--listen',
        '127.0.0.1:0',
        '--log-format',
        'json',
        '--probe-interval',
        '1h',
      ],
      { cwd: ROOT, env: { PATH: process.env.PATH ?? '', HOME: dir }, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    try {
      const url = await new Promise<string>((ok, fail) => {
        const timer = setTimeout(() => fail(new Error('serve did not start listening in 60 s')), 60_000);
        createInterface({ input: child.stderr! }).on('line', (line) => {
          try {
            const e = JSON.parse(line) as { message?: string; url?: string };
            if (e.message === 'listening' && e.url) {
              clearTimeout(timer);
              ok(e.url);
            }
          } catch {
            // not a log line
          }
        });
        child.once('exit', (code) => fail(new Error(`serve exited (${code})`)));
      });
      for (let i = 0; i < 200; i++) {
        if ((await fetch(`${url}/readyz`)).status === 200) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      assert.equal((await fetch(`${url}/readyz`)).status, 200, 'serve became ready through the worker-resolved connection');
      const entries = existsSync(record) ? readFileSync(record, 'utf8').trim().split('\n').filter(Boolean) : [];
      assert.ok(entries.includes('seen prom-client'), "the hook sees the main thread's imports");
      const fromMain = entries.filter(
        (e) => e !== 'seen prom-client' && !/\/src\/cluster\/resolve-worker\.(ts|js) -> /.test(e) && !e.startsWith('data:'),
      );
      assert.deepEqual(fromMain, [], 'no module outside the resolver worker imports client-node');
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
      await api.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
