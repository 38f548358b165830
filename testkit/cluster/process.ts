// A long-running process of the test bed (a control-plane component, or a container the kubelet runs), restarted with
// backoff when it exits, as a static pod or a container with restartPolicy Always would be.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { EventEmitter } from 'node:events';

export interface ProcessSpec {
  name: string;
  argv: string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  logFile: string;
  /** Restart after an exit (false: a one-shot whose exit is final). */
  restart: boolean;
  /** Backoff after the first exit, doubled per further exit up to maxBackoffMs (kubelet: 10 s doubling to 5 min). */
  initialBackoffMs?: number;
  maxBackoffMs?: number;
}

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
  startedAt: Date;
  finishedAt: Date;
}

/**
 * Events: 'start' (pid), 'exit' (ExitInfo, then a restart is scheduled if the spec says so), 'backoff' (ms until the
 * next start).
 */
export class ManagedProcess extends EventEmitter {
  child: ChildProcess | undefined;
  restarts = 0;
  startedAt: Date | undefined;
  lastExit: ExitInfo | undefined;
  waitingUntil: number | undefined;
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;
  private backoffMs: number;
  private log: WriteStream;

  constructor(readonly spec: ProcessSpec) {
    super();
    this.backoffMs = spec.initialBackoffMs ?? 10_000;
    this.log = createWriteStream(spec.logFile, { flags: 'a' });
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  start(): void {
    if (this.stopped) return;
    this.waitingUntil = undefined;
    const [cmd, ...args] = this.spec.argv;
    const startedAt = new Date();
    this.startedAt = startedAt;
    this.log.write(`--- ${startedAt.toISOString()} start: ${this.spec.argv.join(' ')}\n`);
    const child = spawn(cmd!, args, { env: this.spec.env ?? process.env, cwd: this.spec.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    child.stdout!.pipe(this.log, { end: false });
    child.stderr!.pipe(this.log, { end: false });
    child.on('error', (err) => this.log.write(`--- spawn error: ${err.message}\n`));
    child.on('spawn', () => this.emit('start', child.pid));
    child.on('exit', (code, signal) => {
      const info: ExitInfo = { code, signal, startedAt, finishedAt: new Date() };
      this.lastExit = info;
      this.log.write(`--- ${info.finishedAt.toISOString()} exit code=${code} signal=${signal}\n`);
      if (this.child === child) this.child = undefined;
      this.emit('exit', info);
      if (this.stopped || !this.spec.restart) return;
      // A process that ran a good while before exiting starts again from the first backoff step, as kubelet resets its
      // backoff after a container ran cleanly for twice the cap.
      if (info.finishedAt.getTime() - startedAt.getTime() > 2 * (this.spec.maxBackoffMs ?? 300_000)) {
        this.backoffMs = this.spec.initialBackoffMs ?? 10_000;
      }
      const wait = this.restarts === 0 && (this.spec.initialBackoffMs ?? 10_000) === 0 ? 0 : this.backoffMs;
      this.waitingUntil = Date.now() + wait;
      this.emit('backoff', wait);
      this.timer = setTimeout(() => {
        this.restarts++;
        this.backoffMs = Math.min(this.backoffMs * 2 || 1000, this.spec.maxBackoffMs ?? 300_000);
        this.start();
      }, wait);
    });
  }

  /** Kill the current run; the process restarts as after any exit (used for liveness failures and fault tests). */
  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    this.child?.kill(signal);
  }

  /** SIGTERM, then SIGKILL after the grace period; no restart afterwards. */
  async stop(graceMs = 5000): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    const child = this.child;
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(t);
    }
    await new Promise<void>((r) => this.log.end(r));
  }
}
