// --help text, generated from the option table so it cannot drift from what is accepted.
import { OPTIONS, envName } from '../config/options.js';
import { COMMAND_FLAGS, COMMANDS } from './args.js';
import { fileKey } from '../config/load.js';

export function usage(): string {
  const rows = OPTIONS.filter((o) => 'flag' in o && o.flag).map((o) => {
    const flag = `--${(o as { flag: string }).flag} ${o.valueName}`;
    const env = [envName((o as { flag: string }).flag), ...(('envAliases' in o && o.envAliases) || [])].join(', ');
    return `  ${flag.padEnd(36)} ${o.description}\n  ${''.padEnd(36)} env ${env}; config key ${fileKey(o as never)}`;
  });
  const commandRows = COMMANDS.flatMap((c) =>
    Object.entries(COMMAND_FLAGS[c]).map(
      ([name, f]) => `  ${`${c} --${name}${f.valueName ? ` ${f.valueName}` : ''}`.padEnd(36)} ${f.description}`,
    ),
  );
  return `service-proxy-exporter — which component load-balances Kubernetes Services, is it healthy, and does it work

Usage:
  service-proxy-exporter [serve] [flags]          run the exporter (default)
  service-proxy-exporter demo [--scenario NAME] [--listen HOST:PORT]
                                                  the real exporter against a simulated cluster
  service-proxy-exporter diagnose [--kubeconfig F] [--output text|json] [--no-probes]
                                                  one pass of detection, probes and runbook checks;
                                                  exit 0 healthy, 1 problems found, 2 could not run
  service-proxy-exporter --version | --help

Flags (also from the environment and a --config file; flags win, then environment, then file):
${rows.join('\n')}

Command flags (only with their command):
${commandRows.join('\n')}

HTTP: /metrics, /healthz, /readyz, /diagnose (JSON), / (status page)
Durations: 500ms, 2s, 1m, 1m30s. Exit code 2 on a bad flag, environment variable or config value.
`;
}
