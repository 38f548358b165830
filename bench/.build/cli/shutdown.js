export function onShutdown(log, stop, deadlineMs = 5000) {
    return new Promise((resolve) => {
        let stopping = false;
        const handler = (signal) => {
            if (stopping)
                process.exit(130);
            stopping = true;
            log.info('shutting down', { signal });
            const force = setTimeout(() => {
                log.warn('shutdown took too long; exiting');
                process.exit(1);
            }, deadlineMs);
            force.unref();
            stop().then(() => resolve(0), (e) => {
                log.error('error during shutdown', { error: String(e?.message ?? e) });
                resolve(1);
            });
        };
        process.once('SIGTERM', handler);
        process.once('SIGINT', handler);
    });
}
