// One paginated list call per resource, through client-node's typed APIs, so the exporter talks
// to the API server exactly as any client-node program would.
import { AppsV1Api, CoreV1Api, CustomObjectsApi, DiscoveryV1Api, } from '@kubernetes/client-node';
/** Builds the list function for a resource, or throws for one the exporter never reads. */
export function makeLister(kc, ref) {
    const fn = pageFn(kc, ref);
    return async (p) => {
        const res = await fn(p);
        const md = res.metadata ?? {};
        const cont = md._continue ?? md.continue;
        return {
            items: res.items ?? [],
            resourceVersion: String(md.resourceVersion ?? ''),
            ...(cont ? { continueToken: String(cont) } : {}),
        };
    };
}
function pageFn(kc, ref) {
    const key = `${ref.group}/${ref.resource}`;
    switch (key) {
        case '/pods': {
            const api = kc.makeApiClient(CoreV1Api);
            return (p) => api.listPodForAllNamespaces(p);
        }
        case '/nodes': {
            const api = kc.makeApiClient(CoreV1Api);
            return (p) => api.listNode(p);
        }
        case '/configmaps': {
            const api = kc.makeApiClient(CoreV1Api);
            return (p) => api.listConfigMapForAllNamespaces(p);
        }
        case '/services': {
            const api = kc.makeApiClient(CoreV1Api);
            return (p) => api.listServiceForAllNamespaces(p);
        }
        case '/events': {
            const api = kc.makeApiClient(CoreV1Api);
            return (p) => api.listEventForAllNamespaces(p);
        }
        case 'apps/daemonsets': {
            const api = kc.makeApiClient(AppsV1Api);
            return (p) => api.listDaemonSetForAllNamespaces(p);
        }
        case 'discovery.k8s.io/endpointslices': {
            const api = kc.makeApiClient(DiscoveryV1Api);
            return (p) => api.listEndpointSliceForAllNamespaces(p);
        }
        default: {
            // CRDs: the generic custom-object client returns plain JSON.
            const api = kc.makeApiClient(CustomObjectsApi);
            return (p) => api.listClusterCustomObject({
                group: ref.group,
                version: ref.version,
                plural: ref.resource,
                ...p,
            });
        }
    }
}
/** HTTP status of a client-node failure: ApiException `.code`, a failed watch's `.statusCode`. */
export function httpStatusOf(err) {
    const e = err;
    if (typeof e?.code === 'number')
        return e.code;
    if (typeof e?.statusCode === 'number')
        return e.statusCode;
    return undefined;
}
/** One line, no secrets: the status and the API's own message when there is one. */
export function describeError(err) {
    const status = httpStatusOf(err);
    const e = err;
    let message = '';
    if (typeof e?.body === 'string') {
        try {
            message = String(JSON.parse(e.body).message ?? '');
        }
        catch {
            message = '';
        }
    }
    if (!message && e?.cause && typeof e.cause.code === 'string')
        message = e.cause.code;
    if (!message)
        message = String(e?.message ?? err).split('\n')[0] ?? '';
    if (message.length > 300)
        message = `${message.slice(0, 300)}…`;
    return status ? `HTTP ${status}: ${message}` : message;
}
