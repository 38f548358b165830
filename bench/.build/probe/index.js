// The probing subsystem's public surface, for the shell (metrics, HTTP, CLI, demo) to wire in.
export * from './types.js';
export { probers, probe } from './probers.js';
export { reasonFromError, detailFromError } from './reason.js';
export { statusMatches, isValidExpectedStatus } from './http.js';
export { encodeQuery, encodeResponse, parseMessage, rcodeName, RR_TYPES } from './dnswire.js';
export { discoverTargets, ANNOTATIONS, DEFAULT_MAX_TARGETS } from './targets.js';
export { classify, classifyRound, functional, verdictChanges, VERDICTS } from './differential.js';
export { runRound } from './round.js';
export { createScheduler, cronForInterval, nodeCronFactory } from './scheduler.js';
