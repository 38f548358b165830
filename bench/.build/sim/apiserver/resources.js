// Which resources the fake server knows, and how URLs and objects map onto them.
import { RESOURCES } from '../../cluster/catalog.js';
/** Stable identity of a resource: "pods", "apps/daemonsets". */
export function resourceKey(ref) {
    return ref.group ? `${ref.group}/${ref.resource}` : ref.resource;
}
export function apiVersionOf(ref) {
    return ref.group ? `${ref.group}/${ref.version}` : ref.version;
}
/** Resources are CRD-backed when they are not built in (core, apps, discovery). */
const BUILT_IN_GROUPS = new Set(['', 'apps', 'discovery.k8s.io']);
export function isBuiltIn(ref) {
    return BUILT_IN_GROUPS.has(ref.group);
}
export class ResourceRegistry {
    byKey = new Map();
    constructor(extra = []) {
        for (const ref of [...Object.values(RESOURCES), ...extra])
            this.byKey.set(resourceKey(ref), ref);
    }
    all() {
        return [...this.byKey.values()];
    }
    /** By plural name ("pods"), group/plural ("apps/daemonsets") or kind ("Pod"). */
    resolve(kindOrResource) {
        if (typeof kindOrResource !== 'string')
            return this.add(kindOrResource);
        const direct = this.byKey.get(kindOrResource);
        if (direct)
            return direct;
        const matches = this.all().filter((r) => r.resource === kindOrResource || r.kind === kindOrResource);
        if (matches.length === 1)
            return matches[0];
        throw new Error(`unknown resource or kind "${kindOrResource}"${matches.length > 1 ? ' (ambiguous)' : ''}`);
    }
    /** The resource an object belongs to, from its apiVersion and kind. */
    forObject(apiVersion, kind) {
        const [group, version] = apiVersion.includes('/') ? apiVersion.split('/', 2) : ['', apiVersion];
        const ref = this.all().find((r) => r.kind === kind && r.group === group && r.version === version);
        if (!ref)
            throw new Error(`no resource for apiVersion "${apiVersion}" kind "${kind}"`);
        return ref;
    }
    lookup(group, version, resource) {
        const ref = this.byKey.get(resourceKey({ group, resource }));
        return ref && ref.version === version ? ref : undefined;
    }
    add(ref) {
        const key = resourceKey(ref);
        const known = this.byKey.get(key);
        if (known)
            return known;
        this.byKey.set(key, ref);
        return ref;
    }
}
/**
 * Parse a resource URL: /api/v1/[namespaces/NS/]RES[/NAME] or /apis/G/V/[namespaces/NS/]RES[/NAME].
 * `/api/v1/namespaces/NS` itself reads as the namespace object. Returns undefined for other paths.
 */
export function parseResourcePath(pathname) {
    const parts = pathname.split('/').filter((p) => p !== '').map(decodeURIComponent);
    let group;
    let version;
    let rest;
    if (parts[0] === 'api' && parts.length >= 3) {
        group = '';
        version = parts[1];
        rest = parts.slice(2);
    }
    else if (parts[0] === 'apis' && parts.length >= 4) {
        group = parts[1];
        version = parts[2];
        rest = parts.slice(3);
    }
    else {
        return undefined;
    }
    if (rest[0] === 'namespaces' && rest.length >= 3) {
        const [, namespace, resource, name, ...extra] = rest;
        if (extra.length > 0)
            return undefined;
        return { group, version, resource: resource, namespace, ...(name !== undefined ? { name } : {}) };
    }
    const [resource, name, ...extra] = rest;
    if (extra.length > 0)
        return undefined;
    return { group, version, resource: resource, ...(name !== undefined ? { name } : {}) };
}
