// Non-resource endpoints: version, health and API discovery, answered from the registry so that
// kubectl and client discovery see exactly the installed resources.
import type { ResourceRef } from '../../src/cluster/catalog.js';
import type { ObjectStore } from './store.js';

export const GIT_VERSION = 'v1.31.0';

export function versionInfo() {
  return {
    major: '1',
    minor: '31',
    gitVersion: GIT_VERSION,
    gitCommit: '0000000000000000000000000000000000000000',
    gitTreeState: 'clean',
    buildDate: '2024-08-13T07:28:49Z',
    goVersion: 'go1.22.5',
    compiler: 'gc',
    platform: 'linux/amd64',
  };
}

function installed(store: ObjectStore): ResourceRef[] {
  return store.registry.all().filter((r) => store.isInstalled(r));
}

function resourceList(groupVersion: string, refs: ResourceRef[]) {
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion,
    resources: refs.map((r) => ({
      name: r.resource,
      singularName: r.kind.toLowerCase(),
      namespaced: r.namespaced,
      kind: r.kind,
      verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
    })),
  };
}

/** The body for a non-resource or discovery path, or undefined when the path is not one. */
export function discoveryBody(pathname: string, store: ObjectStore): unknown {
  const path = pathname.replace(/\/+$/, '') || '/';
  if (path === '/version') return versionInfo();
  if (path === '/healthz' || path === '/livez' || path === '/readyz') return 'ok';
  if (path === '/api') return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [] };
  const refs = installed(store);
  if (path === '/api/v1')
    return resourceList(
      'v1',
      refs.filter((r) => r.group === ''),
    );
  if (path === '/apis') {
    const groups = new Map<string, Set<string>>();
    for (const r of refs) if (r.group) (groups.get(r.group) ?? groups.set(r.group, new Set()).get(r.group)!).add(r.version);
    return {
      kind: 'APIGroupList',
      apiVersion: 'v1',
      groups: [...groups].map(([name, versions]) => {
        const vs = [...versions].map((v) => ({ groupVersion: `${name}/${v}`, version: v }));
        return { name, versions: vs, preferredVersion: vs[0] };
      }),
    };
  }
  const m = /^\/apis\/([^/]+)\/([^/]+)$/.exec(path);
  if (m) {
    const own = refs.filter((r) => r.group === m[1] && r.version === m[2]);
    return own.length > 0 ? resourceList(`${m[1]}/${m[2]}`, own) : undefined;
  }
  return undefined;
}

/** Paths that are never subject to RBAC or faults. */
export function isNonResourcePath(pathname: string): boolean {
  return (
    /^\/(version|healthz|livez|readyz|api|apis)\/?$/.test(pathname) ||
    /^\/api\/v1\/?$/.test(pathname) ||
    /^\/apis\/[^/]+\/[^/]+\/?$/.test(pathname)
  );
}
