import { apiVersionOf, resourceKey } from './resources.js';
import { statusBody } from './status.js';
export class WatchHub {
    store;
    bookmarkIntervalMs;
    streams = new Set();
    unsubscribe;
    constructor(store, bookmarkIntervalMs) {
        this.store = store;
        this.bookmarkIntervalMs = bookmarkIntervalMs;
        this.unsubscribe = [
            store.subscribe((e) => this.dispatch(e)),
            // a real server ends watches on a resource whose CRD is removed
            store.onUninstall((key) => {
                for (const s of [...this.streams])
                    if (s.key === key)
                        this.end(s);
            }),
        ];
    }
    count() {
        return this.streams.size;
    }
    /** Start streaming to `res`. Replay and registration happen in one tick, so no change falls between them. */
    open(spec, res) {
        const key = resourceKey(spec.ref);
        const history = spec.sinceRv === undefined ? [] : this.store.eventsSince(spec.sinceRv, key);
        res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private' });
        res.flushHeaders();
        if (history === undefined) {
            // What a real server does for a watch from a compacted rv: 200, one ERROR event, end of stream.
            const status = statusBody(410, `too old resource version: ${spec.sinceRv} (${this.store.oldestResourceVersion})`, 'Expired');
            res.end(JSON.stringify({ type: 'ERROR', object: status }) + '\n');
            return;
        }
        const stream = { key, resource: spec.ref.resource, spec, res, timers: [], ...(spec.namespace ? { namespace: spec.namespace } : {}) };
        if (spec.sinceRv === undefined) {
            const current = this.store.page(spec.ref, spec.namespace ? { namespace: spec.namespace } : {}).items;
            for (const obj of current)
                if (this.selects(stream, obj))
                    this.write(stream, 'ADDED', obj);
        }
        for (const e of history)
            this.send(stream, e);
        this.streams.add(stream);
        res.on('close', () => this.forget(stream));
        if (spec.bookmarks) {
            stream.timers.push(setInterval(() => this.bookmark(stream), this.bookmarkIntervalMs));
        }
        if (spec.timeoutMs !== undefined)
            stream.timers.push(setTimeout(() => this.end(stream), spec.timeoutMs));
    }
    /** Destroy matching watch sockets without ending the chunked stream, as a lost connection would. */
    drop(filter) {
        let n = 0;
        for (const s of [...this.streams]) {
            if (filter && !filter({ resource: s.resource, ...(s.namespace ? { namespace: s.namespace } : {}) }))
                continue;
            this.forget(s);
            s.res.socket?.destroy();
            s.res.destroy();
            n++;
        }
        return n;
    }
    /** End every stream cleanly and stop listening to the store. */
    close() {
        for (const s of [...this.streams])
            this.end(s);
        for (const u of this.unsubscribe)
            u();
    }
    selects(s, obj) {
        if (s.spec.namespace && obj.metadata?.namespace !== s.spec.namespace)
            return false;
        return s.spec.matches(obj);
    }
    dispatch(e) {
        for (const s of this.streams)
            if (s.key === e.resource)
                this.send(s, e);
    }
    send(s, e) {
        const now = this.selects(s, e.object);
        const before = e.previous !== undefined && this.selects(s, e.previous);
        if (e.type === 'DELETED') {
            if (before)
                this.write(s, 'DELETED', e.object);
        }
        else if (e.type === 'ADDED') {
            if (now)
                this.write(s, 'ADDED', e.object);
        }
        else if (now && before) {
            this.write(s, 'MODIFIED', e.object);
        }
        else if (now) {
            this.write(s, 'ADDED', e.object);
        }
        else if (before) {
            // left the selection: the watcher last saw the old state, delivered at the new rv
            this.write(s, 'DELETED', { ...e.previous, metadata: { ...e.previous.metadata, resourceVersion: String(e.rv) } });
        }
    }
    bookmark(s) {
        const { ref } = s.spec;
        this.write(s, 'BOOKMARK', { kind: ref.kind, apiVersion: apiVersionOf(ref), metadata: { resourceVersion: String(this.store.resourceVersion) } });
    }
    write(s, type, object) {
        if (!s.res.writableEnded && !s.res.destroyed)
            s.res.write(JSON.stringify({ type, object }) + '\n');
    }
    end(s) {
        this.forget(s);
        if (!s.res.writableEnded)
            s.res.end();
    }
    forget(s) {
        for (const t of s.timers)
            clearTimeout(t);
        s.timers = [];
        this.streams.delete(s);
    }
}
