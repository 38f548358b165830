// A list+watch mirror of one API collection, keeping only slimmed objects.
//
// Why not client-node's informer: it stops for good on any error but 410 (PITFALLS.md), caches
// whole objects (~14 KB per Cilium pod), and its list ignores label selectors. This one keeps
// going: a dropped watch resumes from the last resourceVersion (no relist), 410 Gone relists,
// 404 on an optional CRD means "absent", 403 means "forbidden"; all retry with backoff forever.
import { EventEmitter } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { Watch } from '@kubernetes/client-node';
import { collectionPath } from './catalog.js';
import { describeError, httpStatusOf, makeLister } from './lister.js';
import { Backoff } from './backoff.js';
class WatchFailed extends Error {
    cause;
    established;
    constructor(cause, established) {
        super(describeError(cause));
        this.cause = cause;
        this.established = established;
    }
}
export class Reflector extends EventEmitter {
    spec;
    name;
    state = 'pending';
    lastError = '';
    resourceVersion = '';
    stats = { lists: 0, listPages: 0, watches: 0, events: 0, relists: 0 };
    items = new Map();
    list;
    watcher;
    opts;
    backoff;
    stopper = new AbortController();
    current;
    loop;
    constructor(kc, spec, opts = {}) {
        super();
        this.spec = spec;
        this.name = spec.name;
        this.list = makeLister(kc, spec.ref);
        this.watcher = new Watch(kc);
        const watchTimeoutSeconds = opts.watchTimeoutSeconds ?? 300 + Math.floor(Math.random() * 300);
        this.opts = {
            pageSize: opts.pageSize ?? 500,
            watchTimeoutSeconds,
            idleTimeoutMs: opts.idleTimeoutMs ?? (watchTimeoutSeconds + 30) * 1000,
            backoff: opts.backoff ?? { initialMs: 1000, maxMs: 30_000 },
            recheckMs: opts.recheckMs ?? 60_000,
        };
        this.backoff = new Backoff(this.opts.backoff.initialMs, this.opts.backoff.maxMs);
    }
    /** The current objects, slimmed. */
    values() {
        return [...this.items.values()];
    }
    get size() {
        return this.items.size;
    }
    start() {
        this.loop ??= this.run();
    }
    async stop() {
        this.stopper.abort();
        this.current?.abort();
        await this.loop;
    }
    get stopped() {
        return this.stopper.signal.aborted;
    }
    setState(state, err) {
        const detail = err === undefined ? '' : describeError(err);
        if (state === this.state && detail === this.lastError)
            return;
        const previous = this.state;
        this.state = state;
        this.lastError = detail;
        this.emit('state', { previous, state, error: detail });
    }
    async pause(ms) {
        await sleep(ms, undefined, { signal: this.stopper.signal }).catch(() => undefined);
    }
    async run() {
        let needList = true;
        while (!this.stopped) {
            try {
                if (needList) {
                    await this.relist();
                    needList = false;
                }
                const outcome = await this.watchOnce();
                if (outcome === 'expired') {
                    this.stats.relists++;
                    needList = true;
                }
            }
            catch (err) {
                if (this.stopped)
                    break;
                const failure = err instanceof WatchFailed ? err : undefined;
                const cause = failure ? failure.cause : err;
                const status = httpStatusOf(cause);
                if (status === 410) {
                    this.stats.relists++;
                    needList = true;
                    continue;
                }
                if (status === 404 && this.spec.optional) {
                    this.replaceItems(new Map(), '');
                    this.setState('absent');
                    needList = true;
                    await this.pause(this.opts.recheckMs);
                    continue;
                }
                if (failure?.established) {
                    // The stream was up and broke (connection dropped): resume from the last
                    // resourceVersion after a short pause; the data we hold is still right.
                    await this.pause(this.backoff.next());
                    continue;
                }
                this.setState(status === 403 ? 'forbidden' : 'error', cause);
                await this.pause(status === 403 ? this.opts.recheckMs : this.backoff.next());
            }
        }
    }
    async relist() {
        this.stats.lists++;
        const next = new Map();
        let token;
        let rv = '';
        do {
            const params = { limit: this.opts.pageSize };
            if (this.spec.labelSelector)
                params.labelSelector = this.spec.labelSelector;
            if (this.spec.fieldSelector)
                params.fieldSelector = this.spec.fieldSelector;
            if (token)
                params._continue = token;
            const page = await this.list(params);
            this.stats.listPages++;
            for (const raw of page.items)
                next.set(keyOf(raw), this.spec.slim(raw));
            rv = page.resourceVersion;
            token = page.continueToken;
        } while (token && !this.stopped);
        this.replaceItems(next, rv);
        this.backoff.reset();
        this.setState('synced');
    }
    replaceItems(next, rv) {
        this.items = next;
        this.resourceVersion = rv;
        this.emit('change');
    }
    watchOnce() {
        return new Promise((resolve, reject) => {
            let established = false;
            let expired = false;
            let settled = false;
            let idle;
            const finish = (err) => {
                if (settled)
                    return;
                settled = true;
                if (idle)
                    clearTimeout(idle);
                if (expired)
                    resolve('expired');
                else if (err && !this.stopped)
                    reject(new WatchFailed(err, established));
                else
                    resolve('closed');
            };
            const armIdle = () => {
                if (idle)
                    clearTimeout(idle);
                idle = setTimeout(() => {
                    this.current?.abort();
                    finish(new Error(`no watch event for ${this.opts.idleTimeoutMs} ms`));
                }, this.opts.idleTimeoutMs);
                idle.unref();
            };
            const onEvent = (type, obj) => {
                established = true;
                armIdle();
                this.stats.events++;
                if (type === 'ERROR') {
                    if (obj?.code === 410)
                        expired = true;
                    this.current?.abort();
                    finish(expired ? null : Object.assign(new Error(String(obj?.message ?? 'watch error')), { statusCode: obj?.code }));
                    return;
                }
                const rv = obj?.metadata?.resourceVersion;
                if (typeof rv === 'string' && rv)
                    this.resourceVersion = rv;
                if (type === 'BOOKMARK')
                    return;
                const key = keyOf(obj);
                if (type === 'DELETED')
                    this.items.delete(key);
                else if (type === 'ADDED' || type === 'MODIFIED')
                    this.items.set(key, this.spec.slim(obj));
                else
                    return;
                this.emit('change');
            };
            const query = {
                resourceVersion: this.resourceVersion,
                allowWatchBookmarks: true,
                timeoutSeconds: this.opts.watchTimeoutSeconds,
            };
            if (this.spec.labelSelector)
                query.labelSelector = this.spec.labelSelector;
            if (this.spec.fieldSelector)
                query.fieldSelector = this.spec.fieldSelector;
            this.stats.watches++;
            armIdle();
            this.watcher
                .watch(collectionPath(this.spec.ref), query, onEvent, finish)
                .then((controller) => {
                this.current = controller;
                if (!settled) {
                    // The response was 200: the stream is up, so the source is healthy again.
                    established = true;
                    this.backoff.reset();
                    if (this.state !== 'synced')
                        this.setState('synced');
                    this.emit('watching');
                }
                if (this.stopped)
                    controller.abort();
            })
                .catch(finish);
        });
    }
}
function keyOf(raw) {
    const md = raw?.metadata ?? {};
    return `${md.namespace ?? ''}/${md.name ?? ''}`;
}
