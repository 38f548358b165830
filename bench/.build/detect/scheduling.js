export function tolerates(t, taint) {
    if (t.effect && t.effect !== taint.effect)
        return false;
    const op = t.operator || 'Equal';
    // An empty key with Exists tolerates every taint; an empty key with Equal is invalid.
    if (!t.key)
        return op === 'Exists';
    if (t.key !== taint.key)
        return false;
    if (op === 'Exists')
        return true;
    return (t.value ?? '') === (taint.value ?? '');
}
/** The NoSchedule/NoExecute taints of `node` that no toleration covers (PreferNoSchedule never blocks). */
export function untoleratedTaints(node, tolerations) {
    return node.taints.filter((taint) => (taint.effect === 'NoSchedule' || taint.effect === 'NoExecute') && !tolerations.some((t) => tolerates(t, taint)));
}
export function matchesNodeSelector(node, selector) {
    return Object.entries(selector).every(([k, v]) => node.labels[k] === v);
}
export function nodeReady(node) {
    return node.conditions.Ready === 'True';
}
export function hasLabels(labels, want) {
    return Object.entries(want).every(([k, v]) => labels[k] === v);
}
