export { agentStates } from './agents.js';
export * from './types.js';
