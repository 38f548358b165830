// Every setting of `serve` (and the ones `demo`/`diagnose` share), declared once: its flag, its
// environment variable, its config-file key, its default and how to read it. --help, the config
// file schema and the README table are all this list.
import { z } from 'zod';
import { parseDuration } from './duration.js';
import { parseListen } from './listen.js';
export const ENV_PREFIX = 'SERVICE_PROXY_EXPORTER_';
const ok = (value) => ({ ok: true, value });
const bad = (why) => ({ ok: false, why });
function duration(example) {
    const parse = (t) => {
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
        }),
    };
}
function oneOf(values) {
    const parse = (t) => values.includes(t) ? ok(t) : bad(`"${t}" is not one of ${values.join(', ')}`);
    return { parse, schema: z.enum(values) };
}
function positiveInt(max) {
    const parse = (t) => {
        const n = Number(t);
        return /^\d+$/.test(t.trim()) && n >= 1 && n <= max ? ok(n) : bad(`"${t}" is not a whole number from 1 to ${max}`);
    };
    return { parse, schema: z.number().int().min(1).max(max) };
}
const text = {
    parse: (t) => ok(t),
    schema: z.string(),
};
const list = {
    parse: (t) => ok(t.split(',').map((s) => s.trim()).filter(Boolean)),
    schema: z.array(z.string()),
};
const listen = {
    parse: (t) => {
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
    }),
};
const dnsName = {
    parse: (t) => /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/.test(t) ? ok(t) : bad(`"${t}" is not a DNS name`),
    schema: z.string().regex(/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/, 'not a DNS name'),
};
function def(d) {
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
        default: () => 'deployment',
        ...oneOf(['deployment', 'daemonset']),
    }),
    def({
        key: 'nodeName',
        flag: 'node-name',
        envAliases: ['NODE_NAME'],
        valueName: 'NAME',
        description: 'this replica\'s node (daemonset mode; set from the downward API spec.nodeName)',
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
        default: () => 'info',
        ...oneOf(['error', 'warn', 'info', 'debug']),
    }),
    def({
        key: 'logFormat',
        flag: 'log-format',
        valueName: 'json|text',
        description: 'log format (default: json inside a cluster, text elsewhere)',
        default: (env) => (env.KUBERNETES_SERVICE_HOST ? 'json' : 'text'),
        ...oneOf(['json', 'text']),
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
        description: 'the exporter\'s own Service, probed as me_service',
        default: () => 'service-proxy-exporter',
        ...text,
    }),
    def({
        key: 'serviceNamespace',
        flag: 'service-namespace',
        envAliases: ['POD_NAMESPACE'],
        valueName: 'NAMESPACE',
        description: 'namespace of the exporter\'s own Service (default: the pod\'s namespace)',
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
];
export function envName(flag) {
    return ENV_PREFIX + flag.toUpperCase().replaceAll('-', '_');
}
