// The canary's Kubernetes objects as plain data: what the writer puts in its EndpointSlice and
// Lease, and how a slice read back is understood. Pure functions; no I/O.
import { isIPv6 } from 'node:net';
import type { ResourceRef } from '../cluster/catalog.js';

/** The name of the canary Service, its EndpointSlice and the writer's Lease. */
export const CANARY_NAME = 'service-proxy-exporter-canary';
/** endpointslice.kubernetes.io/managed-by: the EndpointSlice controller leaves slices with another value alone. */
export const MANAGED_BY = 'service-proxy-exporter.io';
/**
 * When the change a slice carries was made. kube-proxy's `kubeproxy_network_programming_duration_seconds` starts from
 * it and skips slices without it (pkg/proxy/endpointschangetracker.go): with it, kube-proxy times the canary's changes
 * too, beside `service_lb_programming_duration_seconds` (docs/benchmarks.md "The canary against the real kube-proxy").
 */
export const TRIGGER_TIME_ANNOTATION = 'endpoints.kubernetes.io/last-change-trigger-time';

/** The canary Service's port names (manifests/base/canary-service.yaml): the same target port over TCP and UDP. */
export const CANARY_PORT_NAME = 'canary';
export const CANARY_UDP_PORT_NAME = 'canary-udp';

export type IpFamily = 'ipv4' | 'ipv6';
export const IP_FAMILIES: readonly IpFamily[] = ['ipv4', 'ipv6'];
export type CanaryProtocol = 'tcp' | 'udp';
export const CANARY_PROTOCOLS: readonly CanaryProtocol[] = ['tcp', 'udp'];

export function familyOf(address: string): IpFamily {
  return isIPv6(address) ? 'ipv6' : 'ipv4';
}

/**
 * The EndpointSlice for the pod's IP at `index` (one per address family, as an EndpointSlice holds
 * one): the first keeps the canary's name, so an upgrade from a single-family canary rewrites the
 * slice it already has; the second is named after its family.
 */
export function sliceName(index: number, address: string): string {
  return index === 0 ? CANARY_NAME : `${CANARY_NAME}-${familyOf(address)}`;
}

/** Every name a canary slice can have (the Role's resourceNames). */
export const CANARY_SLICE_NAMES = [CANARY_NAME, `${CANARY_NAME}-ipv4`, `${CANARY_NAME}-ipv6`] as const;
/** What a canary port answers on each connection: this prefix, a space, the port, a newline. */
export const IDENTITY_PREFIX = 'service-proxy-exporter-canary';

export const CANARY_REFS = {
  endpointslices: { group: 'discovery.k8s.io', version: 'v1', resource: 'endpointslices', kind: 'EndpointSlice', namespaced: true },
  leases: { group: 'coordination.k8s.io', version: 'v1', resource: 'leases', kind: 'Lease', namespaced: true },
  services: { group: '', version: 'v1', resource: 'services', kind: 'Service', namespaced: true },
} as const satisfies Record<string, ResourceRef>;

export function identityLine(port: number): string {
  return `${IDENTITY_PREFIX} ${port}\n`;
}

/** The port an answer names, or undefined for anything else. */
export function parseIdentity(text: string): number | undefined {
  const m = /^service-proxy-exporter-canary (\d{1,5})\r?\n?$/.exec(text);
  return m ? Number(m[1]) : undefined;
}

/** Where the canary slice points: its single ready endpoint's address and port. */
export type { CanaryTarget } from '../state/canary.js';
import type { CanaryTarget } from '../state/canary.js';

export interface SliceOwner {
  /** the canary Service's uid, when known: the slice is then garbage-collected with it */
  serviceUid?: string;
}

/**
 * A slice's metadata: tied to `service` by label, marked ours for the EndpointSlice controller, and owned by the
 * Service when its uid is known (the garbage collector then removes it with the Service).
 */
function sliceMeta(
  namespace: string,
  name: string,
  service: string,
  serviceUid?: string,
  resourceVersion?: string,
): Record<string, unknown> {
  return {
    name,
    namespace,
    labels: { 'kubernetes.io/service-name': service, 'endpointslice.kubernetes.io/managed-by': MANAGED_BY },
    ...(serviceUid
      ? {
          ownerReferences: [
            { apiVersion: 'v1', kind: 'Service', name: service, uid: serviceUid, controller: true, blockOwnerDeletion: true },
          ],
        }
      : {}),
    ...(resourceVersion ? { resourceVersion } : {}),
  };
}

/** The whole canary EndpointSlice pointing at `target`. */
export function canarySlice(
  namespace: string,
  target: CanaryTarget,
  owner: SliceOwner = {},
  resourceVersion?: string,
  name: string = CANARY_NAME,
  changedAt?: Date,
  nodeName?: string,
): Record<string, unknown> {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {
      ...sliceMeta(namespace, name, CANARY_NAME, owner.serviceUid, resourceVersion),
      ...(changedAt ? { annotations: triggerTime(changedAt) } : {}),
    },
    addressType: isIPv6(target.address) ? 'IPv6' : 'IPv4',
    ...sliceBody(target, nodeName),
  };
}

export function triggerTime(at: Date): Record<string, string> {
  return { [TRIGGER_TIME_ANNOTATION]: at.toISOString() };
}

/**
 * The fields a flip changes (a JSON merge patch replaces both arrays whole): TCP and UDP move together. `nodeName` is
 * the writer's node: kube-proxy in nftables mode masquerades hairpin traffic (a pod reaching itself through a VIP)
 * only to endpoints it knows are on its node (pkg/proxy/nftables/proxier.go, the hairpin-connections set), so without
 * it the writer's own connections to the canary VIP never complete there and every change would look unprogrammed
 * (docs/benchmarks.md).
 */
export function sliceBody(target: CanaryTarget, nodeName?: string): { endpoints: unknown[]; ports: unknown[] } {
  return {
    endpoints: [
      {
        addresses: [target.address],
        conditions: { ready: true, serving: true, terminating: false },
        ...(nodeName ? { nodeName } : {}),
      },
    ],
    ports: [
      { name: CANARY_PORT_NAME, port: target.port, protocol: 'TCP' },
      { name: CANARY_UDP_PORT_NAME, port: target.port, protocol: 'UDP' },
    ],
  };
}

/** The node the slice's first endpoint names, if any. */
export function sliceNodeName(obj: unknown): string | undefined {
  const ep = (obj as { endpoints?: { nodeName?: unknown }[] } | undefined)?.endpoints?.[0];
  return typeof ep?.nodeName === 'string' ? ep.nodeName : undefined;
}

/** True when the slice carries the UDP port too (a slice written before the canary had UDP lacks it). */
export function sliceHasUdp(obj: unknown, port: number): boolean {
  const ports = (obj as { ports?: { name?: unknown; port?: unknown; protocol?: unknown }[] } | null)?.ports ?? [];
  return ports.some((p) => p?.name === CANARY_UDP_PORT_NAME && p.port === port && p.protocol === 'UDP');
}

/** The target of a canary slice as read from the API; undefined when it has no ready endpoint or no port. */
export function sliceTarget(obj: unknown): CanaryTarget | undefined {
  const o = obj as {
    endpoints?: { addresses?: unknown[]; conditions?: { ready?: unknown } }[];
    ports?: { name?: unknown; port?: unknown }[];
  } | null;
  const ep = (o?.endpoints ?? []).find(
    (e) => e?.conditions?.ready !== false && Array.isArray(e?.addresses) && typeof e.addresses[0] === 'string',
  );
  const port = (o?.ports ?? []).find(
    (p) => typeof p?.port === 'number' && (p.name === CANARY_PORT_NAME || p.name === undefined || p.name === ''),
  );
  if (!ep || !port) return undefined;
  return { address: ep.addresses![0] as string, port: port.port as number };
}

/** True when the slice carries the labels that tie it to the canary Service and to us. */
export function sliceIsOurs(obj: unknown): boolean {
  const labels = (obj as { metadata?: { labels?: Record<string, string> } } | null)?.metadata?.labels ?? {};
  return labels['kubernetes.io/service-name'] === CANARY_NAME && labels['endpointslice.kubernetes.io/managed-by'] === MANAGED_BY;
}

/** The next target: this pod's IP and the other canary port (the first one when the slice points elsewhere). */
export function nextTarget(current: CanaryTarget | undefined, podIp: string, ports: readonly [number, number]): CanaryTarget {
  if (!current || !ports.includes(current.port)) return { address: podIp, port: ports[0] };
  return { address: podIp, port: current.port === ports[0] ? ports[1] : ports[0] };
}

export function resourceVersionOf(obj: unknown): string | undefined {
  const rv = (obj as { metadata?: { resourceVersion?: unknown } } | null)?.metadata?.resourceVersion;
  return typeof rv === 'string' && rv ? rv : undefined;
}

/** The canary Service's ClusterIP and port named "canary" (or its first port). */
export function serviceAddress(obj: unknown): { clusterIp: string; port: number; uid?: string } | undefined {
  const o = obj as { metadata?: { uid?: unknown }; spec?: { clusterIP?: unknown; ports?: { name?: unknown; port?: unknown }[] } } | null;
  const ip = o?.spec?.clusterIP;
  if (typeof ip !== 'string' || ip === '' || ip === 'None') return undefined;
  const ports = o?.spec?.ports ?? [];
  const p = ports.find((x) => x?.name === CANARY_PORT_NAME) ?? ports[0];
  if (typeof p?.port !== 'number') return undefined;
  const uid = o?.metadata?.uid;
  return { clusterIp: ip, port: p.port, ...(typeof uid === 'string' && uid ? { uid } : {}) };
}

/**
 * The canary Service's ClusterIP per family (spec.clusterIPs: two on a dual-stack cluster with
 * PreferDualStack) and its UDP port named "canary-udp" (undefined on a Service from before UDP).
 */
export function serviceFamilies(obj: unknown): { family: IpFamily; clusterIp: string }[] {
  const o = obj as { spec?: { clusterIP?: unknown; clusterIPs?: unknown } } | null;
  const ips = Array.isArray(o?.spec?.clusterIPs) ? (o.spec.clusterIPs as unknown[]) : [o?.spec?.clusterIP];
  const out: { family: IpFamily; clusterIp: string }[] = [];
  for (const ip of ips) {
    if (typeof ip !== 'string' || ip === '' || ip === 'None') continue;
    const family = familyOf(ip);
    if (!out.some((x) => x.family === family)) out.push({ family, clusterIp: ip });
  }
  return out;
}

export function serviceUdpPort(obj: unknown): number | undefined {
  const ports = (obj as { spec?: { ports?: { name?: unknown; port?: unknown; protocol?: unknown }[] } } | null)?.spec?.ports ?? [];
  const p = ports.find((x) => x?.name === CANARY_UDP_PORT_NAME && x.protocol === 'UDP');
  return typeof p?.port === 'number' ? p.port : undefined;
}

// The session-affinity canary: a second selectorless Service (sessionAffinity: ClientIP) whose slices the writer
// points at both canary ports of its pod, so a proxy that honours affinity sends every connection of a client to one
// of the two, and one that ignores it spreads them (docs/runbooks/ServiceProxyBehaviourBroken.md).

/** The affinity Service's name; its slices are named after it, per family and target. */
export const AFFINITY_NAME = `${CANARY_NAME}-affinity`;

/**
 * One slice per family and canary port: an EndpointSlice's endpoints share its ports list, so two targets on one
 * address with different ports take two slices.
 */
export function affinitySliceName(family: IpFamily, index: 0 | 1): string {
  return `${AFFINITY_NAME}-${family}-${index}`;
}

/** Every name an affinity slice can have (the Role's resourceNames). */
export const AFFINITY_SLICE_NAMES = IP_FAMILIES.flatMap((f) => [affinitySliceName(f, 0), affinitySliceName(f, 1)]);

/** The affinity slice for one target, owned by the affinity Service when its uid is known. */
export function affinitySlice(
  namespace: string,
  name: string,
  target: CanaryTarget,
  serviceUid: string | undefined,
  nodeName: string | undefined,
  resourceVersion?: string,
): Record<string, unknown> {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: sliceMeta(namespace, name, AFFINITY_NAME, serviceUid, resourceVersion),
    addressType: isIPv6(target.address) ? 'IPv6' : 'IPv4',
    endpoints: [
      { addresses: [target.address], conditions: { ready: true, serving: true, terminating: false }, ...(nodeName ? { nodeName } : {}) },
    ],
    ports: [{ name: CANARY_PORT_NAME, port: target.port, protocol: 'TCP' }],
  };
}

/** True when an affinity slice read back already says what `affinitySlice` would write. */
export function affinitySliceMatches(
  obj: unknown,
  target: CanaryTarget,
  serviceUid: string | undefined,
  nodeName: string | undefined,
): boolean {
  const o = obj as {
    metadata?: { labels?: Record<string, string>; ownerReferences?: { uid?: unknown }[] };
    endpoints?: { nodeName?: unknown }[];
  } | null;
  const labels = o?.metadata?.labels ?? {};
  const t = sliceTarget(obj);
  return (
    labels['kubernetes.io/service-name'] === AFFINITY_NAME &&
    labels['endpointslice.kubernetes.io/managed-by'] === MANAGED_BY &&
    t?.address === target.address &&
    t.port === target.port &&
    (!serviceUid || o?.metadata?.ownerReferences?.[0]?.uid === serviceUid) &&
    (!nodeName || o?.endpoints?.[0]?.nodeName === nodeName)
  );
}

/** What the checks need of the affinity Service: its ClusterIP per family, its port, whether it asks for ClientIP. */
export interface AffinityService {
  uid?: string;
  clientIp: boolean;
  port: number;
  families: { family: IpFamily; clusterIp: string }[];
}

export function affinityService(obj: unknown): AffinityService | undefined {
  const a = serviceAddress(obj);
  if (!a) return undefined;
  const spec = (obj as { spec?: { sessionAffinity?: unknown } }).spec;
  return { ...(a.uid ? { uid: a.uid } : {}), clientIp: spec?.sessionAffinity === 'ClientIP', port: a.port, families: serviceFamilies(obj) };
}

/** The distinct ready targets the affinity slices hold for one family. */
export function affinityTargets(slices: readonly unknown[], family: IpFamily): CanaryTarget[] {
  const out: CanaryTarget[] = [];
  for (const s of slices) {
    const t = sliceTarget(s);
    if (t && familyOf(t.address) === family && !out.some((x) => x.address === t.address && x.port === t.port)) out.push(t);
  }
  return out;
}
