// The probe contract. Every probe kind is one module exporting a `Prober` for its own target shape;
// `probers.ts` is the one table keyed by kind. Targets are plain JSON (no functions, no sockets) so
// they can be computed by a pure function, shown on the status page, and handed to another process.

/** How a probe reaches its Service. The closed set of the `path` label. */
export const PROBE_PATHS = ['vip', 'endpoint', 'nodeport'] as const;
export type ProbePath = (typeof PROBE_PATHS)[number];

/** Why a probe failed. The closed set of the `reason` label. */
export const FAILURE_REASONS = ['timeout', 'refused', 'reset', 'unreachable', 'dns', 'http_status', 'tls', 'other'] as const;
export type FailureReason = (typeof FAILURE_REASONS)[number];

/**
 * The IP family a probe travels over: the closed set of the `family` label. A dual-stack Service is
 * probed on each of its ClusterIPs (kube-proxy runs one proxier per family, and one can fail while the
 * other works: kubernetes#116486).
 */
export const IP_FAMILIES = ['ipv4', 'ipv6'] as const;
export type IpFamily = (typeof IP_FAMILIES)[number];

export const PROBE_KINDS = ['tcp', 'http', 'tls', 'dns'] as const;
export type ProbeKind = (typeof PROBE_KINDS)[number];

/** Fixed probe names (label `probe`); opt-in Services add `<namespace>/<name>`, bounded by maxTargets. */
export const BUILTIN_PROBES = ['apiserver', 'dns_udp', 'dns_tcp', 'me_service'] as const;
export type BuiltinProbe = (typeof BUILTIN_PROBES)[number];

/**
 * The names users turn probes off by (the `disabledProbes` config key), and the probes each one
 * stands for: `dns` is both DNS probes, `annotated` every opted-in Service. The one place the two
 * vocabularies meet.
 */
export const PROBE_SWITCHES = {
  apiserver: ['apiserver'],
  dns: ['dns_udp', 'dns_tcp'],
  me_service: ['me_service'],
  annotated: [],
} as const satisfies Record<string, readonly BuiltinProbe[]>;
export type ProbeSwitch = keyof typeof PROBE_SWITCHES;
export const PROBE_SWITCH_NAMES = Object.keys(PROBE_SWITCHES) as ProbeSwitch[];

/** The built-in probes a `disabledProbes` list turns off (unknown names are left to the caller to report). */
export function disabledBuiltins(names: readonly string[]): BuiltinProbe[] {
  return PROBE_SWITCH_NAMES.filter((n) => names.includes(n)).flatMap((n) => PROBE_SWITCHES[n]);
}

interface TargetBase {
  /** label `probe`: a BuiltinProbe or `<namespace>/<name>` of an opted-in Service */
  probe: string;
  path: ProbePath;
  /** the family of `host`; every path of one verdict shares it */
  family: IpFamily;
  /** IP address (v4 or v6) to connect to */
  host: string;
  port: number;
  /** `<namespace>/<name>` of the Service this target stands for (display only) */
  service?: string;
}

export interface TcpTarget extends TargetBase {
  kind: 'tcp';
}

export interface HttpTarget extends TargetBase {
  kind: 'http';
  scheme: 'http' | 'https';
  /** request path including query, e.g. `/readyz` */
  httpPath: string;
  /**
   * Which statuses count as success: `any`, a code (`200`), a class (`2xx`), or a comma list of
   * those (`200,204,3xx`). See `statusMatches` in http.ts.
   */
  expectedStatus: string;
  /**
   * https only: a completed TLS handshake is success even when the HTTP exchange after it fails.
   * For the API server: the question is whether the path works, not whether we are authorized.
   */
  handshakeIsSuccess?: boolean;
  /** TLS SNI; omitted for IP-only targets */
  serverName?: string;
}

export interface TlsTarget extends TargetBase {
  kind: 'tls';
  serverName?: string;
}

export interface DnsTarget extends TargetBase {
  kind: 'dns';
  transport: 'udp' | 'tcp';
  /** name to resolve, e.g. `kubernetes.default.svc.cluster.local` */
  queryName: string;
  /** record type asked for; success needs at least one answer of it. Default `A`. */
  queryType?: 'A' | 'AAAA';
}

export type ProbeTarget = TcpTarget | HttpTarget | TlsTarget | DnsTarget;

export interface ProbeResult {
  success: boolean;
  durationSeconds: number;
  /** set exactly when success is false */
  reason?: FailureReason;
  /** human-readable, for logs and the status page only — never a label */
  detail?: string;
}

export interface ProbeOptions {
  /** the probe gives up (reason `timeout`) after this long; it enforces this itself */
  timeoutMs: number;
  /** aborting ends the probe promptly (reason `other`, detail `aborted`) */
  signal?: AbortSignal;
  /** `<probe>/<path>`, for the crash guard's log line (guard.ts) */
  label?: string;
}

/** Resolves, never rejects, and settles within `timeoutMs` (plus scheduling slack). */
export type Prober<T extends ProbeTarget = ProbeTarget> = (target: T, opts: ProbeOptions) => Promise<ProbeResult>;

export type ProberTable = { [K in ProbeKind]: Prober<Extract<ProbeTarget, { kind: K }>> };

/** A target together with the result of probing it once. */
export interface TargetResult {
  target: ProbeTarget;
  result: ProbeResult;
}
