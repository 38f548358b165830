export function tracked(server) {
    const sockets = new Set();
    server.on('connection', (s) => {
        sockets.add(s);
        s.on('close', () => sockets.delete(s));
    });
    return { server, sockets };
}
export async function listenTcp(server, host, port) {
    await new Promise((resolve, reject) => {
        const onError = (err) => reject(err);
        server.once('error', onError);
        server.listen({ host, port, exclusive: true }, () => {
            server.off('error', onError);
            resolve();
        });
    });
    return server.address().port;
}
/** Stops listening and destroys every open connection; resolves when the server is closed. */
export function closeTcp(t) {
    for (const s of t.sockets)
        s.destroy();
    if (!t.server.listening)
        return Promise.resolve();
    return new Promise((resolve) => t.server.close(() => resolve()));
}
export async function bindUdp(socket, host, port) {
    await new Promise((resolve, reject) => {
        const onError = (err) => reject(err);
        socket.once('error', onError);
        socket.bind({ address: host, port, exclusive: true }, () => {
            socket.off('error', onError);
            resolve();
        });
    });
    return socket.address().port;
}
export function closeUdp(socket) {
    return new Promise((resolve) => {
        try {
            socket.close(() => resolve());
        }
        catch {
            resolve(); // already closed
        }
    });
}
const isAddrInUse = (err) => err?.code === 'EADDRINUSE';
/**
 * Binds `makeUdp()` and listens `makeTcp()` on the same host and port: `port` when given (a
 * re-bind), otherwise UDP on an ephemeral port first, then TCP on that number, retrying with a new
 * ephemeral port when TCP finds it taken.
 */
export async function bindUdpAndTcp(host, port, makeUdp, makeTcp, attempts = 20) {
    let lastErr;
    for (let i = 0; i < attempts; i++) {
        const udp = makeUdp();
        let bound;
        try {
            bound = await bindUdp(udp, host, port);
        }
        catch (err) {
            await closeUdp(udp);
            throw err;
        }
        const tcp = makeTcp();
        try {
            await listenTcp(tcp.server, host, bound);
            return { port: bound, udp, tcp };
        }
        catch (err) {
            lastErr = err;
            await closeUdp(udp);
            await closeTcp(tcp);
            if (port !== 0 || !isAddrInUse(err))
                throw err;
        }
    }
    throw lastErr instanceof Error ? lastErr : new Error(`no port free on ${host} for both UDP and TCP`);
}
/** listenTcp with a few retries on EADDRINUSE (re-binding a fixed port just released). */
export async function listenTcpRetrying(make, host, port, attempts = 10) {
    for (let i = 0;; i++) {
        const tcp = make();
        try {
            return { port: await listenTcp(tcp.server, host, port), tcp };
        }
        catch (err) {
            await closeTcp(tcp);
            if (i + 1 >= attempts || !isAddrInUse(err) || port === 0)
                throw err;
            await new Promise((r) => setTimeout(r, 50));
        }
    }
}
