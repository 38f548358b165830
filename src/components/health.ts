// What a component's health locator returns (docs/detection.md "Agent health endpoints"): where its
// agents' own health endpoint listens, or why there is none. Each component implements one in
// ./<name>/health.ts; src/agenthealth/ asks the nodes there. Also the bind-address and port readers
// the locators share: kube-proxy (`healthzBindAddress`, `--healthz-bind-address`) and Cilium
// (`kube-proxy-replacement-healthz-bind-address`) take `IP:PORT`, `[IPv6]:PORT`, `:PORT`, and an
// empty string for "off".
import type { ClusterSnapshot } from '../cluster/types.js';
import type { Finding } from '../detect/types.js';

/**
 * How the answer's body is read. `kube-proxy-json`: `{"lastUpdated": …, "currentTime": …}` as
 * kube-proxy, Cilium and Felix write it (Go `time.Time` strings); `text`: status code only.
 */
export type BodyFormat = 'kube-proxy-json' | 'text';

export interface ServedLocation {
  served: true;
  port: number;
  path: string;
  bodyFormat: BodyFormat;
  /** one sentence: where the port and path came from (a flag, a ConfigMap key, a default) */
  source: string;
}

export interface NotServedLocation {
  served: false;
  /** one sentence: why this provider/version/config has no endpoint to ask */
  reason: string;
}

export type HealthLocation = ServedLocation | NotServedLocation;

/** A provider's locator: pure, from what detection parsed (its finding) and the snapshot. */
export type HealthLocator = (snap: ClusterSnapshot, finding: Finding) => HealthLocation;

export type BindReading =
  { kind: 'off' } | { kind: 'invalid'; raw: string } | { kind: 'listen'; host: string; port: number; loopback: boolean };

export function parseBindAddress(raw: string | undefined): BindReading {
  const v = (raw ?? '').trim();
  if (v === '') return { kind: 'off' };
  const m = /^(?:\[([^\]]*)\]|([^:[\]]*(?::[^:[\]]*)*?)):(\d+)$/.exec(v);
  if (!m) return { kind: 'invalid', raw: v };
  const host = (m[1] ?? m[2] ?? '').trim();
  const port = Number(m[3]);
  if (!Number.isInteger(port) || port < 0 || port > 65535) return { kind: 'invalid', raw: v };
  if (port === 0) return { kind: 'off' };
  const loopback = host === 'localhost' || host === '::1' || /^127\./.test(host);
  return { kind: 'listen', host, port, loopback };
}

/** A port number from a FelixConfiguration field, a flag or an env var; undefined when not a port. */
export function parsePort(v: unknown): number | undefined {
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\s*\d+\s*$/.test(v) ? Number(v) : NaN;
  return Number.isInteger(n) && n >= 0 && n <= 65535 ? n : undefined;
}
