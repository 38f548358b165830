// Exponential backoff with full jitter (the AWS "full jitter" scheme), so N replicas that lost
// the API server together do not come back in lockstep. A state machine, not a retry loop: the
// reflector decides per error what to do, this only answers "how long".
export class Backoff {
    initialMs;
    maxMs;
    random;
    attempt = 0;
    constructor(initialMs, maxMs, random = Math.random) {
        this.initialMs = initialMs;
        this.maxMs = maxMs;
        this.random = random;
    }
    next() {
        const ceiling = Math.min(this.maxMs, this.initialMs * 2 ** this.attempt);
        this.attempt = Math.min(this.attempt + 1, 30);
        return Math.round(ceiling / 2 + (this.random() * ceiling) / 2);
    }
    reset() {
        this.attempt = 0;
    }
}
