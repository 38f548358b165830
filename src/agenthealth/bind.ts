// Bind addresses as kube-proxy (`healthzBindAddress`, `--healthz-bind-address`) and Cilium
// (`kube-proxy-replacement-healthz-bind-address`) take them: `IP:PORT`, `[IPv6]:PORT`, `:PORT`,
// and an empty string for "off".

export type BindReading =
  | { kind: 'off' }
  | { kind: 'invalid'; raw: string }
  | { kind: 'listen'; host: string; port: number; loopback: boolean };

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
