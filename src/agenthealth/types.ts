// The vocabulary of the agents' own health endpoints (docs/detection.md "Agent health endpoints").
// Locators (src/components/<name>/health.ts) say where a provider's endpoint listens; the prober
// asks every node there and classifies the answer into one of HEALTH_STATES.
import type { HealthLocation } from '../components/health.js';
export type { BodyFormat, HealthLocation, HealthLocator, NotServedLocation, ServedLocation } from '../components/health.js';

/** Node results, in the order they are exported (`proxy_provider_agent_health{state}`). */
export const HEALTH_STATES = ['healthy', 'unhealthy', 'unreachable', 'not_served'] as const;
export type HealthState = (typeof HEALTH_STATES)[number];

/** One node's answer. */
export interface NodeHealth {
  node: string;
  /** the address asked (the node's InternalIP); empty when it has none */
  address: string;
  state: HealthState;
  /** HTTP status, when the agent answered */
  status?: number;
  /** currentTime - lastUpdated from the body, seconds, when the body carries both */
  syncAgeSeconds?: number;
  /** kube-proxy ≥ 1.28 /healthz: false while the node is being deleted (KEP-3836) */
  nodeEligible?: boolean;
  /** why unreachable (timeout, refused, reset, unreachable, ...) or not served, or a body note */
  reason?: string;
  /** round time of this answer, ISO */
  at: string;
}

export type HealthCounts = Record<HealthState, number>;

export function zeroCounts(): HealthCounts {
  return { healthy: 0, unhealthy: 0, unreachable: 0, not_served: 0 };
}

/** The prober's published state: what metrics, detection, diagnose and the status page read. */
export interface AgentHealthView {
  /** provider the round was for */
  provider: string;
  location?: HealthLocation;
  counts: HealthCounts;
  /** largest syncAgeSeconds over nodes whose body carries it; undefined when none does */
  maxSyncAgeSeconds?: number;
  nodes: NodeHealth[];
  /** undefined until the first round */
  lastRound?: { at: string; durationSeconds: number };
  intervalMs: number;
}
