// Where Calico's eBPF kube-proxy replacement serves its kube-proxy-compatible health server
// (docs/detection.md "Agent health endpoints"). Felix listens on `BPFKubeProxyHealthzPort`
// (FelixConfiguration `spec.bpfKubeProxyHealthzPort`, env `FELIX_BPFKUBEPROXYHEALTHZPORT`),
// default 10256, from Calico 3.30; port 0 turns it off (calico#12033; the operator sets 0 where the
// platform keeps kube-proxy, e.g. AKS). Felix reads env first, then the `node.<name>` and `default`
// FelixConfigurations: the per-node override is not evaluated here (one location per cluster).
import type { ClusterSnapshot } from '../../cluster/types.js';
import type { Finding } from '../../detect/types.js';
import { pickContainer } from '../../detect/image.js';
import { atLeast } from '../../detect/version.js';
import { parsePort } from '../health.js';
import type { HealthLocation } from '../health.js';

export const FELIX_HEALTHZ_DEFAULT_PORT = 10256;
const ENV = 'FELIX_BPFKUBEPROXYHEALTHZPORT';

export function locateCalicoHealth(snap: ClusterSnapshot, finding: Finding): HealthLocation {
  if (atLeast(finding.version, 3, 30) === false)
    return { served: false, reason: `Calico ${finding.version} predates Felix's kube-proxy health server (3.30).` };
  const ds = finding.agents.daemonSet
    ? (snap.daemonSets ?? []).find((d) => `${d.namespace}/${d.name}` === finding.agents.daemonSet)
    : undefined;
  const node = pickContainer(ds?.containers ?? [], ['calico-node']);
  const envRaw = node?.name === 'calico-node' ? node.env[ENV] : undefined;
  const felix = (snap.felixConfigurations ?? []).find((f) => f.name === 'default');
  const specRaw = felix?.spec.bpfKubeProxyHealthzPort;
  let port: number | undefined;
  let source: string;
  if (envRaw !== undefined) {
    port = parsePort(envRaw);
    source = `calico-node ${ENV}`;
    if (port === undefined) return { served: false, reason: `${source} holds "${envRaw}", which is not a port.` };
  } else if (specRaw !== undefined && specRaw !== null) {
    port = parsePort(specRaw);
    source = 'FelixConfiguration default spec.bpfKubeProxyHealthzPort';
    if (port === undefined) return { served: false, reason: `${source} holds ${JSON.stringify(specRaw)}, which is not a port.` };
  } else {
    port = FELIX_HEALTHZ_DEFAULT_PORT;
    source = "Felix's default BPFKubeProxyHealthzPort";
  }
  if (port === 0) return { served: false, reason: `${source} is 0: Felix's kube-proxy health server is off.` };
  return { served: true, port, path: '/healthz', bodyFormat: 'kube-proxy-json', source: `${source} (${port})` };
}
