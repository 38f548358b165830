#!/usr/bin/env node
// `npm run build` step: tsc only emits JavaScript; the demo's data files (scenario YAML, the demo
// TLS pair) must sit beside the compiled modules that read them.
import { cpSync, existsSync } from 'node:fs';

const ASSETS = [
  ['src/sim/scenarios', 'dist/sim/scenarios'],
  ['src/sim/dataplane/demo-tls', 'dist/sim/dataplane/demo-tls'],
];
for (const [from, to] of ASSETS) {
  // golden expositions are test data: they stay out of dist/
  if (existsSync(from)) cpSync(from, to, { recursive: true, filter: (f) => !f.endsWith('.ts') && !f.includes('/golden') });
}
