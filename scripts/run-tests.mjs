#!/usr/bin/env node
// `npm test`: every test/**/*.test.ts through node:test with tsx. Node 20's --test does not
// expand globs, so the files are found here. Arguments narrow the run: `npm test -- test/probe`.
// The real-cluster tests (test/e2e/) run after the rest, one file at a time: each brings up a whole Kubernetes cluster
// in the suite's network namespace, which neither the 2-core machine nor the containment checks should share.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawn } from 'node:child_process';

function find(dir) {
  return readdirSync(dir, { recursive: true })
    .map((f) => join(dir, String(f)))
    .filter((f) => f.endsWith('.test.ts'))
    .sort();
}

const roots = process.argv.slice(2);
const files = (roots.length ? roots : ['test']).flatMap((r) => (statSync(r).isDirectory() ? find(r) : [r]));
if (files.length === 0) {
  console.error('no test files found');
  process.exit(1);
}
const isE2e = (f) => f.split(/[\\/]/).includes('e2e');
const phases = [
  { files: files.filter((f) => !isE2e(f)), concurrency: 2 },
  { files: files.filter(isE2e), concurrency: 1 },
].filter((p) => p.files.length);

function runPhase({ files, concurrency }) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, ...files], {
      stdio: 'inherit',
    });
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

let failed = 0;
for (const phase of phases) {
  const code = await runPhase(phase);
  failed ||= code;
}
process.exit(failed);
