// What the behaviour checks (src/canary/checks.ts) publish for service_lb_check_success, the status page and
// diagnose: neutral types.

/** The behaviour checks, in the order they are shown. */
export const BEHAVIOUR_CHECKS = ['session_affinity', 'hairpin'] as const;
export type BehaviourCheck = (typeof BEHAVIOUR_CHECKS)[number];

export interface BehaviourCheckView {
  check: BehaviourCheck;
  /** why the check does not apply on this replica now; undefined when it does */
  notApplicable?: string;
  /** the last conclusive round: true pass, false fail; undefined before one (service_lb_check_success absent) */
  success?: boolean;
  /** what the last round saw, one line (e.g. "10 connections over ipv4, all to port 8081") */
  detail?: string;
  /** when the last conclusive round ended (ms since epoch) */
  at?: number;
}
