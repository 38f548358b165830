// Reading the agents' answers. kube-proxy, Cilium and Felix write
//   {"lastUpdated": "<t>","currentTime": "<t>"[, "nodeEligible": true]}
// with Go's fmt %q of a time.Time, i.e. time.Time.String():
//   "2026-12-01 09:58:31.123456789 +0000 UTC m=+3600.000000001"
// (the monotonic "m=±…" suffix only when the value came from time.Now()). When healthy the
// lastUpdated they send is currentTime (compatibility with old releases), so the age is 0; when
// unhealthy it is the last successful sync — the age then says how long the proxier has been stuck.
// A proxier that never synced sends Go's zero time "0001-01-01 00:00:00 +0000 UTC": no age.
// Anything else (garbage, truncation, RFC 3339) is read leniently and never throws.
import type { BodyFormat, HealthState } from './types.js';

const GO_TIME = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2})(\.\d+)?\s*(Z|[+-]\d{2}:?\d{2})?/;

/** ms since epoch, or undefined when not a time; Go's zero time (year 1) is undefined too. */
export function parseGoTime(v: unknown): number | undefined {
  if (typeof v !== 'string') return undefined;
  const m = GO_TIME.exec(v.trim());
  if (!m) return undefined;
  const frac = m[3] ? m[3].slice(0, 4).padEnd(4, '0') : '';
  let zone = m[4] ?? 'Z';
  if (zone !== 'Z' && !zone.includes(':')) zone = `${zone.slice(0, 3)}:${zone.slice(3)}`;
  const ms = Date.parse(`${m[1]}T${m[2]}${frac}${zone}`);
  if (!Number.isFinite(ms)) return undefined;
  if (Number(m[1]!.slice(0, 4)) <= 1) return undefined;
  return ms;
}

export interface BodyReading {
  syncAgeSeconds?: number;
  nodeEligible?: boolean;
  note?: string;
}

export function readBody(format: BodyFormat, body: string): BodyReading {
  if (format !== 'kube-proxy-json') return {};
  let doc: unknown;
  try {
    doc = JSON.parse(body);
  } catch {
    return { note: 'body is not JSON' };
  }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) return { note: 'body is not a JSON object' };
  const o = doc as Record<string, unknown>;
  const out: BodyReading = {};
  if (typeof o.nodeEligible === 'boolean') out.nodeEligible = o.nodeEligible;
  const last = parseGoTime(o.lastUpdated);
  const now = parseGoTime(o.currentTime);
  if (now !== undefined && last !== undefined) out.syncAgeSeconds = Math.max(0, (now - last) / 1000);
  else if (now !== undefined && typeof o.lastUpdated === 'string' && /^0001-01-01/.test(o.lastUpdated.trim())) out.note = 'never synced';
  else if (o.lastUpdated !== undefined || o.currentTime !== undefined) out.note = 'timestamps unreadable';
  return out;
}

/** 200 is healthy; any other answer is unhealthy (kube-proxy/Cilium/Felix: 503; kube-router: 500). */
export function stateOfStatus(status: number): HealthState {
  return status === 200 ? 'healthy' : 'unhealthy';
}
