// The application state: what detection and probing publish, and what metrics and HTTP read at
// scrape/request time. Written only by the pipelines wired in src/app/wire.ts.
import type { SourceState } from '../cluster/types.js';
import type { Verdict } from '../detect/types.js';
import type { IpFamily, ProbePath } from '../probe/types.js';
import type { AgentHealthView } from '../agenthealth/types.js';
import type { ProbeVerdict } from '../probe/differential.js';
import type { HealthCheckView } from '../healthcheck/compare.js';
import type { CanaryView } from './canary.js';

export type { HealthCheckView, HealthCheckServiceView } from '../healthcheck/compare.js';

export interface ProbeOutcome {
  probe: string;
  path: ProbePath;
  family: IpFamily;
  success: boolean;
}

/** What state families are computed from. */
export interface ExporterState {
  verdict: Verdict | undefined;
  sources: Record<string, SourceState>;
  /** last completed probe round; undefined until the first round (service_lb_* then stay absent) */
  probes:
    { functional: boolean; results: ProbeOutcome[]; verdicts: { probe: string; family: IpFamily; verdict: ProbeVerdict }[] } | undefined;
  build: { version: string; revision: string; nodejsVersion: string };
  /** the agents' own health endpoints; undefined with --agent-health off (their families absent) */
  agentHealth?: AgentHealthView;
  /** the canary (src/canary/); undefined with --canary off */
  canary?: CanaryView;
  /** health-check node ports (src/healthcheck/); undefined with --health-check-node-ports off */
  healthChecks?: HealthCheckView;
}
