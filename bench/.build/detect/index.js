export { detect, unsyncedRequired } from './decide.js';
export { DETECTORS, DETECTOR_NAMES, activeDetectors } from './detectors.js';
export { agentStates } from './agents.js';
export * from './types.js';
