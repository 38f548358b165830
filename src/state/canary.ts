// What the canary pipeline (src/canary/) publishes for the status page and diagnose: neutral types.
import type { BehaviourCheckView } from './checks.js';

/** Above this long pending, the data plane no longer takes changes (ServiceProxyProgrammingStalled; diagnose fails). */
export const STALLED_AFTER_SECONDS = 60;

export interface CanaryTarget {
  address: string;
  port: number;
}

/** What the status page and diagnose show. */
export interface CanaryView {
  namespace: string;
  identity: string;
  writer: boolean;
  /** the current holder of the Lease, as last seen ('' none) */
  holder: string;
  writesForbidden: boolean;
  ports: readonly number[];
  listening: boolean;
  vip?: { clusterIp: string; port: number };
  target?: CanaryTarget;
  changes: number;
  /** seconds the newest change has waited; 0 when programmed; undefined before the first change */
  pendingSeconds?: number;
  last?: { seconds: number; at: string };
  lastAnswer?: string;
  /** each (protocol, family) on its own: UDP pending while TCP is done = a stale conntrack entry */
  flows?: CanaryFlowView[];
  /** the behaviour checks (session_affinity, hairpin) */
  checks?: BehaviourCheckView[];
}

export interface CanaryFlowView {
  protocol: 'tcp' | 'udp';
  family: 'ipv4' | 'ipv6';
  clusterIp?: string;
  pendingSeconds?: number;
  lastSeconds?: number;
  /** UDP: the port the long-lived flow's answers come from now */
  answeringPort?: number;
}
