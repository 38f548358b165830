// Where kube-proxy's own health server listens (docs/detection.md "Agent health endpoints").
//
// kube-proxy serves `/healthz` on `healthzBindAddress` (KubeProxyConfiguration) or
// `--healthz-bind-address`, default `0.0.0.0:10256`; empty turns it off. With `--config` the file
// decides and other flags are ignored (kubernetes#107156). From 1.28 it also serves `/livez`:
// `/healthz` then fails on nodes being deleted by the autoscaler (KEP-3836, kubernetes#116470),
// so `/livez` is asked from 1.28 on — same body, proxier health only.
// k3s runs kube-proxy in-process with `healthz-bind-address=127.0.0.1` unless a
// `--kube-proxy-arg healthz-bind-address=…` says otherwise: not reachable from a pod.
import { parse as parseYaml } from 'yaml';
import type { ClusterSnapshot, SlimContainer } from '../../cluster/types.js';
import type { Finding } from '../../detect/types.js';
import { flagValue, flagValues } from '../../detect/flags.js';
import { pickContainer } from '../../detect/image.js';
import { configMap } from '../../detect/lookup.js';
import { hasLabels } from '../../detect/scheduling.js';
import { atLeast } from '../../detect/version.js';
import { parseBindAddress } from '../health.js';
import type { HealthLocation } from '../health.js';

export const KUBE_PROXY_HEALTHZ_DEFAULT = '0.0.0.0:10256';

/** `/livez` from 1.28 (KEP-3836); `/healthz` before, and when the version is unreadable. */
export function kubeProxyHealthPath(version: string): string {
  return atLeast(version, 1, 28) === true ? '/livez' : '/healthz';
}

function agentContainer(snap: ClusterSnapshot, finding: Finding): SlimContainer | undefined {
  const ds = finding.agents.daemonSet
    ? (snap.daemonSets ?? []).find((d) => `${d.namespace}/${d.name}` === finding.agents.daemonSet)
    : undefined;
  if (ds) return pickContainer(ds.containers, ['kube-proxy']);
  const pod = (snap.agentPods ?? []).find((p) => !p.deleting && finding.agents.podLabels.some((l) => hasLabels(p.labels, l)));
  return pod ? pickContainer(pod.containers, ['kube-proxy']) : undefined;
}

/** healthzBindAddress from the KubeProxyConfiguration ConfigMap (EKS `kube-proxy-config`/`config`, kubeadm `kube-proxy`/`config.conf`). */
function fromConfigMap(
  snap: ClusterSnapshot,
  namespace: string | undefined,
): { value: string | undefined; where: string } | { unparseable: string } | undefined {
  const ns = namespace ? [namespace, 'kube-system'] : ['kube-system'];
  for (const [name, key] of [
    ['kube-proxy-config', 'config'],
    ['kube-proxy', 'config.conf'],
  ] as const) {
    const cm = configMap(snap, name, ns);
    const text = cm?.data[key];
    if (!cm || typeof text !== 'string') continue;
    const where = `ConfigMap ${cm.namespace}/${cm.name} key ${key}`;
    let doc: unknown;
    try {
      doc = parseYaml(text, { logLevel: 'error' });
    } catch {
      doc = undefined;
    }
    if (!doc || typeof doc !== 'object' || Array.isArray(doc)) return { unparseable: where };
    const v = (doc as Record<string, unknown>).healthzBindAddress;
    return { value: typeof v === 'string' ? v : undefined, where };
  }
  return undefined;
}

function located(raw: string, source: string, version: string): HealthLocation {
  const b = parseBindAddress(raw);
  if (b.kind === 'off') return { served: false, reason: `${source} turns kube-proxy's health server off.` };
  if (b.kind === 'invalid') return { served: false, reason: `${source} holds "${b.raw}", which is not IP:PORT.` };
  if (b.loopback)
    return { served: false, reason: `${source} binds kube-proxy's health server to ${b.host}: reachable only from the node itself.` };
  return { served: true, port: b.port, path: kubeProxyHealthPath(version), bodyFormat: 'kube-proxy-json', source: `${source} (${raw})` };
}

/** k3s records `--kube-proxy-arg` values in the node-args annotation. */
function k3sHealthz(snap: ClusterSnapshot): string | undefined {
  let found: string | undefined;
  for (const n of snap.nodes ?? []) {
    const raw = n.annotations['k3s.io/node-args'];
    if (raw === undefined) continue;
    let args: unknown;
    try {
      args = JSON.parse(raw);
    } catch {
      continue;
    }
    if (!Array.isArray(args)) continue;
    for (const v of flagValues(
      args.filter((a): a is string => typeof a === 'string'),
      'kube-proxy-arg',
    )) {
      const m = /^-{0,2}healthz-bind-address=(.*)$/.exec(v.trim());
      if (m) found = m[1]!;
    }
  }
  return found;
}

export function locateKubeProxyHealth(snap: ClusterSnapshot, finding: Finding): HealthLocation {
  const version = finding.version;
  if (finding.flavor === 'k3s-embedded') {
    const arg = k3sHealthz(snap);
    if (arg !== undefined) return located(arg, 'k3s --kube-proxy-arg healthz-bind-address', version);
    return { served: false, reason: 'k3s runs kube-proxy with healthz-bind-address=127.0.0.1: reachable only from the node itself.' };
  }
  const container = agentContainer(snap, finding);
  const argv = container?.argv ?? [];
  const configFlag = flagValue(argv, 'config');
  const bindFlag = flagValue(argv, 'healthz-bind-address');
  const ns =
    finding.agents.daemonSet?.split('/')[0] ??
    (snap.agentPods ?? []).find((p) => finding.agents.podLabels.some((l) => hasLabels(p.labels, l)))?.namespace;
  const cfg = fromConfigMap(snap, ns);
  if (configFlag || (bindFlag === undefined && cfg)) {
    if (cfg && 'unparseable' in cfg)
      return { served: false, reason: `${cfg.unparseable} is not a YAML KubeProxyConfiguration: the health server's address is unknown.` };
    if (cfg)
      return located(
        cfg.value ?? KUBE_PROXY_HEALTHZ_DEFAULT,
        cfg.value === undefined ? `${cfg.where} (no healthzBindAddress: kube-proxy's default)` : `${cfg.where} healthzBindAddress`,
        version,
      );
    // --config names a file the API does not show (static pods): its other flags are ignored.
    return located(KUBE_PROXY_HEALTHZ_DEFAULT, "--config file not visible in the API: kube-proxy's default assumed", version);
  }
  if (bindFlag !== undefined) return located(bindFlag, '--healthz-bind-address', version);
  return located(KUBE_PROXY_HEALTHZ_DEFAULT, "kube-proxy's default", version);
}
