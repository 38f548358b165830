// One round of asking every target node's agent: bounded concurrency, starts spread across the
// round's budget so 5,000 nodes do not burst, each request bounded by a timeout and a body cap.
// Each node appears once per round and rounds never overlap, so at most one request is in flight
// per node. A request never throws out of here: every outcome is a NodeHealth.
import { setMaxListeners } from 'node:events';
import http from 'node:http';
import { readBody, stateOfStatus } from './body.js';
import type { NodeHealth, ServedLocation } from './types.js';

/** Bodies are a few dozen bytes; anything past this is cut off (and read as far as it goes). */
export const MAX_BODY_BYTES = 4096;

export interface HttpAnswer {
  status: number;
  body: string;
}

/** GET http://address:port/path; rejects with an Error whose `code` says why (ETIMEDOUT, ECONNREFUSED, …). */
export type HealthGetter = (address: string, port: number, path: string, timeoutMs: number, signal?: AbortSignal) => Promise<HttpAnswer>;

// One agent without keep-alive for every node (`agent: false` builds a new Agent per request: ~10 %
// more garbage a request, 5,000 requests a round).
const sharedAgent = new http.Agent({ keepAlive: false });

export const httpGet: HealthGetter = (address, port, path, timeoutMs, signal) =>
  new Promise<HttpAnswer>((resolve, reject) => {
    let done = false;
    const finish = (fn: () => void) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      fn();
    };
    const fail = (code: string, message: string) => finish(() => reject(Object.assign(new Error(message), { code })));
    const req = http.request(
      {
        host: address,
        port,
        path,
        method: 'GET',
        agent: sharedAgent,
        headers: { 'user-agent': 'service-proxy-exporter', accept: 'application/json' },
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          if (size >= MAX_BODY_BYTES) return;
          chunks.push(c);
          size += c.length;
          if (size >= MAX_BODY_BYTES) {
            finish(() =>
              resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).subarray(0, MAX_BODY_BYTES).toString('utf8') }),
            );
            req.destroy();
          }
        });
        res.on('end', () => finish(() => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') })));
        res.on('error', (e: NodeJS.ErrnoException) => fail(e.code ?? 'ECONNRESET', e.message));
        res.on('aborted', () => fail('ECONNRESET', 'response aborted'));
      },
    );
    const timer = setTimeout(() => {
      fail('ETIMEDOUT', `no answer within ${timeoutMs}ms`);
      req.destroy();
    }, timeoutMs);
    const onAbort = () => {
      fail('ABORTED', 'aborted');
      req.destroy();
    };
    if (signal?.aborted) onAbort();
    else signal?.addEventListener('abort', onAbort, { once: true });
    req.on('error', (e: NodeJS.ErrnoException) => fail(e.code ?? 'EOTHER', e.message));
    req.end();
  });

/** The closed set of unreachable reasons shown in diagnose. */
export function unreachableReason(err: unknown): string {
  const code = (err as NodeJS.ErrnoException)?.code ?? '';
  switch (code) {
    case 'ETIMEDOUT':
      return 'timeout';
    case 'ECONNREFUSED':
      return 'refused';
    case 'ECONNRESET':
    case 'EPIPE':
    case 'HPE_INVALID_CONSTANT':
      return 'reset';
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'EADDRNOTAVAIL':
      return 'unreachable';
    case 'ABORTED':
      return 'aborted';
    default:
      return code.startsWith('HPE_') ? 'bad_http' : 'other';
  }
}

export interface Target {
  node: string;
  address: string;
}

export interface RoundOptions {
  location: ServedLocation;
  timeoutMs: number;
  concurrency: number;
  /** starts are spread across this many ms (0: as fast as concurrency allows) */
  spreadMs: number;
  /** the longest gap between two starts, so small clusters finish quickly */
  maxGapMs?: number;
  signal?: AbortSignal;
  get?: HealthGetter;
  now?: () => number;
}

export const DEFAULT_MAX_GAP_MS = 50;

/** Ask one node. */
export async function probeNode(
  t: Target,
  o: Pick<RoundOptions, 'location' | 'timeoutMs' | 'signal' | 'get'>,
  at: string,
): Promise<NodeHealth> {
  const base = { node: t.node, address: t.address, at };
  if (!t.address) return { ...base, state: 'unreachable', reason: 'node has no InternalIP' };
  try {
    const a = await (o.get ?? httpGet)(t.address, o.location.port, o.location.path, o.timeoutMs, o.signal);
    const r = readBody(o.location.bodyFormat, a.body);
    const out: NodeHealth = { ...base, state: stateOfStatus(a.status), status: a.status };
    if (r.syncAgeSeconds !== undefined) out.syncAgeSeconds = r.syncAgeSeconds;
    if (r.nodeEligible !== undefined) out.nodeEligible = r.nodeEligible;
    if (r.note) out.reason = r.note;
    return out;
  } catch (e) {
    return { ...base, state: 'unreachable', reason: unreachableReason(e) };
  }
}

/** A sleep that ends early when `signal` aborts (a round's workers wait on their round's own signal). */
export const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (ms <= 0 || signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });

/**
 * Every target once. Start i is not before `start + i·gap` (gap = spreadMs / n, at most maxGapMs),
 * and at most `concurrency` requests are open at a time. Results come back in target order.
 */
export async function runRound(targets: Target[], o: RoundOptions): Promise<NodeHealth[]> {
  const now = o.now ?? Date.now;
  const n = targets.length;
  const out = new Array<NodeHealth>(n);
  if (n === 0) return out;
  const workers = Math.max(1, Math.min(o.concurrency, n));
  // Every worker listens on the round's signal (its sleep, then its request): one signal of the
  // round's own, allowed that many listeners, instead of the caller's (Node warns past 10).
  const round = new AbortController();
  setMaxListeners(2 * workers + 1, round.signal);
  const forward = () => round.abort();
  if (o.signal?.aborted) round.abort();
  else o.signal?.addEventListener('abort', forward, { once: true });
  try {
    return await runWorkers(targets, { ...o, signal: round.signal }, workers, now, out);
  } finally {
    o.signal?.removeEventListener('abort', forward);
  }
}

async function runWorkers(
  targets: Target[],
  o: RoundOptions,
  workers: number,
  now: () => number,
  out: NodeHealth[],
): Promise<NodeHealth[]> {
  const n = targets.length;
  const gap = Math.min(o.spreadMs / n, o.maxGapMs ?? DEFAULT_MAX_GAP_MS);
  const start = now();
  const at = new Date(start).toISOString();
  let next = 0;
  const worker = async () => {
    for (;;) {
      const i = next++;
      if (i >= n) return;
      const t = targets[i]!;
      if (o.signal?.aborted) {
        out[i] = { node: t.node, address: t.address, state: 'unreachable', reason: 'aborted', at };
        continue;
      }
      await sleep(start + i * gap - now(), o.signal);
      out[i] = await probeNode(t, o, at);
    }
  };
  await Promise.all(Array.from({ length: workers }, worker));
  return out;
}
