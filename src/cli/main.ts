#!/usr/bin/env node
// The one binary. Parses, dispatches, and turns every configuration mistake into one line on
// stderr and exit code 2; nothing past start-up is allowed to crash the process. Commands are
// imported when chosen: `serve` loads its heavy modules only after the connection is resolved.
import { parseCommandLine, UsageError } from './args.js';
import { usage } from './usage.js';
import { ConfigError } from '../config/load.js';
import { KubeconfigError } from '../cluster/kubeconfig.js';
import { buildInfo } from '../app/build-info.js';

/** A failure the user can fix: printed as one line, exit code 2. */
function isUserError(e: unknown): e is Error {
  return e instanceof UsageError || e instanceof ConfigError || e instanceof KubeconfigError;
}

async function main(argv: string[]): Promise<number> {
  const args = parseCommandLine(argv);
  if (args.help) {
    process.stdout.write(usage());
    return 0;
  }
  if (args.version) {
    const b = buildInfo();
    process.stdout.write(`service-proxy-exporter ${b.version} (revision ${b.revision}, node ${b.nodejsVersion})\n`);
    return 0;
  }
  switch (args.command) {
    case 'serve':
      return (await import('./serve.js')).serveCommand(args);
    case 'demo':
      return (await import('./demo.js')).demoCommand(args);
    case 'diagnose':
      return (await import('./diagnose.js')).diagnoseCommand(args);
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    if (isUserError(e)) {
      process.stderr.write(`service-proxy-exporter: ${e.message}\n`);
    } else {
      process.stderr.write(`service-proxy-exporter: unexpected error: ${String((e as Error)?.message ?? e).split('\n')[0]}\n`);
    }
    process.exitCode = 2;
  },
);
