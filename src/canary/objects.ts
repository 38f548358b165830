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

/** The canary Service's port name (manifests/base/canary-service.yaml). */
export const CANARY_PORT_NAME = 'canary';
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

/** The whole canary EndpointSlice pointing at `target`. */
export function canarySlice(
  namespace: string,
  target: CanaryTarget,
  owner: SliceOwner = {},
  resourceVersion?: string,
  changedAt?: Date,
  nodeName?: string,
): Record<string, unknown> {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {
      name: CANARY_NAME,
      namespace,
      labels: { 'kubernetes.io/service-name': CANARY_NAME, 'endpointslice.kubernetes.io/managed-by': MANAGED_BY },
      ...(owner.serviceUid
        ? {
            ownerReferences: [
              { apiVersion: 'v1', kind: 'Service', name: CANARY_NAME, uid: owner.serviceUid, controller: true, blockOwnerDeletion: true },
            ],
          }
        : {}),
      ...(resourceVersion ? { resourceVersion } : {}),
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
 * The fields a flip changes (a JSON merge patch replaces both arrays whole). `nodeName` is the writer's node: kube-proxy
 * in nftables mode masquerades hairpin traffic (a pod reaching itself through a VIP) only to endpoints it knows are on
 * its node (pkg/proxy/nftables/proxier.go, the hairpin-connections set), so without it the writer's own connections
 * to the canary VIP never complete there and every change would look unprogrammed (docs/benchmarks.md).
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
    ports: [{ name: CANARY_PORT_NAME, port: target.port, protocol: 'TCP' }],
  };
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
