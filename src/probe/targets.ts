// Which probes to run, computed from the watched Services, EndpointSlices and Nodes. Pure: the
// shell calls it again whenever a watch changes something, so targets follow the cluster without
// polling. Everything not probed is listed in `skipped` with the reason, for the status page.
import net from 'node:net';
import type { SlimEndpointSlice, SlimNode, SlimService, SlimServicePort } from '../cluster/types.js';
import { isValidExpectedStatus } from './http.js';
import type { BuiltinProbe, IpFamily, ProbePath, ProbeTarget } from './types.js';

export const ANNOTATIONS = {
  /** `"true"` (case and surrounding spaces ignored) opts a Service in; see isOptedIn */
  probe: 'service-proxy-exporter.io/probe',
  /** port name or number (the Service port, not the target port); default: the first port */
  port: 'service-proxy-exporter.io/port',
  /** HTTP request path; absent → TCP connect (or TLS handshake when scheme is https) */
  path: 'service-proxy-exporter.io/path',
  /** `http` (default) or `https` */
  scheme: 'service-proxy-exporter.io/scheme',
  /** e.g. `200`, `2xx`, `200,301`, `any`; default `2xx`. Only with a path. */
  expectedStatus: 'service-proxy-exporter.io/expected-status',
} as const;

export const DEFAULT_MAX_TARGETS = 20;

export interface DiscoverInput {
  services: SlimService[];
  endpointSlices: SlimEndpointSlice[];
  nodes: SlimNode[];
  /** the exporter's own Service (me_service); port is a Service port number, default the first */
  self?: {
    namespace: string;
    service: string;
    port?: number;
    /** https when --web-config-file has tls_server_config (default http) */
    scheme?: 'http' | 'https';
    /** set when the exporter refuses clients without a certificate: the probe cannot pass, so it is skipped */
    unprobeable?: string;
  };
  /** e.g. `cluster.local` */
  clusterDomain: string;
  /** at most this many opted-in Services are probed (default 20) */
  maxTargets: number;
  /** daemonset mode: this node (its InternalIP for node ports; its local endpoints preferred) */
  nodeName?: string;
  /** where cluster DNS lives; default kube-system/kube-dns (RKE2 and some charts name it differently) */
  dnsService?: { namespace: string; name: string };
  /** built-in probes turned off by configuration */
  disabled?: readonly BuiltinProbe[];
}

export interface SkippedProbe {
  probe: string;
  /** set when only this path of the probe is left out */
  path?: ProbePath;
  /** set when only this family of a dual-stack Service is left out */
  family?: IpFamily;
  why: string;
}

export interface DiscoveredTargets {
  targets: ProbeTarget[];
  skipped: SkippedProbe[];
  /** more Services are opted in than maxTargets: config check `probe_targets_over_limit` */
  overLimit: boolean;
}

/** An EndpointSlice addressType: the API's spelling of a family. */
type Family = 'IPv4' | 'IPv6';

interface Ctx {
  input: DiscoverInput;
  targets: ProbeTarget[];
  skipped: SkippedProbe[];
}

const key = (ns: string, name: string): string => `${ns}/${name}`;

function findService(input: DiscoverInput, ns: string, name: string): SlimService | undefined {
  return input.services.find((s) => s.namespace === ns && s.name === name);
}

/**
 * The Service's cluster IPs, primary first, at most one per family (`spec.clusterIPs`; older objects
 * have only `clusterIP`); empty for headless / ExternalName Services. A dual-stack Service is probed
 * on each: one family's proxier can fail while the other works (kubernetes#116486).
 */
export function vipsOf(svc: Pick<SlimService, 'type' | 'clusterIP' | 'clusterIPs'> | undefined): string[] {
  if (!svc || svc.type === 'ExternalName' || svc.clusterIP === 'None') return [];
  const out: string[] = [];
  // clusterIP is clusterIPs[0] by API contract; listed first anyway, for objects written without clusterIPs
  for (const ip of [svc.clusterIP, ...svc.clusterIPs]) {
    if (!ip || ip === 'None' || !net.isIP(ip)) continue;
    if (!out.some((o) => familyOf(o) === familyOf(ip))) out.push(ip);
  }
  return out;
}

const familyOf = (ip: string): Family => (net.isIPv6(ip) ? 'IPv6' : 'IPv4');
/** The `family` label of an address. */
export const familyLabel = (ip: string): IpFamily => (net.isIPv6(ip) ? 'ipv6' : 'ipv4');

/** The node's InternalIP of the family (a dual-stack node reports one of each). */
export function nodeAddress(node: SlimNode, family: Family): string | undefined {
  return [...(node.internalIPs ?? []), node.internalIP].find((ip) => !!ip && net.isIP(ip) && familyOf(ip) === family);
}

/** The ready endpoints of `svc` for `port` in `family` (FQDN slices and the other family left out). */
function readyEndpoints(
  input: DiscoverInput,
  svc: SlimService,
  port: SlimServicePort,
  family: Family,
): { host: string; port: number; nodeName: string }[] {
  const out: { host: string; port: number; nodeName: string }[] = [];
  for (const slice of input.endpointSlices) {
    if (slice.namespace !== svc.namespace || slice.serviceName !== svc.name || slice.addressType !== family) continue;
    const sp = slice.ports.find((p) => p.name === port.name && p.protocol === port.protocol);
    if (!sp || !sp.port) continue;
    for (const ep of slice.endpoints) {
      if (!ep.ready || ep.terminating) continue;
      const host = ep.addresses[0];
      if (!host || !net.isIP(host)) continue;
      out.push({ host, port: sp.port, nodeName: ep.nodeName });
    }
  }
  return out;
}

/**
 * One ready endpoint of `svc` for `port`, deterministically: an endpoint on our own node first
 * (daemonset mode: "back to ourselves"), then the lowest address. Slices of the other IP family and
 * FQDN slices are ignored: the endpoint must be comparable with the VIP.
 */
function pickEndpoint(
  input: DiscoverInput,
  svc: SlimService,
  port: SlimServicePort,
  family: Family,
): { host: string; port: number } | undefined {
  const local = (ep: { nodeName: string }): boolean => !!input.nodeName && ep.nodeName === input.nodeName;
  const candidates = readyEndpoints(input, svc, port, family);
  candidates.sort((a, b) => Number(local(b)) - Number(local(a)) || compareAddr(a.host, b.host) || a.port - b.port);
  const c = candidates[0];
  return c && { host: c.host, port: c.port };
}

/** The nodes hosting a ready endpoint: with a traffic policy of Local, the only nodes where the Service answers. */
function endpointNodes(input: DiscoverInput, svc: SlimService, port: SlimServicePort, family: Family): Set<string> {
  return new Set(
    readyEndpoints(input, svc, port, family)
      .map((e) => e.nodeName)
      .filter(Boolean),
  );
}

function compareAddr(a: string, b: string): number {
  if (net.isIPv4(a) && net.isIPv4(b)) {
    const n = (ip: string): number => ip.split('.').reduce((acc, o) => acc * 256 + Number(o), 0);
    return n(a) - n(b);
  }
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The node whose InternalIP of `family` carries node-port probes: our own (daemonset) or the first
 * Ready one by name — among `only` when given (externalTrafficPolicy: Local).
 */
function pickNode(input: DiscoverInput, family: Family, only?: ReadonlySet<string>): { node: SlimNode; ip: string } | undefined {
  const withIp = (n: SlimNode) => {
    const ip = nodeAddress(n, family);
    return ip ? { node: n, ip } : undefined;
  };
  if (input.nodeName) {
    const me = input.nodes.find((n) => n.name === input.nodeName && (!only || only.has(n.name)));
    return me && withIp(me);
  }
  return [...input.nodes]
    .filter((n) => n.conditions.Ready === 'True' && (!only || only.has(n.name)))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map(withIp)
    .find((x) => x !== undefined);
}

/** A target without its address: what to do, not where. (Distributes over the union.) */
type Shape = ProbeTarget extends infer T
  ? T extends ProbeTarget
    ? Omit<T, 'probe' | 'path' | 'family' | 'host' | 'port' | 'service'>
    : never
  : never;

/**
 * Adds the VIP target and, when the Service has a ready endpoint, the same probe to that endpoint.
 * With internalTrafficPolicy: Local the VIP answers only on nodes hosting a ready endpoint: it is
 * probed only from such a node (daemonset mode), never judged from elsewhere. Returns whether the
 * VIP is probed.
 */
function addVipAndEndpoint(ctx: Ctx, probe: string, svc: SlimService, vip: string, port: SlimServicePort, shape: Shape): boolean {
  const service = key(svc.namespace, svc.name);
  const family = familyLabel(vip);
  if (svc.internalTrafficPolicy === 'Local') {
    const me = ctx.input.nodeName;
    const why = !me
      ? `internalTrafficPolicy is Local: the VIP answers only on nodes with a ready endpoint, and in deployment mode the exporter does not probe from a known node (a daemonset replica on such a node does)`
      : !endpointNodes(ctx.input, svc, port, familyOf(vip)).has(me)
        ? `internalTrafficPolicy is Local and node ${me} has no ready endpoint for port ${portLabel(port)}: the VIP answers only on nodes that have one`
        : undefined;
    if (why) {
      ctx.skipped.push({ probe, family, why });
      return false;
    }
  }
  ctx.targets.push({ ...shape, probe, path: 'vip', family, host: vip, port: port.port, service } as ProbeTarget);
  const ep = pickEndpoint(ctx.input, svc, port, familyOf(vip));
  if (ep) ctx.targets.push({ ...shape, probe, path: 'endpoint', family, host: ep.host, port: ep.port, service } as ProbeTarget);
  else
    ctx.skipped.push({
      probe,
      path: 'endpoint',
      family,
      why: `Service ${service} has no ready ${familyOf(vip)} endpoint for port ${portLabel(port)}`,
    });
  return true;
}

const portLabel = (p: SlimServicePort): string => (p.name ? `${p.name} (${p.port}/${p.protocol})` : `${p.port}/${p.protocol}`);

/** Looks a built-in probe's Service up; records why when it cannot be probed. */
function builtinService(ctx: Ctx, probes: string[], ns: string, name: string): { svc: SlimService; vips: string[] } | undefined {
  const svc = findService(ctx.input, ns, name);
  const why = !svc
    ? `Service ${key(ns, name)} not found`
    : vipsOf(svc).length === 0
      ? `Service ${key(ns, name)} has no cluster IP (headless or ExternalName)`
      : undefined;
  if (why || !svc) {
    for (const probe of probes) ctx.skipped.push({ probe, why: why ?? 'not found' });
    return undefined;
  }
  return { svc, vips: vipsOf(svc) };
}

function apiserver(ctx: Ctx): void {
  const found = builtinService(ctx, ['apiserver'], 'default', 'kubernetes');
  if (!found) return;
  const port = found.svc.ports.find((p) => p.name === 'https') ?? found.svc.ports[0];
  if (!port) return void ctx.skipped.push({ probe: 'apiserver', why: 'Service default/kubernetes has no port' });
  for (const vip of found.vips)
    addVipAndEndpoint(ctx, 'apiserver', found.svc, vip, port, {
      kind: 'http',
      scheme: 'https',
      httpPath: '/readyz',
      // Any status, and even a bare handshake: 401/403 still prove the path; authorization is not the question.
      expectedStatus: 'any',
      handshakeIsSuccess: true,
      serverName: 'kubernetes.default.svc',
    });
}

function dns(ctx: Ctx, wanted: ('dns_udp' | 'dns_tcp')[]): void {
  if (wanted.length === 0) return;
  const ref = ctx.input.dnsService ?? { namespace: 'kube-system', name: 'kube-dns' };
  const found = builtinService(ctx, wanted, ref.namespace, ref.name);
  if (!found) return;
  const { svc, vips } = found;
  const udp = svc.ports.find((p) => p.protocol === 'UDP' && p.name === 'dns') ?? svc.ports.find((p) => p.protocol === 'UDP');
  // CoreDNS's Service also has a TCP metrics port (9153): prefer the DNS one.
  const tcp =
    svc.ports.find((p) => p.protocol === 'TCP' && p.name === 'dns-tcp') ??
    svc.ports.find((p) => p.protocol === 'TCP' && p.port === (udp?.port ?? 53));
  // The record asked for is the kubernetes Service's own family, whichever family carries the query:
  // on a dual-stack cluster whose kubernetes Service is IPv4 only, AAAA has no answer over either.
  const apiVip = vipsOf(findService(ctx.input, 'default', 'kubernetes'))[0];
  const shape = {
    kind: 'dns' as const,
    queryName: `kubernetes.default.svc.${ctx.input.clusterDomain.replace(/^\.|\.$/g, '')}`,
  };
  for (const [probe, port, transport] of [
    ['dns_udp', udp, 'udp'],
    ['dns_tcp', tcp, 'tcp'],
  ] as const) {
    if (!wanted.includes(probe)) continue;
    if (!port) ctx.skipped.push({ probe, why: `Service ${key(svc.namespace, svc.name)} has no ${transport.toUpperCase()} DNS port` });
    else
      for (const vip of vips) {
        const queryType = familyOf(apiVip ?? vip) === 'IPv6' ? ('AAAA' as const) : ('A' as const);
        addVipAndEndpoint(ctx, probe, svc, vip, port, { ...shape, queryType, transport });
      }
  }
}

function meService(ctx: Ctx): void {
  const self = ctx.input.self;
  if (!self) return void ctx.skipped.push({ probe: 'me_service', why: "the exporter's own Service is not configured" });
  if (self.unprobeable) return void ctx.skipped.push({ probe: 'me_service', why: self.unprobeable });
  const found = builtinService(ctx, ['me_service'], self.namespace, self.service);
  if (!found) return;
  const port = self.port !== undefined ? found.svc.ports.find((p) => p.port === self.port) : found.svc.ports[0];
  if (!port)
    return void ctx.skipped.push({
      probe: 'me_service',
      why: `Service ${key(self.namespace, self.service)} has no port ${self.port ?? ''}`.trim(),
    });
  for (const vip of found.vips)
    addVipAndEndpoint(ctx, 'me_service', found.svc, vip, port, {
      kind: 'http',
      // /healthz needs no basic auth (src/http/web.ts); over TLS the prober does not verify, like the kubelet
      scheme: self.scheme ?? 'http',
      httpPath: '/healthz',
      expectedStatus: '2xx',
    });
}

/**
 * Whether a Service opted in to probing: the one place that decides it (target discovery and the
 * EndpointSlice watch both ask here). Read tolerantly, as people write YAML: `"true"`, `"True"`, `" TRUE "`
 * opt in; anything else (`"yes"`, `"1"`, absent) does not.
 */
export function isOptedIn(svc: Pick<SlimService, 'annotations'>): boolean {
  return svc.annotations[ANNOTATIONS.probe]?.trim().toLowerCase() === 'true';
}

/** The probe shape an opted-in Service asks for, or why its annotations cannot be honoured. */
function annotatedShape(svc: SlimService): { port: SlimServicePort; shape: Shape } | { why: string } {
  const a = svc.annotations;
  const portAnn = a[ANNOTATIONS.port]?.trim();
  let port: SlimServicePort | undefined;
  if (portAnn) {
    port = /^\d+$/.test(portAnn) ? svc.ports.find((p) => p.port === Number(portAnn)) : svc.ports.find((p) => p.name === portAnn);
    if (!port) return { why: `annotation ${ANNOTATIONS.port}="${portAnn}" matches no port of the Service` };
  } else {
    port = svc.ports[0];
    if (!port) return { why: 'the Service has no port' };
  }
  if (port.protocol !== 'TCP') return { why: `port ${portLabel(port)} is not TCP; only TCP ports are probed` };
  const scheme = (a[ANNOTATIONS.scheme]?.trim().toLowerCase() || 'http') as string;
  if (scheme !== 'http' && scheme !== 'https') return { why: `annotation ${ANNOTATIONS.scheme}="${scheme}" is neither http nor https` };
  const path = a[ANNOTATIONS.path]?.trim();
  if (!path) return { port, shape: scheme === 'https' ? { kind: 'tls' } : { kind: 'tcp' } };
  const expectedStatus = a[ANNOTATIONS.expectedStatus]?.trim() || '2xx';
  if (!isValidExpectedStatus(expectedStatus)) {
    return {
      why: `annotation ${ANNOTATIONS.expectedStatus}="${expectedStatus}" is not a status, a class like 2xx, a comma list of those, or "any"`,
    };
  }
  return { port, shape: { kind: 'http', scheme, httpPath: path.startsWith('/') ? path : `/${path}`, expectedStatus } };
}

/** The node-port path of one family: the node's InternalIP of the VIP's family (kube-proxy listens on both). */
function addNodePort(
  ctx: Ctx,
  probe: string,
  svc: SlimService,
  vip: string,
  port: SlimServicePort & { nodePort?: number },
  shape: Shape,
): void {
  const family = familyLabel(vip);
  const fam = familyOf(vip);
  // externalTrafficPolicy: Local: a node port answers only on nodes hosting a ready endpoint
  // (elsewhere the proxy drops the traffic, by design): probe it on such a node or not at all.
  const local = svc.externalTrafficPolicy === 'Local' ? endpointNodes(ctx.input, svc, port, fam) : undefined;
  const node = pickNode(ctx.input, fam, local);
  if (node) {
    ctx.targets.push({ ...shape, probe, path: 'nodeport', family, host: node.ip, port: port.nodePort!, service: probe } as ProbeTarget);
    return;
  }
  const why = local
    ? ctx.input.nodeName
      ? `externalTrafficPolicy is Local and node ${ctx.input.nodeName} has no ready ${fam} endpoint (or no ${fam} InternalIP): its node port answers only on nodes that have one`
      : `externalTrafficPolicy is Local and no Ready node with an ${fam} InternalIP hosts a ready endpoint`
    : ctx.input.nodeName
      ? `node ${ctx.input.nodeName} not found or has no ${fam} InternalIP`
      : `no Ready node with an ${fam} InternalIP`;
  ctx.skipped.push({ probe, path: 'nodeport', family, why });
}

function annotated(ctx: Ctx): boolean {
  const optedIn = ctx.input.services.filter(isOptedIn).sort((x, y) => {
    const kx = key(x.namespace, x.name);
    const ky = key(y.namespace, y.name);
    return kx < ky ? -1 : kx > ky ? 1 : 0;
  });
  const max = Math.max(0, Math.floor(ctx.input.maxTargets));
  for (const svc of optedIn.slice(max)) {
    ctx.skipped.push({ probe: key(svc.namespace, svc.name), why: `over the limit of ${max} opted-in Services (--max-probe-targets)` });
  }
  for (const svc of optedIn.slice(0, max)) {
    const probe = key(svc.namespace, svc.name);
    const vips = vipsOf(svc);
    if (vips.length === 0) {
      ctx.skipped.push({ probe, why: 'the Service has no cluster IP (headless or ExternalName)' });
      continue;
    }
    const s = annotatedShape(svc);
    if ('why' in s) {
      ctx.skipped.push({ probe, why: s.why });
      continue;
    }
    for (const vip of vips) {
      if (!addVipAndEndpoint(ctx, probe, svc, vip, s.port, s.shape)) continue;
      if ((svc.type === 'NodePort' || svc.type === 'LoadBalancer') && s.port.nodePort) addNodePort(ctx, probe, svc, vip, s.port, s.shape);
    }
  }
  return optedIn.length > max;
}

export function discoverTargets(input: DiscoverInput): DiscoveredTargets {
  const ctx: Ctx = { input, targets: [], skipped: [] };
  const off = new Set<string>(input.disabled ?? []);
  for (const p of off) ctx.skipped.push({ probe: p, why: 'disabled by configuration' });
  if (!off.has('apiserver')) apiserver(ctx);
  dns(
    ctx,
    (['dns_udp', 'dns_tcp'] as const).filter((p) => !off.has(p)),
  );
  if (!off.has('me_service')) meService(ctx);
  const overLimit = annotated(ctx);
  return { targets: ctx.targets, skipped: ctx.skipped, overLimit };
}
