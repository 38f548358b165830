// The diagnose report: the KubeProxyDown runbook and its Cilium counterparts
// (docs/runbooks/ServiceProxyConfigInvalid.md) as data. Checks are pure functions of what the exporter
// already holds; the CLI, /diagnose and the status page all render the same report. The JSON shape is documented in docs/diagnose.md.
import type { ClusterSnapshot, SourceState } from '../cluster/types.js';
import type { Verdict } from '../detect/types.js';
import type { ProbeView } from '../state/probes.js';
import type { SlimEvent } from '../cluster/slim.js';
import type { AgentHealthView } from '../agenthealth/types.js';
import type { HealthCheckView } from '../healthcheck/compare.js';

/** Bumped on any incompatible change of the JSON shape (a removed or renamed field, a changed meaning). */
import type { CanaryView } from '../state/canary.js';

export const SCHEMA_VERSION = 1;

export { CHECK_GROUPS, CHECK_STATUSES, type Check, type CheckGroup, type CheckStatus } from '../components/types.js';
import type { Check, CheckStatus } from '../components/types.js';

export interface SourceInfo {
  state: SourceState;
  /** last error, when failing */
  error?: string;
}

export interface DiagnoseInput {
  verdict: Verdict | undefined;
  snapshot: ClusterSnapshot | undefined;
  sources: Record<string, SourceInfo>;
  /** Warning events of pods; undefined when not collected (then `eventsNote` says why) */
  events: SlimEvent[] | undefined;
  eventsNote?: string;
  probes: ProbeView | undefined;
  /** data-path checks were not run, and why (outside the cluster, --no-probes) */
  probesSkipped?: string;
  /** the agents' own health endpoints, last round; undefined with --agent-health off */
  agentHealth?: AgentHealthView;
  /** ms since epoch */
  now: number;
  /** the canary (src/canary/), when it runs; else `canaryOff` says why */
  canary?: CanaryView;
  canaryOff?: string;
  /** health-check node ports (src/healthcheck/), last round; undefined with --health-check-node-ports off */
  healthChecks?: HealthCheckView;
}

export interface DiagnoseReport {
  schemaVersion: typeof SCHEMA_VERSION;
  generatedAt: string;
  /** the worst status of any check (skipped counts as ok) */
  status: 'ok' | 'warn' | 'fail';
  counts: Record<CheckStatus, number>;
  provider: {
    type: string;
    mode: string;
    version: string;
    flavor: string;
    conflict: boolean;
    agents: { ready: number; unready: number; missing: number };
    /** config checks raised (proxy_provider_config_issue == 1) */
    issues: string[];
    reasons: string[];
  };
  /** every Kubernetes source the verdict and checks were computed from, with its state */
  sources: Record<string, SourceInfo>;
  checks: Check[];
}

export type CheckFn = (input: DiagnoseInput) => Check[];
