// The demo's simulated data path. The scenario's Service ClusterIPs (198.19.0.0/16) and pod IPs
// (198.18.0.0/16) lead nowhere on a laptop, so the Services the exporter probes are rewritten in the
// fake API store to loopback addresses where something answers:
//
//   Service               VIP (the forwarder)            backend (the EndpointSlice)
//   default/kubernetes    127.0.0.2:<eph> TCP            127.0.1.1:<eph>  HTTPS, /readyz → 200 ok
//   kube-system/kube-dns  127.0.0.10:<eph> UDP+TCP (one  127.0.1.10:<eph> DNS, UDP+TCP
//                         port number for both)
//   demo/echo (opt-in)    127.0.0.20:<eph> TCP           127.0.1.20:<eph> HTTP echo
//   the exporter's own    127.0.0.21+:<eph> TCP          the exporter's listener (addSelfService)
//   <ns>/service-proxy-   127.0.0.15:<eph> TCP+UDP       whatever the canary EndpointSlice names,
//     exporter-canary                                    programmed `canaryDelayMs` after each change;
//                                                        UDP flows pinned as by conntrack, cleared on
//                                                        each change unless staleConntrack(true)
//   <ns>/service-proxy-   127.0.0.16:<eph> TCP           one of the targets its slices name (the writer's
//     exporter-canary-                                   pod on both canary ports), the same one for as
//     affinity                                           long as it stays there: ClientIP affinity honoured
//
// The canary Service is the one dynamic thing: its EndpointSlice is written by the exporter (the
// canary writer), and this "service proxy" follows it on the fake API store, re-pointing the VIP at
// the slice's current target after a delay, like a real proxy's programming latency. freeze() stops
// that programming (every VIP, the canary's included, keeps forwarding to what it last had), thaw()
// resumes and catches up at once.
//
// The forwarders are the "service proxy". break() closes them — VIPs refuse while backends still
// answer, which the exporter classifies as proxy_broken — and heal() binds them again on the same
// addresses and ports. Ports are ephemeral (bound first, then written into the objects): no root,
// nothing below 1024, several instances side by side. Linux routes all of 127.0.0.0/8 to `lo`.
import net from 'node:net';
import type { FakeApiServer, K8sObject } from '../apiserver/index.js';
import { ANNOTATIONS } from '../../src/probe/targets.js';
import { AFFINITY_NAME, affinityTargets } from '../../src/canary/objects.js';
import { startApiServerBackend, startDnsBackend, startEchoBackend, type Backend } from './backends.js';
import { canaryForwarder, dnsForwarder, tcpForwarder, type ConntrackForwarder, type Forwarder } from './forward.js';

export interface DemoDataPlane {
  /**
   * Stop forwarding VIP traffic (the "service proxy" breaks): every VIP refuses connections (UDP:
   * port unreachable) while the backends keep answering. `broken` is true at once; the promise
   * resolves when the VIP sockets are closed.
   */
  break(): Promise<void>;
  /** Forward again, on the same addresses and ports. Rejects only if a VIP port cannot be bound again. */
  heal(): Promise<void>;
  readonly broken: boolean;
  /**
   * Register the exporter's own Service (call once the exporter listens): writes the Service and
   * its EndpointSlice (endpoint = `host:port`) and a VIP forwarder to it. Registering the same
   * namespace/name again replaces the backend, keeping the VIP.
   */
  addSelfService(o: { namespace: string; name: string; host: string; port: number }): Promise<void>;
  /** What is where, for logs and the status line of the demo. */
  describe(): DataPlaneEntry[];
  /**
   * Stop programming the canary (the service proxy no longer takes changes): slice changes are
   * recorded, nothing is re-pointed, forwarding of everything already programmed goes on.
   */
  freeze(): void;
  /** Resume programming; the canary's current slice target is programmed at once. */
  thaw(): void;
  readonly frozen: boolean;
  /**
   * true: stop clearing the canary's UDP flows after a change (a service proxy that leaves stale
   * conntrack entries, kubernetes#139628): a long-lived UDP flow stays on the old target while TCP
   * follows. false: clear them again, at once and after every change.
   */
  staleConntrack(on: boolean): void;
  readonly conntrackStale: boolean;
  /** The canary VIP and what it forwards to now; undefined without the canary option. */
  canary(): CanaryState | undefined;
  /** Stops every forwarder and backend; idempotent. Does not touch the store. */
  close(): Promise<void>;
}

export interface DataPlaneEntry {
  /** `<namespace>/<name>` */
  service: string;
  vip: string;
  port: number;
  protocols: ('TCP' | 'UDP')[];
  /** `host:port` of the backend */
  backend: string;
}

export interface DemoDataPlaneOptions {
  /** default `cluster.local`; must match the exporter's --cluster-domain */
  clusterDomain?: string;
  /** write the canary Service into this namespace (the exporter's) and program its EndpointSlice */
  canary?: { namespace: string; delayMs?: number };
}

export interface CanaryState {
  /** `<namespace>/service-proxy-exporter-canary` */
  service: string;
  vip: string;
  /** the Service port (ephemeral on loopback, not 80: nothing below 1024 without root) */
  port: number;
  /** `host:port` the VIP forwards to now; undefined: nothing programmed (connections are reset) */
  programmed?: string;
  /** `host:port` the slice names now; differs from programmed while a change waits (delay or freeze) */
  desired?: string;
  /** Date.now() of the last programming */
  programmedAt?: number;
  delayMs: number;
}

/** The canary objects' names (see the issue's contract): Service, EndpointSlice and Lease share it. */
export const DEMO_CANARY = { name: 'service-proxy-exporter-canary', portName: 'canary', defaultDelayMs: 300 } as const;

/** The loopback plan. All in 127.0.0.0/8; VIPs in 127.0.0.x, backends in 127.0.1.x. */
export const DEMO_ADDRESSES = {
  apiserverVip: '127.0.0.2',
  dnsVip: '127.0.0.10',
  canaryVip: '127.0.0.15',
  /** the session-affinity canary Service (src/canary/affinity.ts) */
  affinityVip: '127.0.0.16',
  echoVip: '127.0.0.20',
  /** the exporter's own Service gets 127.0.0.21, a second one 127.0.0.22, … */
  firstSelfVip: 21,
  apiserverBackend: '127.0.1.1',
  dnsBackend: '127.0.1.10',
  echoBackend: '127.0.1.20',
} as const;

/** The opt-in demo Service, annotated so the exporter probes it over HTTP `/`. */
export const DEMO_ECHO_SERVICE = { namespace: 'demo', name: 'echo' } as const;

const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';
const MANAGED_BY = 'service-proxy-exporter.io/demo-dataplane';

interface PortSpec {
  name: string;
  protocol: 'TCP' | 'UDP';
  port: number;
  targetPort: number;
}

interface ServiceSpec {
  namespace: string;
  name: string;
  vip: string;
  ports: PortSpec[];
  endpoint: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  selector?: Record<string, string>;
  /** EndpointSlice name; default `<name>-demo` */
  sliceName?: string;
  sessionAffinity?: 'ClientIP';
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const strMap = (v: unknown): Record<string, string> =>
  isObj(v) ? Object.fromEntries(Object.entries(v).filter((e): e is [string, string] => typeof e[1] === 'string')) : {};

/** Creates the Service or rewrites its addressing, keeping whatever else the scenario gave it. */
function writeService(api: FakeApiServer, s: ServiceSpec): void {
  const prev = api.store.get('services', s.namespace, s.name);
  const prevMeta = isObj(prev?.metadata) ? prev.metadata : {};
  const prevSpec = isObj(prev?.spec) ? prev.spec : {};
  const { resourceVersion: _rv, managedFields: _mf, ...keptMeta } = prevMeta;
  const spec: Record<string, unknown> = {
    ...prevSpec,
    type: 'ClusterIP',
    clusterIP: s.vip,
    clusterIPs: [s.vip],
    ipFamilies: ['IPv4'],
    ipFamilyPolicy: 'SingleStack',
    ports: s.ports.map((p) => ({ name: p.name, protocol: p.protocol, port: p.port, targetPort: p.targetPort })),
  };
  delete spec.externalName;
  delete spec.externalIPs;
  delete spec.loadBalancerIP;
  if (s.selector) spec.selector = s.selector;
  if (s.sessionAffinity) spec.sessionAffinity = s.sessionAffinity;
  api.store.apply({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      ...keptMeta,
      name: s.name,
      namespace: s.namespace,
      labels: { ...strMap(prevMeta.labels), ...s.labels },
      annotations: { ...strMap(prevMeta.annotations), ...s.annotations },
    },
    spec,
    status: { loadBalancer: {} },
  });
}

/** Replaces all EndpointSlices of the Service with one: the backend, ready, on the first Node. */
function writeSlice(api: FakeApiServer, s: ServiceSpec): void {
  for (const slice of api.store.list('endpointslices', s.namespace)) {
    const md = isObj(slice.metadata) ? slice.metadata : {};
    if (strMap(md.labels)[SERVICE_NAME_LABEL] === s.name && typeof md.name === 'string') {
      api.store.delete('endpointslices', s.namespace, md.name);
    }
  }
  const nodeName = api.store
    .list('nodes')
    .map((n) => (isObj(n.metadata) ? n.metadata.name : undefined))
    .find((n): n is string => typeof n === 'string');
  const uid = api.store.get('services', s.namespace, s.name)?.metadata?.uid;
  const ports = new Map<string, PortSpec>();
  for (const p of s.ports) ports.set(`${p.name}/${p.protocol}`, p);
  api.store.apply({
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {
      name: s.sliceName ?? `${s.name}-demo`,
      namespace: s.namespace,
      labels: { [SERVICE_NAME_LABEL]: s.name, 'endpointslice.kubernetes.io/managed-by': MANAGED_BY },
      ...(uid
        ? { ownerReferences: [{ apiVersion: 'v1', kind: 'Service', name: s.name, uid, controller: true, blockOwnerDeletion: true }] }
        : {}),
    },
    addressType: 'IPv4',
    endpoints: [
      {
        addresses: [s.endpoint],
        conditions: { ready: true, serving: true, terminating: false },
        ...(nodeName ? { nodeName } : {}),
      },
    ],
    ports: [...ports.values()].map((p) => ({ name: p.name, protocol: p.protocol, port: p.targetPort })),
  });
}

/** An address to put in an EndpointSlice for a listener bound to `host`. */
function endpointAddress(raw: string): string {
  const host = raw.replace(/^\[(.*)\]$/, '$1'); // URL.hostname keeps IPv6 brackets
  if (host === '' || host === '0.0.0.0' || host === '::' || host === 'localhost' || host === '::ffff:0.0.0.0') return '127.0.0.1';
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(host)?.[1];
  if (mapped) return mapped;
  if (net.isIPv4(host)) return host;
  throw new Error(`demo data plane: the exporter must listen on an IPv4 (or any) address to be a Service backend, not ${host}`);
}

interface Managed {
  entry: () => DataPlaneEntry;
  forwarder: Forwarder;
}

/**
 * Where the canary VIP should lead, as kube-proxy would read the Service's slices: the first ready
 * IPv4 endpoint of a slice labelled for the Service, on its port named `canary` (TCP).
 */
export function canaryTarget(api: FakeApiServer, namespace: string): { host: string; port: number } | undefined {
  for (const slice of api.store.list('endpointslices', namespace)) {
    const md = isObj(slice.metadata) ? slice.metadata : {};
    if (strMap(md.labels)[SERVICE_NAME_LABEL] !== DEMO_CANARY.name || slice.addressType !== 'IPv4') continue;
    const ports = Array.isArray(slice.ports) ? slice.ports.filter(isObj) : [];
    const port = ports.find((p) => p.name === DEMO_CANARY.portName && (p.protocol ?? 'TCP') === 'TCP')?.port;
    if (typeof port !== 'number' || port <= 0) continue;
    const endpoints = Array.isArray(slice.endpoints) ? slice.endpoints.filter(isObj) : [];
    for (const ep of endpoints) {
      const ready = isObj(ep.conditions) ? ep.conditions.ready !== false : true;
      const addr = Array.isArray(ep.addresses) ? ep.addresses[0] : undefined;
      if (ready && typeof addr === 'string' && net.isIPv4(addr)) return { host: addr, port };
    }
  }
  return undefined;
}

export async function startDemoDataPlane(api: FakeApiServer, opts: DemoDataPlaneOptions = {}): Promise<DemoDataPlane> {
  const domain = (opts.clusterDomain ?? 'cluster.local').toLowerCase().replace(/^\.|\.$/g, '');
  const backends: Backend[] = [];
  const managed = new Map<string, Managed>();
  const records = new Map<string, string>();
  let broken = false;
  let closed = false;
  let frozen = false;
  const canaryOpts = opts.canary;
  const canaryDelay = canaryOpts?.delayMs ?? DEMO_CANARY.defaultDelayMs;
  // the canary VIP's backend, re-pointed in place (pipeTcp reads it per connection); port 0: none
  const canaryBackend = { host: '127.0.0.1', port: 0 };
  let canaryFwd: ConntrackForwarder | undefined;
  let stale = false;
  let canaryProgrammedAt: number | undefined;
  let canaryGen = 0;
  let canaryAppliedGen = 0;
  const canaryTimers = new Set<NodeJS.Timeout>();
  let unsubscribe: (() => void) | undefined;
  // break/heal/addSelfService run one after the other, in call order.
  let queue: Promise<unknown> = Promise.resolve();
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = queue.then(fn);
    queue = run.catch(() => undefined);
    return run;
  };

  const stopAll = async (): Promise<void> => {
    await Promise.all([...managed.values()].map((m) => m.forwarder.stop()));
  };
  let thawCanary = (): void => undefined;
  const closeAll = async (): Promise<void> => {
    unsubscribe?.();
    for (const t of canaryTimers) clearTimeout(t);
    canaryTimers.clear();
    await stopAll();
    await Promise.all(backends.map((b) => b.close()));
  };

  const register = (key: string, forwarder: Forwarder, protocols: DataPlaneEntry['protocols'], backend: () => string): void => {
    managed.set(key, {
      forwarder,
      entry: () => ({ service: key, vip: forwarder.host, port: forwarder.port, protocols, backend: backend() }),
    });
  };

  try {
    // Backends first: their ports go into the EndpointSlices.
    const apiBackend = await startApiServerBackend(DEMO_ADDRESSES.apiserverBackend);
    backends.push(apiBackend);
    const dnsBackend = await startDnsBackend(DEMO_ADDRESSES.dnsBackend, () => records);
    backends.push(dnsBackend);
    const echoBackend = await startEchoBackend(DEMO_ADDRESSES.echoBackend);
    backends.push(echoBackend);

    // The service proxy: VIP forwarders, bound now so their ports are known.
    const apiFwd = tcpForwarder(DEMO_ADDRESSES.apiserverVip, apiBackend);
    register('default/kubernetes', apiFwd, ['TCP'], () => `${apiBackend.host}:${apiBackend.port}`);
    await apiFwd.start();
    const dnsFwd = dnsForwarder(DEMO_ADDRESSES.dnsVip, dnsBackend);
    register('kube-system/kube-dns', dnsFwd, ['UDP', 'TCP'], () => `${dnsBackend.host}:${dnsBackend.port}`);
    await dnsFwd.start();
    const echoFwd = tcpForwarder(DEMO_ADDRESSES.echoVip, echoBackend);
    const echoKey = `${DEMO_ECHO_SERVICE.namespace}/${DEMO_ECHO_SERVICE.name}`;
    register(echoKey, echoFwd, ['TCP'], () => `${echoBackend.host}:${echoBackend.port}`);
    await echoFwd.start();

    // The objects the exporter watches.
    const services: ServiceSpec[] = [
      {
        namespace: 'default',
        name: 'kubernetes',
        vip: apiFwd.host,
        ports: [{ name: 'https', protocol: 'TCP', port: apiFwd.port, targetPort: apiBackend.port }],
        endpoint: apiBackend.host,
        labels: { component: 'apiserver', provider: 'kubernetes' },
        sliceName: 'kubernetes',
      },
      {
        namespace: 'kube-system',
        name: 'kube-dns',
        vip: dnsFwd.host,
        ports: [
          { name: 'dns', protocol: 'UDP', port: dnsFwd.port, targetPort: dnsBackend.port },
          { name: 'dns-tcp', protocol: 'TCP', port: dnsFwd.port, targetPort: dnsBackend.port },
        ],
        endpoint: dnsBackend.host,
        labels: { 'k8s-app': 'kube-dns' },
        selector: { 'k8s-app': 'kube-dns' },
      },
      {
        namespace: DEMO_ECHO_SERVICE.namespace,
        name: DEMO_ECHO_SERVICE.name,
        vip: echoFwd.host,
        ports: [{ name: 'http', protocol: 'TCP', port: echoFwd.port, targetPort: echoBackend.port }],
        endpoint: echoBackend.host,
        labels: { app: 'echo' },
        selector: { app: 'echo' },
        annotations: { [ANNOTATIONS.probe]: 'true', [ANNOTATIONS.path]: '/' },
      },
    ];
    for (const s of services) {
      writeService(api, s);
      writeSlice(api, s);
      records.set(`${s.name}.${s.namespace}.svc.${domain}`, s.vip);
    }

    if (canaryOpts) {
      // Selectorless: no controller writes its slice; the exporter's canary writer does.
      const fwd = canaryForwarder(DEMO_ADDRESSES.canaryVip, canaryBackend);
      canaryFwd = fwd;
      const key = `${canaryOpts.namespace}/${DEMO_CANARY.name}`;
      register(key, fwd, ['TCP', 'UDP'], () => (canaryBackend.port ? `${canaryBackend.host}:${canaryBackend.port}` : '-'));
      await fwd.start();
      writeService(api, {
        namespace: canaryOpts.namespace,
        name: DEMO_CANARY.name,
        vip: fwd.host,
        ports: [
          { name: DEMO_CANARY.portName, protocol: 'TCP', port: fwd.port, targetPort: 9810 },
          { name: `${DEMO_CANARY.portName}-udp`, protocol: 'UDP', port: fwd.port, targetPort: 9810 },
        ],
        endpoint: '',
        labels: { 'app.kubernetes.io/name': 'service-proxy-exporter', 'app.kubernetes.io/component': 'canary' },
      });
      records.set(`${DEMO_CANARY.name}.${canaryOpts.namespace}.svc.${domain}`, fwd.host);
      const program = (target: { host: string; port: number } | undefined, gen: number): void => {
        if (closed || frozen || gen <= canaryAppliedGen) return;
        canaryAppliedGen = gen;
        canaryBackend.host = target?.host ?? '127.0.0.1';
        canaryBackend.port = target?.port ?? 0;
        canaryProgrammedAt = Date.now();
        if (!stale) fwd.clearStale();
      };
      // whatever is there already is programmed at once (a proxy's first sync)
      program(canaryTarget(api, canaryOpts.namespace), ++canaryGen);
      unsubscribe = api.store.subscribe((e) => {
        if (e.resource !== 'discovery.k8s.io/endpointslices' || e.object.metadata?.namespace !== canaryOpts.namespace) return;
        const labelled = (o: K8sObject | undefined) => o?.metadata?.labels?.[SERVICE_NAME_LABEL] === DEMO_CANARY.name;
        if (!labelled(e.object) && !labelled(e.previous)) return;
        // the state as of this change, programmed after the delay
        const target = canaryTarget(api, canaryOpts.namespace);
        const gen = ++canaryGen;
        const t = setTimeout(() => {
          canaryTimers.delete(t);
          program(target, gen);
        }, canaryDelay);
        canaryTimers.add(t);
      });
      thawCanary = () => program(canaryTarget(api, canaryOpts.namespace), ++canaryGen);

      // The session-affinity canary: every connection goes to the target chosen first while it is still in the slices,
      // which is what a proxy honouring sessionAffinity: ClientIP does for the one client the demo has.
      let chosen: { address: string; port: number } | undefined;
      const pick = () => {
        const targets = affinityTargets(api.store.list('endpointslices', canaryOpts.namespace), 'ipv4');
        if (!chosen || !targets.some((t) => t.address === chosen!.address && t.port === chosen!.port)) chosen = targets[0];
        return chosen;
      };
      const affinityBackend = {
        get host() {
          return pick()?.address ?? '127.0.0.1';
        },
        get port() {
          return pick()?.port ?? 0;
        },
      };
      const affFwd = tcpForwarder(DEMO_ADDRESSES.affinityVip, affinityBackend);
      register(`${canaryOpts.namespace}/${AFFINITY_NAME}`, affFwd, ['TCP'], () =>
        affinityBackend.port ? `${affinityBackend.host}:${affinityBackend.port}` : '-',
      );
      await affFwd.start();
      writeService(api, {
        namespace: canaryOpts.namespace,
        name: AFFINITY_NAME,
        vip: affFwd.host,
        ports: [{ name: DEMO_CANARY.portName, protocol: 'TCP', port: affFwd.port, targetPort: 9810 }],
        endpoint: '',
        labels: { 'app.kubernetes.io/name': 'service-proxy-exporter', 'app.kubernetes.io/component': 'canary' },
        sessionAffinity: 'ClientIP',
      });
    }
  } catch (err) {
    unsubscribe?.();
    await closeAll();
    throw err;
  }

  let nextSelfVip: number = DEMO_ADDRESSES.firstSelfVip;
  const selfBackends = new Map<string, { host: string; port: number }>();

  return {
    get broken() {
      return broken;
    },

    break() {
      broken = true;
      return serial(async () => {
        if (broken && !closed) await stopAll();
      });
    },

    heal() {
      broken = false;
      return serial(async () => {
        if (broken || closed) return;
        await Promise.all([...managed.values()].map((m) => m.forwarder.start()));
      });
    },

    addSelfService(o) {
      return serial(async () => {
        if (closed) throw new Error('demo data plane is closed');
        const key = `${o.namespace}/${o.name}`;
        const endpoint = endpointAddress(o.host);
        const existing = managed.get(key);
        let target = selfBackends.get(key);
        if (target) {
          // Same Service again: point the (same) VIP at the new listener.
          target.host = endpoint;
          target.port = o.port;
        } else {
          target = { host: endpoint, port: o.port };
          selfBackends.set(key, target);
        }
        let fwd = existing?.forwarder;
        if (!fwd) {
          if (nextSelfVip > 254) throw new Error('demo data plane: out of self-Service VIPs');
          const t = target;
          fwd = tcpForwarder(`127.0.0.${nextSelfVip++}`, t);
          register(key, fwd, ['TCP'], () => `${t.host}:${t.port}`);
          // Bound even when broken, so the port is known; then closed again.
          await fwd.start();
          if (broken) await fwd.stop();
        }
        const spec: ServiceSpec = {
          namespace: o.namespace,
          name: o.name,
          vip: fwd.host,
          ports: [{ name: 'metrics', protocol: 'TCP', port: fwd.port, targetPort: o.port }],
          endpoint,
          labels: { 'app.kubernetes.io/name': 'service-proxy-exporter' },
          selector: { 'app.kubernetes.io/name': 'service-proxy-exporter' },
        };
        writeService(api, spec);
        writeSlice(api, spec);
        records.set(`${o.name}.${o.namespace}.svc.${domain}`, fwd.host);
      });
    },

    describe() {
      return [...managed.values()].map((m) => m.entry());
    },

    get frozen() {
      return frozen;
    },

    freeze() {
      frozen = true;
    },

    thaw() {
      if (!frozen) return;
      frozen = false;
      thawCanary();
    },

    get conntrackStale() {
      return stale;
    },

    staleConntrack(on) {
      stale = on;
      if (!on) canaryFwd?.clearStale();
    },

    canary() {
      if (!canaryOpts || !canaryFwd) return undefined;
      const desired = canaryTarget(api, canaryOpts.namespace);
      return {
        service: `${canaryOpts.namespace}/${DEMO_CANARY.name}`,
        vip: canaryFwd.host,
        port: canaryFwd.port,
        ...(canaryBackend.port ? { programmed: `${canaryBackend.host}:${canaryBackend.port}` } : {}),
        ...(desired ? { desired: `${desired.host}:${desired.port}` } : {}),
        ...(canaryProgrammedAt !== undefined ? { programmedAt: canaryProgrammedAt } : {}),
        delayMs: canaryDelay,
      };
    },

    close() {
      if (closed) return queue.then(() => undefined);
      closed = true;
      return serial(closeAll);
    },
  };
}
