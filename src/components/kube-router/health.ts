// Where kube-router's health controller listens (docs/detection.md "Agent health endpoints"):
// `/healthz` on `--health-port` (default 20244; 0 keeps the checks but serves no HTTP). It answers
// 200 `OK` while every enabled controller sent its heartbeat within its sync period (+ grace), else
// 500 `Unhealthy`: a text body without timestamps, so there is no sync age.
import type { ClusterSnapshot } from '../../cluster/types.js';
import type { Finding } from '../../detect/types.js';
import { flagValue } from '../../detect/flags.js';
import { pickContainer } from '../../detect/image.js';
import { hasLabels } from '../../detect/scheduling.js';
import { parsePort } from '../health.js';
import type { HealthLocation } from '../health.js';

export const KUBE_ROUTER_HEALTH_DEFAULT_PORT = 20244;

export function locateKubeRouterHealth(snap: ClusterSnapshot, finding: Finding): HealthLocation {
  const ds = finding.agents.daemonSet
    ? (snap.daemonSets ?? []).find((d) => `${d.namespace}/${d.name}` === finding.agents.daemonSet)
    : undefined;
  const pod = (snap.agentPods ?? []).find((p) => finding.agents.podLabels.some((l) => hasLabels(p.labels, l)));
  const container = pickContainer(ds?.containers ?? pod?.containers ?? [], ['kube-router']);
  const raw = container ? flagValue(container.argv, 'health-port') : undefined;
  if (raw === undefined)
    return {
      served: true,
      port: KUBE_ROUTER_HEALTH_DEFAULT_PORT,
      path: '/healthz',
      bodyFormat: 'text',
      source: `kube-router's default --health-port (${KUBE_ROUTER_HEALTH_DEFAULT_PORT})`,
    };
  const port = parsePort(raw);
  if (port === undefined) return { served: false, reason: `--health-port=${raw} is not a port.` };
  if (port === 0) return { served: false, reason: '--health-port=0: kube-router serves no health endpoint.' };
  return { served: true, port, path: '/healthz', bodyFormat: 'text', source: `--health-port (${port})` };
}
