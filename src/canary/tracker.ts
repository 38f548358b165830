// What one replica knows about canary programming, as a pure state machine: changes arrive from
// the watch, answers from the VIP; out come latencies and how long the data plane has been behind.
import type { CanaryTarget } from './objects.js';

export interface ProgrammingView {
  /** canary changes seen on the watch */
  changes: number;
  /** the slice's current target */
  target?: CanaryTarget;
  /** when the oldest change the data plane has not yet shown arrived (ms since epoch); undefined when caught up */
  pendingSince?: number;
  /** the last measured latency */
  last?: { seconds: number; at: number };
}

export class ProgrammingTracker {
  private v: ProgrammingView = { changes: 0 };

  get view(): ProgrammingView {
    return this.v;
  }

  /** The target before the first change (the slice as found at start): not a change, nothing pending. */
  baseline(target: CanaryTarget | undefined): void {
    this.v = { ...this.v, ...(target ? { target } : {}) };
    if (!target) delete this.v.target;
  }

  /**
   * A change arrived on the watch at `at`. Returns false when the target did not move (a resync,
   * an update of other fields). A change while another is still pending keeps the older arrival
   * time: the data plane is behind since then, and with two ports the newer target may equal what
   * it served before the older change, so only the older time is honest.
   */
  change(target: CanaryTarget | undefined, at: number): boolean {
    const cur = this.v.target;
    if (!target) {
      // slice gone or without a ready endpoint: nothing the data plane could be asked to show
      const next: ProgrammingView = { changes: this.v.changes, ...(this.v.last ? { last: this.v.last } : {}) };
      this.v = next;
      return false;
    }
    if (cur && cur.address === target.address && cur.port === target.port) return false;
    this.v = { ...this.v, changes: this.v.changes + 1, target, pendingSince: this.v.pendingSince ?? at };
    return true;
  }

  /** The VIP answered from `port` at `at`. Returns the latency in seconds when that completes a pending change. */
  answer(port: number, at: number): number | undefined {
    const { pendingSince, target } = this.v;
    if (pendingSince === undefined || !target || port !== target.port) return undefined;
    const seconds = Math.max(0, (at - pendingSince) / 1000);
    const next: ProgrammingView = { ...this.v, last: { seconds, at } };
    delete next.pendingSince;
    this.v = next;
    return seconds;
  }

  /** service_lb_programming_pending_seconds: undefined before the first change, 0 when caught up. */
  pendingSeconds(now: number): number | undefined {
    if (this.v.changes === 0) return undefined;
    return this.v.pendingSince === undefined ? 0 : Math.max(0, (now - this.v.pendingSince) / 1000);
  }
}

/**
 * What a long-lived UDP flow through the canary VIP has taken. A conntrack entry that survives an
 * endpoint change keeps the flow's answers coming from the old target (kubernetes#139628, #125467,
 * #48370), so a change counts as taken only when the flow's answers **move**: from the port they
 * came from when the first missed change arrived, to the current target. A flow stuck on port A that
 * sees the canary flip back to A has taken nothing; its pending time keeps growing from the first
 * change it missed, whichever way the canary flips.
 */
export class FlowTracker {
  private v: ProgrammingView = { changes: 0 };
  /** the port the flow answered from when the pending change arrived (undefined: any answer from the target counts) */
  private from: number | undefined;
  /** the port the flow's last answer came from */
  private lastPort: number | undefined;

  get view(): ProgrammingView {
    return this.v;
  }

  /** The port the flow's answers come from now. */
  get answering(): number | undefined {
    return this.lastPort;
  }

  baseline(target: CanaryTarget | undefined): void {
    this.v = { ...this.v, ...(target ? { target } : {}) };
    if (!target) delete this.v.target;
  }

  /** As ProgrammingTracker.change; the first missed change also fixes the port the flow must move away from. */
  change(target: CanaryTarget | undefined, at: number): boolean {
    const cur = this.v.target;
    if (!target) {
      this.v = { changes: this.v.changes, ...(this.v.last ? { last: this.v.last } : {}) };
      this.from = undefined;
      return false;
    }
    if (cur && cur.address === target.address && cur.port === target.port) return false;
    if (this.v.pendingSince === undefined) this.from = this.lastPort ?? cur?.port;
    this.v = { ...this.v, changes: this.v.changes + 1, target, pendingSince: this.v.pendingSince ?? at };
    return true;
  }

  /** The flow answered from `port` at `at`. Returns the latency in seconds when its answers moved to the current target. */
  answer(port: number, at: number): number | undefined {
    this.lastPort = port;
    const { pendingSince, target } = this.v;
    if (pendingSince === undefined || !target || port !== target.port || port === this.from) return undefined;
    const seconds = Math.max(0, (at - pendingSince) / 1000);
    const next: ProgrammingView = { ...this.v, last: { seconds, at } };
    delete next.pendingSince;
    this.v = next;
    this.from = undefined;
    return seconds;
  }

  pendingSeconds(now: number): number | undefined {
    if (this.v.changes === 0) return undefined;
    return this.v.pendingSince === undefined ? 0 : Math.max(0, (now - this.v.pendingSince) / 1000);
  }
}
