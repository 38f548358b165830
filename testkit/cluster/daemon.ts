// The cluster's supervisor, one detached process per cluster (started by `npm run cluster -- up`): it builds the
// network, runs the control plane and one kubelet per node, installs the kubeadm add-ons, waits until the cluster is
// usable, then keeps it running until SIGTERM (`down`), when it stops everything and removes what it made.
//
// It answers on a unix socket (<state>/control.sock) for tests: GET /status (pids of components and containers),
// POST /restart/<component> (the component is killed and its supervisor starts it again, as a static pod restarts).
import { createServer } from 'node:http';
import { appendFileSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { NET, apiserverUrl, nodePlan, stateDir, type ClusterOptions } from './config.js';
import { ensureBinaries, binaryPath } from './binaries.js';
import { makePki } from './pki.js';
import { writeKubeconfig } from './kubeconfig.js';
import { auditPolicy, controlPlaneSpecs, COMPONENTS, type Component } from './controlplane.js';
import { ManagedProcess } from './process.js';
import { routeServicesFromHost, setUpHost, setUpNode, tearDownAll } from './network.js';
import { ApiClient } from './api.js';
import { Kubelet } from './kubelet/kubelet.js';
import { imageTable } from './kubelet/images.js';
import { STAGE } from './kubelet/pod.js';
import { coreDnsObjects, kubeProxyObjects, monitoringCrds } from './addons.js';
import { run } from './exec.js';
import { readState, writeState, removeCreatedPaths, type ClusterState } from './state.js';

const dir = stateDir();
const logFile = join(dir, 'logs', 'daemon.log');

function log(line: string): void {
  appendFileSync(logFile, `${new Date().toISOString()} ${line}\n`);
}

async function waitFor<T>(what: string, timeoutMs: number, check: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      last = (err as Error).message;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? ` (last error: ${last})` : ''}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function main(): Promise<void> {
  const opts = JSON.parse(process.argv[2]!) as ClusterOptions;
  mkdirSync(join(dir, 'logs'), { recursive: true });
  log(`starting: ${JSON.stringify(opts)}`);
  const state: ClusterState = { pid: process.pid, opts, phase: 'starting', createdPaths: [] };
  writeState(state);

  const components = new Map<Component, ManagedProcess>();
  const kubelets: Kubelet[] = [];
  let shuttingDown = false;
  const shutdown = async (code: number) => {
    if (shuttingDown) return;
    shuttingDown = true;
    log('stopping');
    await Promise.all(kubelets.map((k) => k.stop().catch(() => undefined)));
    // Reverse order: nothing writes to etcd while it stops.
    for (const name of [...COMPONENTS].reverse()) await components.get(name)?.stop(5000);
    await tearDownAll();
    removeCreatedPaths(readState()?.createdPaths ?? state.createdPaths);
    writeState({ ...state, createdPaths: [], phase: state.phase === 'failed' ? 'failed' : 'stopped' });
    log('stopped');
    process.exit(code);
  };
  process.on('SIGTERM', () => void shutdown(0));
  process.on('SIGINT', () => void shutdown(0));

  try {
    const bin = await ensureBinaries(log);
    const pki = await makePki(join(dir, 'pki'), opts);
    const kc = (name: 'admin' | 'kube-controller-manager' | 'kube-scheduler' | 'kubelet') => join(dir, `${name}.kubeconfig`);
    for (const [name, user] of [
      ['admin', 'kubernetes-admin'],
      ['kube-controller-manager', 'system:kube-controller-manager'],
      ['kube-scheduler', 'system:kube-scheduler'],
      ['kubelet', 'testbed-kubelet'],
    ] as const) {
      writeKubeconfig(kc(name), apiserverUrl(), pki.caCert, pki.client(name), user);
    }
    const auditPolicyFile = join(dir, 'audit-policy.yaml');
    writeFileSync(auditPolicyFile, auditPolicy());

    log('network');
    await tearDownAll();
    await setUpHost(opts);
    const plans = Array.from({ length: opts.nodes }, (_, i) => nodePlan(i));
    for (const p of plans) await setUpNode(p, opts, plans);

    const specs = controlPlaneSpecs(
      {
        bin,
        state: dir,
        pki,
        auditPolicy: auditPolicyFile,
        kubeconfigs: {
          admin: kc('admin'),
          'kube-controller-manager': kc('kube-controller-manager'),
          'kube-scheduler': kc('kube-scheduler'),
          kubelet: kc('kubelet'),
        },
      },
      opts,
    );
    const startComponent = (name: Component) => {
      const p = new ManagedProcess(specs[name]);
      p.on('exit', (info) => log(`${name} exited (code ${info.code}, signal ${info.signal})`));
      components.set(name, p);
      p.start();
    };
    const admin = new ApiClient({ server: apiserverUrl(), ca: pki.caCert, ...pki.client('admin'), userAgent: 'spe-testbed-daemon' });

    log('etcd');
    startComponent('etcd');
    await waitFor('etcd', 60_000, async () => (await fetch(`http://127.0.0.1:${NET.etcdClientPort}/health`)).ok || undefined);
    log('kube-apiserver');
    startComponent('kube-apiserver');
    await waitFor('kube-apiserver /readyz', 120_000, async () => ((await admin.get('/readyz')) === 'ok' ? true : undefined));
    log('kube-controller-manager, kube-scheduler');
    startComponent('kube-controller-manager');
    startComponent('kube-scheduler');

    const kubeletApi = new ApiClient({
      server: apiserverUrl(),
      ca: pki.caCert,
      ...pki.client('kubelet'),
      userAgent: 'spe-testbed-kubelet',
    });
    const images = imageTable(bin);
    const createdOnHost = (path: string) => {
      if (state.createdPaths.includes(path)) return;
      state.createdPaths.push(path);
      writeState(state);
    };
    // The staging folder every container's mount namespace mounts its own tmpfs on (kubelet/pod.ts).
    if (!existsSync(STAGE)) {
      mkdirSync(STAGE, { recursive: true });
      createdOnHost(STAGE);
    }
    for (const p of plans) {
      const k = new Kubelet(p, kubeletApi, opts, images, dir, createdOnHost, log);
      await k.register();
      k.run();
      kubelets.push(k);
    }

    log('add-ons');
    // The root CA ConfigMap is what every pod's projected token volume mounts: wait for its publisher first.
    await waitFor('kube-root-ca.crt', 60_000, async () => admin.get('/api/v1/namespaces/kube-system/configmaps/kube-root-ca.crt'));
    const addons = join(dir, 'addons.yaml');
    writeFileSync(addons, [...kubeProxyObjects(opts), ...coreDnsObjects(opts), ...monitoringCrds()].map((o) => stringify(o)).join('---\n'));
    await run(binaryPath(bin, 'kubectl'), ['--kubeconfig', kc('admin'), 'apply', '-f', addons]);
    await routeServicesFromHost(plans[0]!, opts);

    await waitFor('nodes Ready', 60_000, async () => {
      const nodes = await admin.get('/api/v1/nodes');
      return nodes.items.length === opts.nodes &&
        nodes.items.every((n: any) => n.status.conditions?.some((c: any) => c.type === 'Ready' && c.status === 'True'))
        ? true
        : undefined;
    });
    await waitFor('kube-proxy on every node', 120_000, async () => {
      const ds = await admin.get('/apis/apps/v1/namespaces/kube-system/daemonsets/kube-proxy');
      return ds.status?.desiredNumberScheduled === opts.nodes && ds.status?.numberReady === opts.nodes ? true : undefined;
    });
    await waitFor('CoreDNS', 120_000, async () => {
      const d = await admin.get('/apis/apps/v1/namespaces/kube-system/deployments/coredns');
      return (d.status?.readyReplicas ?? 0) >= 1 ? true : undefined;
    });

    const control = join(dir, 'control.sock');
    rmSync(control, { force: true });
    createServer((req, res) => {
      const send = (code: number, body: unknown) => {
        res.writeHead(code, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      if (req.method === 'GET' && req.url === '/status') {
        return send(200, {
          components: Object.fromEntries([...components].map(([n, p]) => [n, { pid: p.pid, restarts: p.restarts }])),
          nodes: kubelets.map((k) => ({ name: k.node.name, netns: k.node.netns, ip: k.node.ipV4, pods: k.pods() })),
        });
      }
      const m = /^\/restart\/([a-z-]+)$/.exec(req.url ?? '');
      if (req.method === 'POST' && m && components.has(m[1] as Component)) {
        const p = components.get(m[1] as Component)!;
        const old = p.pid;
        p.kill('SIGTERM');
        return send(202, { restarted: m[1], oldPid: old });
      }
      send(404, { error: 'GET /status, POST /restart/<component>' });
    }).listen(control);

    state.phase = 'ready';
    state.kubeconfig = kc('admin');
    state.kubectl = binaryPath(bin, 'kubectl');
    state.bin = bin;
    writeState(state);
    log('ready');
  } catch (err) {
    log(`failed: ${(err as Error).stack ?? err}`);
    await dumpPods(log);
    state.phase = 'failed';
    state.error = (err as Error).message;
    writeState(state);
    await shutdown(1);
  }
}

/** What every pod was doing when start-up failed, for the log: the usual answer to "why did it time out". */
async function dumpPods(write: (l: string) => void): Promise<void> {
  try {
    const pki = join(dir, 'pki');
    const admin = new ApiClient({
      server: apiserverUrl(),
      ca: join(pki, 'ca.crt'),
      cert: join(pki, 'admin.crt'),
      key: join(pki, 'admin.key'),
      userAgent: 'spe-testbed-daemon',
    });
    const pods = await admin.get('/api/v1/pods');
    for (const p of pods.items) {
      const states = (p.status?.containerStatuses ?? []).map((c: any) => `${c.name}=${JSON.stringify(c.state)} restarts=${c.restartCount}`);
      write(`pod ${p.metadata.namespace}/${p.metadata.name} node=${p.spec.nodeName ?? '-'} phase=${p.status?.phase} ${states.join(' ')}`);
    }
  } catch (err) {
    write(`pods not listed: ${(err as Error).message}`);
  }
}

if (!existsSync(dir)) mkdirSync(dir, { recursive: true });
void main();
