// winston: structured JSON in the cluster, one readable line locally. One line per event
// (provider changed, source lost/regained), never per poll or per probe.
import winston from 'winston';
export function createLogger(opts = {}) {
    const format = opts.format === 'json'
        ? winston.format.combine(winston.format.timestamp(), winston.format.json())
        : winston.format.combine(winston.format.timestamp({ format: 'HH:mm:ss' }), winston.format.printf(({ timestamp, level, message, ...fields }) => {
            const extra = Object.entries(fields)
                .filter(([k]) => typeof k === 'string')
                .map(([k, v]) => `${k}=${typeof v === 'string' && !/\s/.test(v) ? v : JSON.stringify(v)}`)
                .join(' ');
            return `${String(timestamp)} ${level.padEnd(5)} ${String(message)}${extra ? ` ${extra}` : ''}`;
        }));
    return winston.createLogger({
        level: opts.level ?? 'info',
        format,
        silent: opts.silent ?? false,
        // stderr: stdout stays free for command output (diagnose, --version)
        transports: [new winston.transports.Console({ stderrLevels: ['error', 'warn', 'info', 'debug'] })],
    });
}
/** A logger that drops everything (tests, library use). */
export function silentLogger() {
    return createLogger({ silent: true });
}
