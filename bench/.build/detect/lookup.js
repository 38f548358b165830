import { hasLabels } from './scheduling.js';
/** DaemonSets named one of `names` or carrying every label of `labels`. */
export function daemonSetsFor(snap, names, labels) {
    return (snap.daemonSets ?? []).filter((d) => names.includes(d.name) || (labels !== undefined && hasLabels(d.labels, labels)));
}
/** Agent pods carrying every label of any one set, excluding pods being deleted. */
export function podsWith(snap, labelSets) {
    return (snap.agentPods ?? []).filter((p) => !p.deleting && labelSets.some((l) => hasLabels(p.labels, l)));
}
/** A ConfigMap by name, preferring `preferNamespaces` in order, else any namespace. */
export function configMap(snap, name, preferNamespaces = []) {
    const all = (snap.configMaps ?? []).filter((c) => c.name === name);
    for (const ns of preferNamespaces) {
        const c = all.find((x) => x.namespace === ns);
        if (c)
            return c;
    }
    return all[0];
}
/** State of a source; a source not mentioned (pure unit tests) counts as synced. */
export function sourceState(snap, name) {
    return snap.sources?.[name] ?? 'synced';
}
/** true when a source's objects can be trusted to be complete ("none" really means none). */
export function sourceReadable(snap, name) {
    const s = sourceState(snap, name);
    return s === 'synced' || s === 'absent';
}
export function mostCommon(values) {
    const counts = new Map();
    for (const v of values)
        counts.set(v, (counts.get(v) ?? 0) + 1);
    let best;
    let n = 0;
    for (const [v, c] of counts)
        if (c > n)
            [best, n] = [v, c];
    return best;
}
export function dsRef(d) {
    return d ? `${d.namespace}/${d.name}` : undefined;
}
