import type { ParsedArgs } from './args.js';
import { resolveSettings, ConfigError } from '../config/load.js';
import { formatListen } from '../config/listen.js';
import { WebConfigError, loadWebConfig } from '../config/web-config.js';
import { openConnection } from '../cluster/kubeconfig.js';
import type { Logger } from '../log.js';
import { onShutdown } from './shutdown.js';

export async function serveCommand(args: ParsedArgs): Promise<number> {
  const settings = resolveSettings(args.flags, process.env);
  // before connecting: a bad web config is a start-up error like a bad flag
  const web = loadWebConfig(settings.webConfigFile);
  if (web) {
    const { checkTlsFiles } = await import('../http/web.js');
    try {
      checkTlsFiles(web);
    } catch (e) {
      throw e instanceof WebConfigError ? new ConfigError(`--web-config-file: ${e.message}`) : e;
    }
  }
  // The connection first, while the process is small: the resolver worker imports client-node, and
  // its transient memory should not add to the HTTP server's, the logger's and the metrics'.
  // the logger is made after the connection; credential events before that go unlogged
  const logger: { current?: Logger } = {};
  const conn = await openConnection(settings.kubeconfig, undefined, {
    onEvent: (event, detail) => {
      if (event === 'resolve_failed') logger.current?.warn('Kubernetes credentials not renewed', { detail });
      else logger.current?.info(event === 'resolved' ? 'Kubernetes credentials renewed' : 'Kubernetes token file re-read', { detail });
    },
  });
  const [{ createLogger }, { runExporter }] = await Promise.all([import('../log.js'), import('../app/run.js')]);
  const log = createLogger({ level: settings.logLevel, format: settings.logFormat });
  logger.current = log;
  log.info('using Kubernetes API', { server: conn.server, kubeconfig: conn.origin });
  let running;
  try {
    running = await runExporter({ settings, conn, log, ...(web ? { web } : {}) });
  } catch (e) {
    conn.close();
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL') {
      throw new ConfigError(`--listen: cannot listen on ${formatListen(settings.listen)} (${code}); choose another address`);
    }
    throw e;
  }
  const r = running;
  return onShutdown(log, () => r.stop().finally(() => conn.close()));
}
