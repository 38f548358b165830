// Lenient version handling: image tags come as `v1.18.3`, `1.18`, `v1.14.5-gke.100`,
// `v1.29.3-eksbuild.2`, `v1.31.4+k3s1`. Only major.minor(.patch) matter for our rules.
export function parseVersion(v) {
    if (!v)
        return null;
    const m = /^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?/.exec(v.trim());
    if (!m)
        return null;
    return { major: Number(m[1]), minor: Number(m[2] ?? 0), patch: Number(m[3] ?? 0) };
}
/** <0, 0, >0 like a comparator; null when either side is not a version. */
export function compareVersions(a, b) {
    const x = parseVersion(a);
    const y = parseVersion(b);
    if (!x || !y)
        return null;
    return x.major - y.major || x.minor - y.minor || x.patch - y.patch;
}
/** true/false when `v` is ≥ major.minor; null when `v` is not a version. */
export function atLeast(v, major, minor) {
    const c = compareVersions(v, `${major}.${minor}.0`);
    return c === null ? null : c >= 0;
}
