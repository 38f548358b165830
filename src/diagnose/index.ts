export * from './types.js';
export { buildReport, exitCodeOf, CHECKS } from './report.js';
export { renderText } from './text.js';
export { attachDiagnoseSources, inputFromExporter, nextProbeRound, reportFromExporter } from './collect.js';
export { slimEvent, type SlimEvent } from './events.js';
