// The probe contract. Every probe kind is one module exporting a `Prober` for its own target shape;
// `probers.ts` is the one table keyed by kind. Targets are plain JSON (no functions, no sockets) so
// they can be computed by a pure function, shown on the status page, and handed to another process.
/** How a probe reaches its Service. The closed set of the `path` label. */
export const PROBE_PATHS = ['vip', 'endpoint', 'nodeport'];
/** Why a probe failed. The closed set of the `reason` label. */
export const FAILURE_REASONS = ['timeout', 'refused', 'reset', 'unreachable', 'dns', 'http_status', 'tls', 'other'];
export const PROBE_KINDS = ['tcp', 'http', 'tls', 'dns'];
/** Fixed probe names (label `probe`); opt-in Services add `<namespace>/<name>`, bounded by maxTargets. */
export const BUILTIN_PROBES = ['apiserver', 'dns_udp', 'dns_tcp', 'me_service'];
