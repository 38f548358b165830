// Kubernetes `Status` bodies: every error the fake server returns carries one, as a real one does,
// because clients parse `reason` and `code` out of them.
const REASONS = {
    400: 'BadRequest',
    401: 'Unauthorized',
    403: 'Forbidden',
    404: 'NotFound',
    405: 'MethodNotAllowed',
    409: 'Conflict',
    410: 'Expired',
    422: 'Invalid',
    429: 'TooManyRequests',
    500: 'InternalError',
    503: 'ServiceUnavailable',
    504: 'Timeout',
};
export function reasonFor(code) {
    return REASONS[code] ?? (code >= 500 ? 'InternalError' : 'BadRequest');
}
export function statusBody(code, message, reason = reasonFor(code), details) {
    return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code, ...(details ? { details } : {}) };
}
