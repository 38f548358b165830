import { resolveSettings, ConfigError } from '../config/load.js';
import { formatListen } from '../config/listen.js';
import { loadKubeconfig } from '../cluster/kubeconfig.js';
import { createLogger } from '../log.js';
import { runExporter } from '../app/run.js';
import { onShutdown } from './shutdown.js';
export async function serveCommand(args) {
    const settings = resolveSettings(args.flags, process.env);
    const { kc, origin } = loadKubeconfig(settings.kubeconfig);
    const log = createLogger({ level: settings.logLevel, format: settings.logFormat });
    log.info('using Kubernetes API', { server: kc.getCurrentCluster()?.server ?? '', kubeconfig: origin });
    let running;
    try {
        running = await runExporter({ settings, kc, log });
    }
    catch (e) {
        const code = e.code;
        if (code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL') {
            throw new ConfigError(`--listen: cannot listen on ${formatListen(settings.listen)} (${code}); choose another address`);
        }
        throw e;
    }
    return onShutdown(log, running.stop);
}
