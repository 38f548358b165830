/**
 * `quay.io/cilium/cilium:v1.18.3@sha256:…` → `v1.18.3`; `registry:5000/kube-proxy` → `latest`
 * (what the runtime pulls); `repo@sha256:…` → `unknown`.
 */
export function imageTag(image) {
    if (!image)
        return 'unknown';
    const at = image.indexOf('@');
    const ref = at >= 0 ? image.slice(0, at) : image;
    const slash = ref.lastIndexOf('/');
    const colon = ref.lastIndexOf(':');
    // A colon before the last slash is a registry port, not a tag.
    if (colon > slash)
        return ref.slice(colon + 1) || 'unknown';
    return at >= 0 ? 'unknown' : 'latest';
}
/** The container named one of `names` (first match in that order), else the first container. */
export function pickContainer(containers, names) {
    for (const n of names) {
        const c = containers.find((x) => x.name === n);
        if (c)
            return c;
    }
    return containers[0];
}
