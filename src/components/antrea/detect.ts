// Antrea replaces kube-proxy only with AntreaProxy's proxyAll; by default it handles in-cluster
// Service traffic from pods and leaves NodePort/host traffic to kube-proxy.
import { parse as parseYaml } from 'yaml';
import type { ClusterSnapshot } from '../../cluster/types.js';
import type { ConfigCheck, Finding } from '../../detect/types.js';
import { imageTag, pickContainer } from '../../detect/image.js';
import { agentSelector, configMap, daemonSetsFor, mostCommon, podsWith } from '../../detect/lookup.js';

/** The DaemonSets its agents run under. */
export const DAEMONSETS = ['antrea-agent'] as const;

const POD_LABELS = { app: 'antrea', component: 'antrea-agent' };

export function detectAntrea(snap: ClusterSnapshot): Finding | null {
  const dss = daemonSetsFor(snap, [...DAEMONSETS], POD_LABELS);
  const pods = podsWith(snap, [POD_LABELS]);
  if (dss.length === 0 && pods.length === 0) return null;
  const ds = dss.find((d) => d.desired > 0) ?? dss[0];
  const agentImage = (cs: Parameters<typeof pickContainer>[0]) => pickContainer(cs, ['antrea-agent'])?.image;
  const version = ds ? imageTag(agentImage(ds.containers)) : (mostCommon(pods.map((p) => imageTag(agentImage(p.containers)))) ?? 'unknown');
  const namespace = ds?.namespace ?? pods[0]?.namespace ?? 'kube-system';
  const issues: ConfigCheck[] = [];
  const evidence: string[] = [];
  let proxyAll = false;
  const cm = configMap(snap, 'antrea-config', [namespace, 'kube-system']);
  const text = cm?.data['antrea-agent.conf'];
  if (cm && text !== undefined) {
    let doc: unknown;
    try {
      doc = parseYaml(text, { logLevel: 'error' }); // 'error': bad directives are not process warnings on stderr
    } catch {
      doc = undefined;
    }
    if (doc === null || doc === undefined || typeof doc !== 'object' || Array.isArray(doc)) {
      // An all-comments file parses to null: that is valid (all defaults), not garbage.
      if (doc === null && text.split('\n').every((l) => l.trim() === '' || l.trim().startsWith('#'))) {
        evidence.push('antrea-agent.conf holds only defaults: proxyAll is off.');
      } else {
        issues.push('provider_config_unparseable');
        evidence.push(`ConfigMap ${cm.namespace}/${cm.name} key antrea-agent.conf is not YAML.`);
      }
    } else {
      const ap = (doc as Record<string, unknown>).antreaProxy;
      const v = ap && typeof ap === 'object' ? (ap as Record<string, unknown>).proxyAll : undefined;
      proxyAll = v === true;
      evidence.push(
        `antrea-agent.conf antreaProxy.proxyAll is ${proxyAll ? 'true: Antrea replaces kube-proxy' : 'off: kube-proxy still handles NodePort and host traffic'}.`,
      );
    }
  } else {
    evidence.push('antrea-config / antrea-agent.conf not found: proxyAll is taken as off (its default).');
  }
  const running = dss.some((d) => d.desired > 0) || pods.length > 0;
  const agents = agentSelector(POD_LABELS, ds);
  return {
    type: 'antrea-proxy',
    active: proxyAll && running,
    fullReplacement: proxyAll,
    mode: 'ovs',
    version,
    flavor: 'daemonset',
    issues,
    evidence,
    agents,
  };
}
