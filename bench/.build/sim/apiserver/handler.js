import { decodeContinue, encodeContinue } from './continue-token.js';
import { discoveryBody, isNonResourcePath } from './discovery.js';
import { authorize, forbiddenMessage } from './rbac.js';
import { apiVersionOf, parseResourcePath } from './resources.js';
import { matchesFieldRequirements, matchesLabelRequirements, parseFieldSelector, parseLabelSelector } from './selectors.js';
import { statusBody } from './status.js';
function sendJson(res, code, body) {
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    res.writeHead(code, { 'Content-Type': typeof body === 'string' ? 'text/plain; charset=utf-8' : 'application/json', 'Content-Length': Buffer.byteLength(text) });
    res.end(text);
}
function sendStatus(res, code, message, reason, details) {
    sendJson(res, code, statusBody(code, message, reason, details));
}
const NOT_FOUND = 'the server could not find the requested resource';
function isTrue(v) {
    return v === 'true' || v === '1';
}
function delay(ms) {
    return new Promise((r) => setTimeout(r, ms));
}
export function createHandler(ctx) {
    return (req, res) => {
        handle(ctx, req, res).catch((err) => {
            if (!res.headersSent)
                sendStatus(res, 500, err instanceof Error ? err.message : String(err));
            else
                res.destroy();
        });
    };
}
async function handle(ctx, req, res) {
    const url = new URL(req.url ?? '/', 'http://fake');
    const q = url.searchParams;
    const watch = isTrue(q.get('watch'));
    const target = parseResourcePath(url.pathname);
    const labelSelector = q.get('labelSelector') ?? undefined;
    const fieldSelector = q.get('fieldSelector') ?? undefined;
    const resourceVersion = q.get('resourceVersion') ?? undefined;
    const verb = !target || isNonResourcePath(url.pathname) ? (req.method ?? 'GET').toLowerCase() : watch ? 'watch' : target.name !== undefined ? 'get' : 'list';
    const record = {
        time: Date.now(),
        method: req.method ?? 'GET',
        path: url.pathname,
        verb,
        group: target?.group ?? '',
        resource: isNonResourcePath(url.pathname) ? '' : (target?.resource ?? ''),
        ...(target?.namespace !== undefined ? { namespace: target.namespace } : {}),
        ...(target?.name !== undefined ? { name: target.name } : {}),
        ...(labelSelector !== undefined ? { labelSelector } : {}),
        ...(fieldSelector !== undefined ? { fieldSelector } : {}),
        ...(resourceVersion ? { resourceVersion } : {}),
        watch,
        status: 0,
    };
    ctx.requests.push(record);
    // writeHead is where every response (plain or streamed) commits its status
    const writeHead = res.writeHead.bind(res);
    res.writeHead = ((code, ...rest) => {
        record.status = code;
        return writeHead(code, ...rest);
    });
    if (isNonResourcePath(url.pathname) || !target) {
        const body = discoveryBody(url.pathname, ctx.store);
        if (body === undefined)
            return sendStatus(res, 404, NOT_FOUND);
        return sendJson(res, 200, body);
    }
    const ref = ctx.store.registry.lookup(target.group, target.version, target.resource);
    if (!ref || !ctx.store.isInstalled(ref) || (target.namespace !== undefined && !ref.namespaced)) {
        // the answer a real server gives for a resource (or CRD) it does not serve
        return sendStatus(res, 404, NOT_FOUND, 'NotFound', {});
    }
    if (req.method !== 'GET')
        return sendStatus(res, 405, `the server does not allow this method on the requested resource`, 'MethodNotAllowed');
    const attrs = {
        verb: verb,
        group: ref.group,
        resource: ref.resource,
        ...(target.namespace !== undefined ? { namespace: target.namespace } : {}),
        ...(target.name !== undefined ? { name: target.name } : {}),
        ...(fieldSelector !== undefined ? { fieldSelector } : {}),
    };
    if (!authorize(ctx.rbac(), attrs)) {
        return sendStatus(res, 403, forbiddenMessage(attrs), 'Forbidden', { ...(target.name ? { name: target.name } : {}), group: ref.group, kind: ref.resource });
    }
    const fault = ctx.faults.decide({ resource: ref.resource, verb: attrs.verb, ...(target.namespace !== undefined ? { namespace: target.namespace } : {}), ...(target.name !== undefined ? { name: target.name } : {}) });
    if (fault.delayMs > 0)
        await delay(fault.delayMs);
    if (fault.error) {
        const { status, reason } = fault.error;
        const message = fault.error.message ?? (status === 403 ? forbiddenMessage(attrs) : status === 404 ? NOT_FOUND : `injected fault: HTTP ${status}`);
        return sendStatus(res, status, message, reason);
    }
    let matches;
    try {
        const labels = parseLabelSelector(labelSelector ?? '');
        const fields = parseFieldSelector(fieldSelector ?? '');
        matches = (obj) => matchesLabelRequirements(labels, obj.metadata?.labels) && matchesFieldRequirements(fields, obj);
    }
    catch (err) {
        return sendStatus(res, 400, err.message, 'BadRequest');
    }
    if (watch)
        return serveWatch(ctx, res, ref, target.namespace, target.name, matches, q);
    if (target.name !== undefined)
        return serveGet(ctx, res, ref, target.namespace, target.name);
    return serveList(ctx, res, ref, target.namespace, matches, q);
}
function serveGet(ctx, res, ref, namespace, name) {
    const obj = ctx.store.get(ref, namespace, name);
    if (!obj)
        return sendStatus(res, 404, `${ref.resource}${ref.group ? '.' + ref.group : ''} "${name}" not found`, 'NotFound', { name, group: ref.group, kind: ref.resource });
    sendJson(res, 200, obj);
}
function serveList(ctx, res, ref, namespace, matches, q) {
    const limit = Number(q.get('limit') ?? 0);
    const cont = q.get('continue');
    let rv = ctx.store.resourceVersion;
    let startKey;
    if (cont) {
        let token;
        try {
            token = decodeContinue(cont);
        }
        catch (err) {
            return sendStatus(res, 400, err.message, 'BadRequest');
        }
        if (token.rv < ctx.store.oldestResourceVersion) {
            return sendStatus(res, 410, 'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.', 'Expired');
        }
        // Later pages report the first page's rv, so a watch started from it covers everything.
        rv = token.rv;
        startKey = token.start;
    }
    const page = ctx.store.page(ref, {
        ...(namespace ? { namespace } : {}),
        ...(startKey !== undefined ? { startKey } : {}),
        ...(Number.isFinite(limit) && limit > 0 ? { limit } : {}),
        filter: matches,
    });
    sendJson(res, 200, {
        kind: `${ref.kind}List`,
        apiVersion: apiVersionOf(ref),
        metadata: { resourceVersion: String(rv), ...(page.nextKey !== undefined ? { continue: encodeContinue({ rv, start: page.nextKey }) } : {}) },
        items: page.items,
    });
}
function serveWatch(ctx, res, ref, namespace, name, matches, q) {
    const rvParam = q.get('resourceVersion');
    const sinceRv = rvParam && rvParam !== '0' ? Number(rvParam) : undefined;
    if (sinceRv !== undefined && !Number.isInteger(sinceRv))
        return sendStatus(res, 400, `invalid resource version: ${rvParam}`, 'BadRequest');
    const timeout = Number(q.get('timeoutSeconds') ?? NaN);
    ctx.hub.open({
        ref,
        ...(namespace ? { namespace } : {}),
        matches: name === undefined ? matches : (o) => o.metadata?.name === name && matches(o),
        ...(sinceRv !== undefined ? { sinceRv } : {}),
        bookmarks: ctx.bookmarks && isTrue(q.get('allowWatchBookmarks')),
        ...(Number.isFinite(timeout) && timeout > 0 ? { timeoutMs: timeout * 1000 } : {}),
    }, res);
}
