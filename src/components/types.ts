// What a component (one service proxy) is, as one record: what it reads from the API, how it is
// detected, its configuration checks and the hints diagnose gives for it. src/components/registry.ts
// holds the table of them; everything that knows about components derives from it.
import type { ResourceRef, SnapshotField } from '../cluster/catalog.js';
import type { ClusterSnapshot } from '../cluster/types.js';
import type { Finding } from '../detect/types.js';
import type { HealthLocator } from './health.js';

export const CHECK_STATUSES = ['ok', 'warn', 'fail', 'skipped'] as const;
export type CheckStatus = (typeof CHECK_STATUSES)[number];

/** In the order a human works through them: who does it, are its agents up, is it configured right, does it work. */
export const CHECK_GROUPS = ['provider', 'agents', 'config', 'datapath'] as const;
export type CheckGroup = (typeof CHECK_GROUPS)[number];

/** One diagnose check result (the report's JSON shape, docs/diagnose.md). */
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

/** What a component's config check sees: its own finding (undefined when not installed) and the snapshot. */
export interface ComponentCheckInput {
  finding: Finding | undefined;
  snapshot: ClusterSnapshot | undefined;
}

export type ComponentCheck = (input: ComponentCheckInput) => Check[];

/** Agent pods read through one label-selected pod watch (`source` names the watch). */
export interface PodRead {
  /**
   * the watch's name (the `source` label of service_proxy_exporter_source_up); components sharing a name
   * and label key share one set-based watch
   */
  source: string;
  labels: Record<string, string>;
  /** a distribution's own packaging of the component (OpenShift): its watches come after the components' own */
  distribution?: string;
}

/** A custom resource read cluster-wide; its CRD may not be installed (404 means none). */
export interface CustomResourceRead {
  source: string;
  ref: ResourceRef;
  field: SnapshotField;
}

export interface ComponentReads {
  pods: PodRead[];
  /** ConfigMaps read by name, in whatever namespace the component was installed into */
  configMaps?: string[];
  customResources?: CustomResourceRead[];
}

export interface Component {
  /** the name the `disabledDetectors` config key turns it off by */
  name: string;
  /** the `type` label of service_proxy_provider */
  provider: Finding['type'];
  /** the name people know it by, for sentences */
  label: string;
  enabledByDefault: boolean;
  reads: ComponentReads;
  /** the DaemonSets its agents run under, by name */
  daemonSets: readonly string[];
  /** pure: `null` means not present */
  detect: (snap: ClusterSnapshot) => Finding | null;
  /** diagnose's config group for this component */
  checks: ComponentCheck[];
  /** what to grep its agents' logs for */
  logPattern: string;
  /** its agents' main containers, preferred for `kubectl logs -c` */
  containers: string[];
  /** where its agents' own health endpoint listens, or why there is none (./<name>/health.ts) */
  health: HealthLocator;
  /** the command that shows the proxy's own view of a VIP (HOST:PORT), for diagnose; else its logs are suggested */
  vipCommand?: (snap: ClusterSnapshot | undefined, f: Finding, vip: string) => string;
}
