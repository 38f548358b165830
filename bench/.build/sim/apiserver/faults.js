// Injected failures: error statuses and slow responses for requests matching a pattern, either
// until cleared or for the next N matching requests.
function matches(m, t) {
    return ((m.resource === undefined || m.resource === t.resource) &&
        (m.verb === undefined || m.verb === t.verb) &&
        (m.namespace === undefined || m.namespace === t.namespace) &&
        (m.name === undefined || m.name === t.name));
}
export class Faults {
    entries = [];
    /** Apply `fault` to every matching request until clear(). */
    set(match, fault) {
        this.entries.push({ match, fault, remaining: Infinity });
    }
    /** Apply `fault` to the next `count` matching requests. */
    once(match, fault, count = 1) {
        if (count > 0)
            this.entries.push({ match, fault, remaining: count });
    }
    clear() {
        this.entries = [];
    }
    /**
     * What happens to a request: the longest matching delay, and the first matching error status
     * (one-shot faults first, since they are the more specific intent). Consumes one-shot uses.
     */
    decide(target) {
        const hits = this.entries.filter((e) => matches(e.match, target));
        let delayMs = 0;
        const errors = [];
        for (const e of hits) {
            if ('delayMs' in e.fault) {
                delayMs = Math.max(delayMs, e.fault.delayMs);
                e.remaining--;
            }
            else {
                errors.push(e);
            }
        }
        const chosen = errors.find((e) => e.remaining !== Infinity) ?? errors[0];
        if (chosen)
            chosen.remaining--;
        this.entries = this.entries.filter((e) => e.remaining > 0);
        const error = chosen && 'status' in chosen.fault ? chosen.fault : undefined;
        return { delayMs, ...(error ? { error } : {}) };
    }
}
