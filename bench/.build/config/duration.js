// Prometheus-style durations: 500ms, 2s, 1m, 1h, and compounds like 1m30s.
const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const DURATION = /^(?:\d+(?:ms|s|m|h))+$/;
const PART = /(\d+)(ms|s|m|h)/g;
/** Milliseconds, or undefined when the text is not a duration. */
export function parseDuration(text) {
    const t = text.trim();
    if (!DURATION.test(t))
        return undefined;
    let total = 0;
    for (const [, n, unit] of t.matchAll(PART))
        total += Number(n) * UNIT_MS[unit];
    return Number.isSafeInteger(total) ? total : undefined;
}
export function formatDuration(ms) {
    if (ms % 3_600_000 === 0 && ms > 0)
        return `${ms / 3_600_000}h`;
    if (ms % 60_000 === 0 && ms > 0)
        return `${ms / 60_000}m`;
    if (ms % 1000 === 0 && ms > 0)
        return `${ms / 1000}s`;
    return `${ms}ms`;
}
