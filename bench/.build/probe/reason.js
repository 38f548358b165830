const BY_CODE = {
    ECONNREFUSED: 'refused',
    ECONNRESET: 'reset',
    EPIPE: 'reset',
    ECONNABORTED: 'reset',
    // The peer closed the socket before the HTTP response / TLS handshake finished.
    ERR_STREAM_PREMATURE_CLOSE: 'reset',
    EHOSTUNREACH: 'unreachable',
    ENETUNREACH: 'unreachable',
    EHOSTDOWN: 'unreachable',
    ENETDOWN: 'unreachable',
    ENONET: 'unreachable',
    EADDRNOTAVAIL: 'unreachable',
    // EPERM/EACCES on connect or send: a local firewall REJECT/DROP with an error (e.g. an
    // iptables OUTPUT rule answering with icmp-admin-prohibited surfaces as EACCES for UDP).
    EACCES: 'unreachable',
    EPERM: 'unreachable',
    ETIMEDOUT: 'timeout',
    ESOCKETTIMEDOUT: 'timeout',
    UND_ERR_CONNECT_TIMEOUT: 'timeout',
    ENOTFOUND: 'dns',
    EAI_AGAIN: 'dns',
    EAI_NONAME: 'dns',
    EAI_FAIL: 'dns',
    EPROTO: 'tls',
    CERT_HAS_EXPIRED: 'tls',
    DEPTH_ZERO_SELF_SIGNED_CERT: 'tls',
    SELF_SIGNED_CERT_IN_CHAIN: 'tls',
    UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'tls',
    UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'tls',
    ERR_TLS_CERT_ALTNAME_INVALID: 'tls',
    ERR_TLS_HANDSHAKE_TIMEOUT: 'timeout',
};
const TLS_PREFIXES = ['ERR_SSL_', 'ERR_OSSL_', 'ERR_TLS_', 'CERT_'];
function errorCode(err) {
    if (err && typeof err === 'object') {
        const code = err.code;
        if (typeof code === 'string')
            return code;
        // fetch/undici and some wrappers put the socket error in `cause`.
        const cause = err.cause;
        if (cause && cause !== err)
            return errorCode(cause);
    }
    return undefined;
}
/** Maps any thrown value to one reason of the closed set; unknown shapes are `other`. */
export function reasonFromError(err) {
    const code = errorCode(err);
    if (code) {
        const known = BY_CODE[code];
        if (known)
            return known;
        if (TLS_PREFIXES.some((p) => code.startsWith(p)))
            return 'tls';
    }
    if (err && typeof err === 'object') {
        const e = err;
        if (e.name === 'TimeoutError')
            return 'timeout';
        // OpenSSL errors carry `library: 'SSL routines'` even when the code is generic.
        if (typeof e.library === 'string' && /ssl/i.test(e.library))
            return 'tls';
    }
    return 'other';
}
/** A short, single-line description for `detail`: the code and the message, at most 200 chars. */
export function detailFromError(err) {
    let text;
    if (err instanceof Error) {
        const code = errorCode(err);
        text = code && !err.message.includes(code) ? `${code}: ${err.message}` : err.message;
    }
    else {
        text = String(err);
    }
    text = text.replace(/\s+/g, ' ').trim();
    return text.length > 200 ? `${text.slice(0, 197)}...` : text;
}
