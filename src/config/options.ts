// Every setting of `serve` (and the ones `demo`/`diagnose` share), declared once: its flag, its
// environment variable, its config-file key, its default and how to read it. --help, the config
// file schema and the README table are all this list.
import { isIP } from 'node:net';
import { z } from 'zod';
import { parseDuration } from './duration.js';
import { parseListen, type ListenAddress } from './listen.js';

export const ENV_PREFIX = 'SERVICE_PROXY_EXPORTER_';

export interface Settings {
  kubeconfig: string;
  listen: ListenAddress;
  probeIntervalMs: number;
  probeTimeoutMs: number;
  mode: 'deployment' | 'daemonset';
  nodeName: string;
  config: string;
  logLevel: 'error' | 'warn' | 'info' | 'debug';
  logFormat: 'json' | 'text';
  maxProbeTargets: number;
  clusterDomain: string;
  serviceName: string;
  serviceNamespace: string;
  sourceGracePeriodMs: number;
  probeConcurrency: number;
  /** config file only: detectors (kube-proxy, cilium, calico, antrea, kube-router, ovn-kubernetes) to turn off */
  disabledDetectors: string[];
  /** config file only: probes (apiserver, dns, me_service, annotated) to turn off */
  disabledProbes: string[];
  /** ask every agent's own health endpoint (kube-proxy :10256, Cilium KPR, Calico eBPF, kube-router :20244) */
  agentHealth: 'on' | 'off';
  agentHealthIntervalMs: number;
  agentHealthTimeoutMs: number;
  agentHealthConcurrency: number;
  /**
   * ask each probed node's healthCheckNodePort of every externalTrafficPolicy: Local LoadBalancer Service
   * and compare with its ready endpoints (src/healthcheck/); rounds on the agent health cadence
   */
  healthCheckNodePorts: 'on' | 'off';
  // The canary (src/canary/): service programming latency.
  canary: 'on' | 'off';
  canaryIntervalMs: number;
  canaryPorts: [number, number];
  canaryPollMs: number;
  /** this pod's IP (downward API status.podIP); the canary slice's endpoint */
  podIp: string;
  /** exporter-toolkit web config (TLS, basic auth) for the HTTP server; '' for plain HTTP (src/config/web-config.ts) */
  webConfigFile: string;
  /** this pod's IPs, one per family (downward API status.podIPs); the canary's dual-stack endpoints */
  podIps: string[];
}

type Parsed<T> = { ok: true; value: T } | { ok: false; why: string };

export interface OptionDef<K extends keyof Settings = keyof Settings> {
  key: K;
  /** long flag name without dashes; undefined for config-file-only settings */
  flag?: string;
  /** extra environment variables read after the SERVICE_PROXY_EXPORTER_ one (conventional names) */
  envAliases?: string[];
  /** shown in --help */
  valueName: string;
  description: string;
  default: (env: NodeJS.ProcessEnv) => Settings[K];
  /** from a flag/env string */
  parse: (text: string) => Parsed<Settings[K]>;
  /** from a config-file value */
  schema: z.ZodType<Settings[K]>;
}

const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });
const bad = (why: string): Parsed<never> => ({ ok: false, why });

function duration(example: string) {
  const parse = (t: string): Parsed<number> => {
    const ms = parseDuration(t);
    return ms === undefined ? bad(`"${t}" is not a duration; use e.g. ${example} (units ms, s, m, h)`) : ok(ms);
  };
  return {
    parse,
    schema: z.string().transform((t, ctx) => {
      const r = parse(t);
      if (!r.ok) {
        ctx.addIssue({ code: 'custom', message: r.why });
        return z.NEVER;
      }
      return r.value;
    }) as unknown as z.ZodType<number>,
  };
}

function oneOf<T extends string>(values: readonly T[]) {
  const parse = (t: string): Parsed<T> =>
    (values as readonly string[]).includes(t) ? ok(t as T) : bad(`"${t}" is not one of ${values.join(', ')}`);
  return { parse, schema: z.enum(values as [T, ...T[]]) as unknown as z.ZodType<T> };
}

function positiveInt(max: number) {
  const parse = (t: string): Parsed<number> => {
    const n = Number(t);
    return /^\d+$/.test(t.trim()) && n >= 1 && n <= max ? ok(n) : bad(`"${t}" is not a whole number from 1 to ${max}`);
  };
  return { parse, schema: z.number().int().min(1).max(max) };
}

const text = {
  parse: (t: string): Parsed<string> => ok(t),
  schema: z.string(),
};

const list = {
  parse: (t: string): Parsed<string[]> =>
    ok(
      t
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    ),
  schema: z.array(z.string()),
};

const listen = {
  parse: (t: string): Parsed<ListenAddress> => {
    const a = parseListen(t);
    return a ? ok(a) : bad(`"${t}" is not HOST:PORT; use e.g. :9808 or 127.0.0.1:9808`);
  },
  schema: z.string().transform((t, ctx) => {
    const a = parseListen(t);
    if (!a) {
      ctx.addIssue({ code: 'custom', message: `"${t}" is not HOST:PORT; use e.g. :9808 or 127.0.0.1:9808` });
      return z.NEVER;
    }
    return a;
  }) as unknown as z.ZodType<ListenAddress>,
};

const dnsName = {
  parse: (t: string): Parsed<string> =>
    /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/.test(t) ? ok(t) : bad(`"${t}" is not a DNS name`),
  schema: z.string().regex(/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/, 'not a DNS name'),
};

function portPair() {
  const why = (t: string) => `"${t}" is not two different ports; use e.g. 9810,9811`;
  const read = (parts: unknown[]): [number, number] | undefined => {
    const n = parts.map((p) => (typeof p === 'number' ? p : /^\s*\d+\s*$/.test(String(p)) ? Number(p) : NaN));
    if (n.length !== 2 || n.some((x) => !Number.isInteger(x) || x < 1 || x > 65535) || n[0] === n[1]) return undefined;
    return [n[0]!, n[1]!];
  };
  const parse = (t: string): Parsed<[number, number]> => {
    const r = read(t.split(','));
    return r ? ok(r) : bad(why(t));
  };
  return {
    parse,
    schema: z.union([z.string(), z.array(z.union([z.number(), z.string()]))]).transform((v, ctx) => {
      const r = read(Array.isArray(v) ? v : v.split(','));
      if (!r) {
        ctx.addIssue({ code: 'custom', message: why(Array.isArray(v) ? v.join(',') : v) });
        return z.NEVER;
      }
      return r;
    }) as unknown as z.ZodType<[number, number]>,
  };
}

const ipAddress = {
  parse: (t: string): Parsed<string> =>
    isIP(t.trim()) ? ok(t.trim()) : bad(`"${t}" is not an IP address; set it from the downward API (env POD_IP from status.podIP)`),
  schema: z.string().refine((t) => isIP(t.trim()) !== 0, 'not an IP address; set it from the downward API (env POD_IP from status.podIP)'),
};

/** status.podIPs: at most one address per family (the downward API's comma-separated list). */
const ipList = (() => {
  const check = (parts: string[]): string | undefined => {
    const bad1 = parts.find((t) => isIP(t) === 0);
    if (bad1 !== undefined) return `"${bad1}" is not an IP address; set it from the downward API (env POD_IPS from status.podIPs)`;
    if (parts.length > 2 || (parts.length === 2 && isIP(parts[0]!) === isIP(parts[1]!)))
      return `"${parts.join(',')}" is not one address per family; set it from the downward API (env POD_IPS from status.podIPs)`;
    return undefined;
  };
  const split = (t: string): string[] =>
    t
      .split(',')
      .map((x) => x.trim())
      .filter(Boolean);
  return {
    parse: (t: string): Parsed<string[]> => {
      const parts = split(t);
      const why = check(parts);
      return why ? bad(why) : ok(parts);
    },
    schema: z.union([z.string(), z.array(z.string())]).transform((v, ctx) => {
      const parts = Array.isArray(v) ? v.map((x) => x.trim()).filter(Boolean) : split(v);
      const why = check(parts);
      if (why) {
        ctx.addIssue({ code: 'custom', message: why });
        return z.NEVER;
      }
      return parts;
    }) as unknown as z.ZodType<string[]>,
  };
})();

function def<K extends keyof Settings>(d: OptionDef<K>): OptionDef<K> {
  return d;
}

export const OPTIONS = [
  def({
    key: 'kubeconfig',
    flag: 'kubeconfig',
    valueName: 'FILE',
    description: 'kubeconfig file (default: in-cluster service account, then $KUBECONFIG, then ~/.kube/config)',
    default: () => '',
    ...text,
  }),
  def({
    key: 'listen',
    flag: 'listen',
    valueName: 'HOST:PORT',
    description: 'address for /metrics, /healthz, /readyz, /diagnose and the status page',
    default: () => ({ host: '', port: 9808 }),
    ...listen,
  }),
  def({
    key: 'probeIntervalMs',
    flag: 'probe-interval',
    valueName: 'DURATION',
    description: 'time between probe rounds',
    default: () => 15_000,
    ...duration('15s'),
  }),
  def({
    key: 'probeTimeoutMs',
    flag: 'probe-timeout',
    valueName: 'DURATION',
    description: 'timeout of each probe (at most the probe interval)',
    default: () => 5_000,
    ...duration('5s'),
  }),
  def({
    key: 'mode',
    flag: 'mode',
    valueName: 'deployment|daemonset',
    description: 'deployment: one replica watches the cluster; daemonset: one per node, watching only its node',
    default: () => 'deployment' as const,
    ...oneOf(['deployment', 'daemonset'] as const),
  }),
  def({
    key: 'nodeName',
    flag: 'node-name',
    envAliases: ['NODE_NAME'],
    valueName: 'NAME',
    description:
      "this replica's node, set from the downward API spec.nodeName (daemonset mode: the node it watches and probes; both modes: the canary endpoint's nodeName)",
    default: () => '',
    ...text,
  }),
  def({
    key: 'config',
    flag: 'config',
    valueName: 'FILE',
    description: 'YAML or JSON config file with any of these settings (camelCase keys)',
    default: () => '',
    ...text,
  }),
  def({
    key: 'logLevel',
    flag: 'log-level',
    valueName: 'error|warn|info|debug',
    description: 'log level',
    default: () => 'info' as const,
    ...oneOf(['error', 'warn', 'info', 'debug'] as const),
  }),
  def({
    key: 'logFormat',
    flag: 'log-format',
    valueName: 'json|text',
    description: 'log format (default: json inside a cluster, text elsewhere)',
    default: (env) => (env.KUBERNETES_SERVICE_HOST ? ('json' as const) : ('text' as const)),
    ...oneOf(['json', 'text'] as const),
  }),
  def({
    key: 'maxProbeTargets',
    flag: 'max-probe-targets',
    valueName: 'N',
    description: 'most Services annotated service-proxy-exporter.io/probe="true" to probe',
    default: () => 20,
    ...positiveInt(500),
  }),
  def({
    key: 'clusterDomain',
    flag: 'cluster-domain',
    valueName: 'DOMAIN',
    description: 'cluster DNS domain for the dns probe',
    default: () => 'cluster.local',
    ...dnsName,
  }),
  def({
    key: 'serviceName',
    flag: 'service-name',
    valueName: 'NAME',
    description: "the exporter's own Service, probed as me_service",
    default: () => 'service-proxy-exporter',
    ...text,
  }),
  def({
    key: 'serviceNamespace',
    flag: 'service-namespace',
    envAliases: ['POD_NAMESPACE'],
    valueName: 'NAMESPACE',
    description: "namespace of the exporter's own Service (default: the pod's namespace)",
    default: () => '',
    ...text,
  }),
  def({
    key: 'sourceGracePeriodMs',
    flag: 'source-grace-period',
    valueName: 'DURATION',
    description: 'how long to keep the last verdict while the API cannot be read before reporting unknown',
    default: () => 60_000,
    ...duration('60s'),
  }),
  def({
    key: 'probeConcurrency',
    flag: 'probe-concurrency',
    valueName: 'N',
    description: 'probes run at once in a round',
    default: () => 8,
    ...positiveInt(256),
  }),
  def({
    key: 'disabledDetectors',
    valueName: 'LIST',
    description: 'detectors to turn off (config file: list)',
    default: () => [],
    ...list,
  }),
  def({
    key: 'disabledProbes',
    valueName: 'LIST',
    description: 'probes to turn off (config file: list): apiserver, dns, me_service, annotated',
    default: () => [],
    ...list,
  }),
  def({
    key: 'agentHealth',
    flag: 'agent-health',
    valueName: 'on|off',
    description: "ask each node's service proxy agent on its own health endpoint (egress to node IPs on that port)",
    default: () => 'on' as const,
    ...oneOf(['on', 'off'] as const),
  }),
  def({
    key: 'healthCheckNodePorts',
    flag: 'health-check-node-ports',
    valueName: 'on|off',
    description:
      'ask the healthCheckNodePort of every externalTrafficPolicy: Local LoadBalancer Service on each probed node and compare with its endpoints (agent health interval, timeout, concurrency)',
    default: () => 'on' as const,
    ...oneOf(['on', 'off'] as const),
  }),
  // The canary (src/canary/, docs/canary.md): one replica moves an EndpointSlice, every replica
  // times how long the data plane takes to follow.
  def({
    key: 'canary',
    flag: 'canary',
    valueName: 'on|off',
    description: 'measure service programming latency with the canary Service (off: no writes, no Lease, no canary ports)',
    default: () => 'on' as const,
    ...oneOf(['on', 'off'] as const),
  }),
  def({
    key: 'agentHealthIntervalMs',
    flag: 'agent-health-interval',
    valueName: 'DURATION',
    description: 'time between agent health rounds; requests are spread across it',
    default: () => 30_000,
    ...duration('30s'),
  }),
  def({
    key: 'canaryIntervalMs',
    flag: 'canary-interval',
    valueName: 'DURATION',
    description: 'how often the writer moves the canary EndpointSlice to its other port',
    default: () => 30_000,
    ...duration('30s'),
  }),
  def({
    key: 'agentHealthTimeoutMs',
    flag: 'agent-health-timeout',
    valueName: 'DURATION',
    description: 'timeout of each agent health request (at most the interval)',
    default: () => 2_000,
    ...duration('2s'),
  }),
  def({
    key: 'agentHealthConcurrency',
    flag: 'agent-health-concurrency',
    valueName: 'N',
    description: 'agent health requests in flight at once (deployment mode)',
    default: () => 32,
    ...positiveInt(1024),
  }),
  def({
    key: 'canaryPorts',
    flag: 'canary-ports',
    valueName: 'PORT,PORT',
    description: "the two TCP ports every replica answers on with the port's identity",
    default: () => [9810, 9811] as [number, number],
    ...portPair(),
  }),
  def({
    key: 'canaryPollMs',
    flag: 'canary-poll',
    valueName: 'DURATION',
    description: 'after a canary change, how often to ask the canary VIP until it reaches the new port',
    default: () => 200,
    ...duration('200ms'),
  }),
  def({
    key: 'podIp',
    flag: 'pod-ip',
    envAliases: ['POD_IP'],
    valueName: 'IP',
    description: "this pod's IP, the canary endpoint (set from the downward API status.podIP; without it the canary is off)",
    default: () => '',
    ...ipAddress,
  }),
  def({
    key: 'webConfigFile',
    flag: 'web-config-file',
    valueName: 'FILE',
    description:
      'TLS and basic auth for /metrics in the exporter-toolkit web config format (tls_server_config, basic_auth_users); /healthz and /readyz stay open',
    default: () => '',
    ...text,
  }),
  def({
    key: 'podIps',
    flag: 'pod-ips',
    envAliases: ['POD_IPS'],
    valueName: 'IP,IP',
    description:
      "this pod's IPs, one per family (the downward API status.podIPs): the canary answers and is observed on each family; default: --pod-ip alone",
    default: () => [],
    ...ipList,
  }),
] as const satisfies readonly OptionDef<any>[];

export function envName(flag: string): string {
  return ENV_PREFIX + flag.toUpperCase().replaceAll('-', '_');
}
