export { detect, unsyncedRequired } from './decide.js';
export type { DetectOptions } from './decide.js';
export { DETECTORS, DETECTOR_NAMES, activeDetectors } from './detectors.js';
export type { Detector } from './detectors.js';
export { agentStates } from './agents.js';
export * from './types.js';
export { PROVIDER_TYPES, COMPONENTS, detectionSources } from '../components/registry.js';
