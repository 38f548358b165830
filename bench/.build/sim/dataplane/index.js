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
//
// The forwarders are the "service proxy". break() closes them — VIPs refuse while backends still
// answer, which the exporter classifies as proxy_broken — and heal() binds them again on the same
// addresses and ports. Ports are ephemeral (bound first, then written into the objects): no root,
// nothing below 1024, several instances side by side. Linux routes all of 127.0.0.0/8 to `lo`.
import net from 'node:net';
import { ANNOTATIONS } from '../../probe/targets.js';
import { startApiServerBackend, startDnsBackend, startEchoBackend } from './backends.js';
import { dnsForwarder, tcpForwarder } from './forward.js';
/** The loopback plan. All in 127.0.0.0/8; VIPs in 127.0.0.x, backends in 127.0.1.x. */
export const DEMO_ADDRESSES = {
    apiserverVip: '127.0.0.2',
    dnsVip: '127.0.0.10',
    echoVip: '127.0.0.20',
    /** the exporter's own Service gets 127.0.0.21, a second one 127.0.0.22, … */
    firstSelfVip: 21,
    apiserverBackend: '127.0.1.1',
    dnsBackend: '127.0.1.10',
    echoBackend: '127.0.1.20',
};
/** The opt-in demo Service, annotated so the exporter probes it over HTTP `/`. */
export const DEMO_ECHO_SERVICE = { namespace: 'demo', name: 'echo' };
const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';
const MANAGED_BY = 'service-proxy-exporter.io/demo-dataplane';
const isObj = (v) => typeof v === 'object' && v !== null && !Array.isArray(v);
const strMap = (v) => isObj(v) ? Object.fromEntries(Object.entries(v).filter((e) => typeof e[1] === 'string')) : {};
/** Creates the Service or rewrites its addressing, keeping whatever else the scenario gave it. */
function writeService(api, s) {
    const prev = api.store.get('services', s.namespace, s.name);
    const prevMeta = isObj(prev?.metadata) ? prev.metadata : {};
    const prevSpec = isObj(prev?.spec) ? prev.spec : {};
    const { resourceVersion: _rv, managedFields: _mf, ...keptMeta } = prevMeta;
    const spec = {
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
    if (s.selector)
        spec.selector = s.selector;
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
function writeSlice(api, s) {
    for (const slice of api.store.list('endpointslices', s.namespace)) {
        const md = isObj(slice.metadata) ? slice.metadata : {};
        if (strMap(md.labels)[SERVICE_NAME_LABEL] === s.name && typeof md.name === 'string') {
            api.store.delete('endpointslices', s.namespace, md.name);
        }
    }
    const nodeName = api.store
        .list('nodes')
        .map((n) => (isObj(n.metadata) ? n.metadata.name : undefined))
        .find((n) => typeof n === 'string');
    const uid = api.store.get('services', s.namespace, s.name)?.metadata?.uid;
    const ports = new Map();
    for (const p of s.ports)
        ports.set(`${p.name}/${p.protocol}`, p);
    api.store.apply({
        apiVersion: 'discovery.k8s.io/v1',
        kind: 'EndpointSlice',
        metadata: {
            name: s.sliceName ?? `${s.name}-demo`,
            namespace: s.namespace,
            labels: { [SERVICE_NAME_LABEL]: s.name, 'endpointslice.kubernetes.io/managed-by': MANAGED_BY },
            ...(uid ? { ownerReferences: [{ apiVersion: 'v1', kind: 'Service', name: s.name, uid, controller: true, blockOwnerDeletion: true }] } : {}),
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
function endpointAddress(raw) {
    const host = raw.replace(/^\[(.*)\]$/, '$1'); // URL.hostname keeps IPv6 brackets
    if (host === '' || host === '0.0.0.0' || host === '::' || host === 'localhost' || host === '::ffff:0.0.0.0')
        return '127.0.0.1';
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(host)?.[1];
    if (mapped)
        return mapped;
    if (net.isIPv4(host))
        return host;
    throw new Error(`demo data plane: the exporter must listen on an IPv4 (or any) address to be a Service backend, not ${host}`);
}
export async function startDemoDataPlane(api, opts = {}) {
    const domain = (opts.clusterDomain ?? 'cluster.local').toLowerCase().replace(/^\.|\.$/g, '');
    const backends = [];
    const managed = new Map();
    const records = new Map();
    let broken = false;
    let closed = false;
    // break/heal/addSelfService run one after the other, in call order.
    let queue = Promise.resolve();
    const serial = (fn) => {
        const run = queue.then(fn);
        queue = run.catch(() => undefined);
        return run;
    };
    const stopAll = async () => {
        await Promise.all([...managed.values()].map((m) => m.forwarder.stop()));
    };
    const closeAll = async () => {
        await stopAll();
        await Promise.all(backends.map((b) => b.close()));
    };
    const register = (key, forwarder, protocols, backend) => {
        managed.set(key, { forwarder, entry: () => ({ service: key, vip: forwarder.host, port: forwarder.port, protocols, backend: backend() }) });
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
        const services = [
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
    }
    catch (err) {
        await closeAll();
        throw err;
    }
    let nextSelfVip = DEMO_ADDRESSES.firstSelfVip;
    const selfBackends = new Map();
    return {
        get broken() {
            return broken;
        },
        break() {
            broken = true;
            return serial(async () => {
                if (broken && !closed)
                    await stopAll();
            });
        },
        heal() {
            broken = false;
            return serial(async () => {
                if (broken || closed)
                    return;
                await Promise.all([...managed.values()].map((m) => m.forwarder.start()));
            });
        },
        addSelfService(o) {
            return serial(async () => {
                if (closed)
                    throw new Error('demo data plane is closed');
                const key = `${o.namespace}/${o.name}`;
                const endpoint = endpointAddress(o.host);
                const existing = managed.get(key);
                let target = selfBackends.get(key);
                if (target) {
                    // Same Service again: point the (same) VIP at the new listener.
                    target.host = endpoint;
                    target.port = o.port;
                }
                else {
                    target = { host: endpoint, port: o.port };
                    selfBackends.set(key, target);
                }
                let fwd = existing?.forwarder;
                if (!fwd) {
                    if (nextSelfVip > 254)
                        throw new Error('demo data plane: out of self-Service VIPs');
                    const t = target;
                    fwd = tcpForwarder(`127.0.0.${nextSelfVip++}`, t);
                    register(key, fwd, ['TCP'], () => `${t.host}:${t.port}`);
                    // Bound even when broken, so the port is known; then closed again.
                    await fwd.start();
                    if (broken)
                        await fwd.stop();
                }
                const spec = {
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
        close() {
            if (closed)
                return queue.then(() => undefined);
            closed = true;
            return serial(closeAll);
        },
    };
}
