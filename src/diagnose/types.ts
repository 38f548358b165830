// The diagnose report: the KubeProxyDown runbook (seed 002) and its Cilium counterparts (seeds 000,
// 001) as data. Checks are pure functions of what the exporter already holds; the CLI, /diagnose and
// the status page all render the same report. The JSON shape is documented in docs/diagnose.md.
import type { ClusterSnapshot, SourceState } from '../cluster/types.js';
import type { Verdict } from '../detect/types.js';
import type { ProbeView } from '../app/probes.js';
import type { SlimEvent } from './events.js';

/** Bumped on any incompatible change of the JSON shape (a removed or renamed field, a changed meaning). */
import type { CanaryView } from '../canary/index.js';

export const SCHEMA_VERSION = 1;

export const CHECK_STATUSES = ['ok', 'warn', 'fail', 'skipped'] as const;
export type CheckStatus = (typeof CHECK_STATUSES)[number];

/** In the order a human works through them: who does it, are its agents up, is it configured right, does it work. */
export const CHECK_GROUPS = ['provider', 'agents', 'config', 'datapath'] as const;
export type CheckGroup = (typeof CHECK_GROUPS)[number];

export interface Check {
  /** stable, e.g. `agents.pods`, `config.cilium_kpr_value`, `datapath.apiserver` */
  id: string;
  group: CheckGroup;
  status: CheckStatus;
  /** one sentence: what was found */
  summary: string;
  /** human-readable lines (one per pod, node, probe path...), shown under a check that is not ok */
  details?: string[];
  /** the objects and values looked at, as data */
  evidence: Record<string, unknown>;
  /** the first command to run, with real namespaces and names */
  next?: string;
  /** further commands, in order */
  more?: string[];
  /** the alert runbook that covers this check (docs/runbooks/<alert>.md) */
  runbook?: string;
}

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
  /** ms since epoch */
  now: number;
  /** the canary (src/canary/), when it runs; else `canaryOff` says why */
  canary?: CanaryView;
  canaryOff?: string;
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
