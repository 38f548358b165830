// The probing subsystem's public surface, for the shell (metrics, HTTP, CLI, demo) to wire in.
export * from './types.js';
export { familyLabel, nodeAddress, vipsOf } from './targets.js';
export { probers, probe } from './probers.js';
export { reasonFromError, detailFromError } from './reason.js';
export { statusMatches, isValidExpectedStatus } from './http.js';
export { encodeQuery, judgeReply, answerQuery, readQuestion, TcpDnsFramer, type ReplyVerdict, type DnsQueryType } from './dnsmessage.js';
export { installProbeCrashGuard, type CrashGuardOptions } from './guard.js';
export { HTTP_BODY_LIMIT_BYTES } from './http.js';
export {
  discoverTargets,
  isOptedIn,
  ANNOTATIONS,
  DEFAULT_MAX_TARGETS,
  type DiscoverInput,
  type DiscoveredTargets,
  type SkippedProbe,
} from './targets.js';
export {
  classify,
  classifyRound,
  functional,
  functionalFromVerdicts,
  blamedProbes,
  eachVerdict,
  verdictName,
  PROXY_FAULTS,
  verdictChanges,
  VERDICTS,
  type ProbeVerdict,
  type Classification,
  type FamilyClassifications,
  type FamilyVerdict,
  type RoundClassifications,
  type ProbePaths,
  type VerdictChange,
} from './differential.js';
export { runRound, type RoundOptions, type RoundResult } from './round.js';
export {
  createScheduler,
  scheduleForInterval,
  msUntilNextTick,
  type ProbeScheduler,
  type SchedulerOptions,
  type IntervalSchedule,
  type SchedulerClock,
} from './scheduler.js';
