// The pod spec's readiness and liveness probes, run as the kubelet runs them: httpGet (200–399 passes), tcpSocket,
// exec; every periodSeconds after initialDelaySeconds, failureThreshold failures in a row to fail, successThreshold
// successes to pass. One liberty: until a readiness probe first passes it is tried every second instead of every
// period, so a test bed pod is Ready a second after it listens rather than up to ten.
import { request } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect } from 'node:net';
import { spawn } from 'node:child_process';

export interface ProbeTarget {
  host: string;
  /** Named container ports. */
  ports: Record<string, number>;
  netns: string;
}

function portOf(port: number | string, target: ProbeTarget): number {
  return typeof port === 'number' ? port : /^\d+$/.test(port) ? Number(port) : (target.ports[port] ?? 0);
}

export function runProbe(probe: any, target: ProbeTarget): Promise<boolean> {
  const timeoutMs = (probe.timeoutSeconds ?? 1) * 1000;
  if (probe.httpGet) {
    const g = probe.httpGet;
    const req = g.scheme === 'HTTPS' ? httpsRequest : request;
    return new Promise((resolve) => {
      const r = req(
        {
          host: g.host || target.host,
          port: portOf(g.port, target),
          path: g.path ?? '/',
          method: 'GET',
          timeout: timeoutMs,
          rejectUnauthorized: false,
          headers: { 'user-agent': 'kube-probe/1.37', ...Object.fromEntries((g.httpHeaders ?? []).map((h: any) => [h.name, h.value])) },
        },
        (res) => {
          res.resume();
          resolve((res.statusCode ?? 0) >= 200 && (res.statusCode ?? 0) < 400);
        },
      );
      r.on('timeout', () => r.destroy());
      r.on('error', () => resolve(false));
      r.end();
    });
  }
  if (probe.tcpSocket) {
    return new Promise((resolve) => {
      const s = connect({ host: probe.tcpSocket.host || target.host, port: portOf(probe.tcpSocket.port, target), timeout: timeoutMs });
      s.on('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.on('timeout', () => {
        s.destroy();
        resolve(false);
      });
      s.on('error', () => resolve(false));
    });
  }
  if (probe.exec) {
    return new Promise((resolve) => {
      const child = spawn('ip', ['netns', 'exec', target.netns, ...probe.exec.command], { stdio: 'ignore' });
      const t = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      child.on('exit', (code) => {
        clearTimeout(t);
        resolve(code === 0);
      });
      child.on('error', () => resolve(false));
    });
  }
  // gRPC probes are not run here; a pod that uses one is taken as passing.
  return Promise.resolve(true);
}

/** One probe of one container, on its own timer; `onChange` hears the result flip. */
export class ProbeLoop {
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private failures = 0;
  private successes = 0;
  passing: boolean;

  constructor(
    private readonly probe: any,
    private readonly target: ProbeTarget,
    private readonly kind: 'readiness' | 'liveness',
    private readonly onChange: (passing: boolean) => void,
  ) {
    // Liveness starts passing (a container is alive until proven otherwise); readiness starts failing.
    this.passing = kind === 'liveness';
  }

  start(): void {
    this.schedule((this.probe.initialDelaySeconds ?? 0) * 1000);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.tick(), ms);
  }

  private async tick(): Promise<void> {
    const ok = await runProbe(this.probe, this.target);
    if (this.stopped) return;
    if (ok) {
      this.failures = 0;
      this.successes++;
      if (!this.passing && this.successes >= (this.probe.successThreshold ?? 1)) this.flip(true);
    } else {
      this.successes = 0;
      this.failures++;
      if (this.passing && this.failures >= (this.probe.failureThreshold ?? 3)) this.flip(false);
    }
    const periodMs = (this.probe.periodSeconds ?? 10) * 1000;
    this.schedule(this.kind === 'readiness' && !this.passing && this.failures < 30 ? Math.min(1000, periodMs) : periodMs);
  }

  private flip(passing: boolean): void {
    this.passing = passing;
    this.onChange(passing);
  }
}
