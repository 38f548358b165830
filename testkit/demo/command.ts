import type { ParsedArgs } from '../../src/cli/args.js';
import { ConfigError } from '../../src/config/load.js';
import { createLogger } from '../../src/log.js';
import { resolveSettings } from '../../src/config/load.js';
import { listScenarios, loadScenario } from '../scenarios.js';
import { startDemo } from './demo.js';
import { onShutdown } from '../../src/cli/shutdown.js';

export async function demoCommand(args: ParsedArgs): Promise<number> {
  const scenario = args.flags.scenario;
  if (scenario !== undefined && !listScenarios().includes(scenario)) {
    throw new ConfigError(`--scenario: unknown scenario "${scenario}"; valid: ${listScenarios().join(', ')}`);
  }
  const flags: Record<string, string | undefined> = { ...args.flags, listen: args.flags.listen ?? '127.0.0.1:9808' };
  delete flags.scenario;
  // Validate flags before starting anything, so a typo fails fast with exit 2.
  const settings = resolveSettings({ ...flags, kubeconfig: undefined }, { ...process.env, KUBERNETES_SERVICE_HOST: undefined });
  const log = createLogger({ level: settings.logLevel, format: settings.logFormat });
  let demo;
  try {
    demo = await startDemo({ ...(scenario ? { scenario } : {}), flags, log });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE' || code === 'EACCES') {
      throw new ConfigError(`--listen: cannot listen on ${flags.listen} (${code}); pass e.g. --listen 127.0.0.1:9809`);
    }
    throw e;
  }
  const s = loadScenario(demo.scenario);
  process.stdout.write(
    [
      `service-proxy-exporter demo — scenario "${demo.scenario}": ${s.description}`,
      `  metrics:    ${demo.url}/metrics`,
      `  status:     ${demo.url}/`,
      `  diagnose:   ${demo.url}/diagnose`,
      `  fake API:   ${demo.apiUrl}  (kubeconfig ${demo.kubeconfigPath})`,
      `  try:        curl -s ${demo.url}/metrics | grep -E '^(proxy_provider|service_lb_functional)'`,
      `  break/heal: curl -s -X POST ${demo.url}/demo/break   (then /demo/heal): the simulated service proxy stops forwarding`,
      `  scenarios:  ${listScenarios().join(', ')}`,
      'Ctrl-C stops.',
      '',
    ].join('\n'),
  );
  return onShutdown(log, demo.close);
}
