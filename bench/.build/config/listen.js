export function parseListen(text) {
    const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:\s[\]]*)):(\d{1,5})$/.exec(text.trim());
    if (!m)
        return undefined;
    const port = Number(m[3]);
    if (port > 65535)
        return undefined;
    return { host: m[1] ?? m[2] ?? '', port };
}
export function formatListen(a) {
    const host = a.host.includes(':') ? `[${a.host}]` : a.host;
    return `${host}:${a.port}`;
}
