// Which resources the fake server knows, and how URLs and objects map onto them.
import { RESOURCES, type ResourceRef } from '../../src/cluster/catalog.js';

/** Stable identity of a resource: "pods", "apps/daemonsets". */
export function resourceKey(ref: Pick<ResourceRef, 'group' | 'resource'>): string {
  return ref.group ? `${ref.group}/${ref.resource}` : ref.resource;
}

export function apiVersionOf(ref: ResourceRef): string {
  return ref.group ? `${ref.group}/${ref.version}` : ref.version;
}

/**
 * Resources the fake serves beyond what the exporter reads (RESOURCES): the ones the canary writes.
 * They are not in the catalog because the catalog is also the exporter's read-only ClusterRole.
 */
export const SIM_RESOURCES = {
  leases: { group: 'coordination.k8s.io', version: 'v1', resource: 'leases', kind: 'Lease', namespaced: true },
} as const satisfies Record<string, ResourceRef>;

/** Resources are CRD-backed when they are not built in (core, apps, discovery, coordination). */
const BUILT_IN_GROUPS = new Set(['', 'apps', 'discovery.k8s.io', 'coordination.k8s.io']);
export function isBuiltIn(ref: ResourceRef): boolean {
  return BUILT_IN_GROUPS.has(ref.group);
}

export class ResourceRegistry {
  private readonly byKey = new Map<string, ResourceRef>();

  constructor(extra: readonly ResourceRef[] = []) {
    for (const ref of [...Object.values(RESOURCES), ...Object.values(SIM_RESOURCES), ...extra]) this.byKey.set(resourceKey(ref), ref);
  }

  all(): ResourceRef[] {
    return [...this.byKey.values()];
  }

  /** By plural name ("pods"), group/plural ("apps/daemonsets") or kind ("Pod"). */
  resolve(kindOrResource: string | ResourceRef): ResourceRef {
    if (typeof kindOrResource !== 'string') return this.add(kindOrResource);
    const direct = this.byKey.get(kindOrResource);
    if (direct) return direct;
    const matches = this.all().filter((r) => r.resource === kindOrResource || r.kind === kindOrResource);
    if (matches.length === 1) return matches[0]!;
    throw new Error(`unknown resource or kind "${kindOrResource}"${matches.length > 1 ? ' (ambiguous)' : ''}`);
  }

  /** The resource an object belongs to, from its apiVersion and kind. */
  forObject(apiVersion: string, kind: string): ResourceRef {
    const [group, version] = apiVersion.includes('/') ? apiVersion.split('/', 2) : ['', apiVersion];
    const ref = this.all().find((r) => r.kind === kind && r.group === group && r.version === version);
    if (!ref) throw new Error(`no resource for apiVersion "${apiVersion}" kind "${kind}"`);
    return ref;
  }

  lookup(group: string, version: string, resource: string): ResourceRef | undefined {
    const ref = this.byKey.get(resourceKey({ group, resource }));
    return ref && ref.version === version ? ref : undefined;
  }

  private add(ref: ResourceRef): ResourceRef {
    const key = resourceKey(ref);
    const known = this.byKey.get(key);
    if (known) return known;
    this.byKey.set(key, ref);
    return ref;
  }
}

export interface ResourceTarget {
  group: string;
  version: string;
  resource: string;
  namespace?: string;
  name?: string;
}

/**
 * Parse a resource URL: /api/v1/[namespaces/NS/]RES[/NAME] or /apis/G/V/[namespaces/NS/]RES[/NAME].
 * `/api/v1/namespaces/NS` itself reads as the namespace object. Returns undefined for other paths.
 */
export function parseResourcePath(pathname: string): ResourceTarget | undefined {
  const parts = pathname
    .split('/')
    .filter((p) => p !== '')
    .map(decodeURIComponent);
  let group: string;
  let version: string;
  let rest: string[];
  if (parts[0] === 'api' && parts.length >= 3) {
    group = '';
    version = parts[1]!;
    rest = parts.slice(2);
  } else if (parts[0] === 'apis' && parts.length >= 4) {
    group = parts[1]!;
    version = parts[2]!;
    rest = parts.slice(3);
  } else {
    return undefined;
  }
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    const [, namespace, resource, name, ...extra] = rest;
    if (extra.length > 0) return undefined;
    return { group, version, resource: resource!, namespace, ...(name !== undefined ? { name } : {}) };
  }
  const [resource, name, ...extra] = rest;
  if (extra.length > 0) return undefined;
  return { group, version, resource: resource!, ...(name !== undefined ? { name } : {}) };
}
