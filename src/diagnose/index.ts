export * from './types.js';
export { buildReport, exitCodeOf, CHECKS } from './report.js';
export { renderText } from './text.js';
export { slimEvent, type SlimEvent } from '../cluster/slim.js';
