#!/usr/bin/env node
// The one binary. Parses, dispatches, and turns every configuration mistake into one line on
// stderr and exit code 2; nothing past start-up is allowed to crash the process.
import { parseCommandLine, UsageError } from './args.js';
import { usage } from './usage.js';
import { ConfigError } from '../config/load.js';
import { KubeconfigError } from '../cluster/kubeconfig.js';
import { buildInfo } from '../app/build-info.js';
import { serveCommand } from './serve.js';
import { demoCommand } from './demo.js';
import { diagnoseCommand } from './diagnose.js';
/** A failure the user can fix: printed as one line, exit code 2. */
function isUserError(e) {
    return e instanceof UsageError || e instanceof ConfigError || e instanceof KubeconfigError;
}
async function main(argv) {
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
            return serveCommand(args);
        case 'demo':
            return demoCommand(args);
        case 'diagnose':
            return diagnoseCommand(args);
    }
}
main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
}, (e) => {
    if (isUserError(e)) {
        process.stderr.write(`service-proxy-exporter: ${e.message}\n`);
    }
    else {
        process.stderr.write(`service-proxy-exporter: unexpected error: ${String(e?.message ?? e).split('\n')[0]}\n`);
    }
    process.exitCode = 2;
});
