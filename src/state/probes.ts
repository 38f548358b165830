// What the probe pipeline publishes: its targets, what it skipped, and its last round. The status
// page, diagnose and the metrics read it; only the probe pipeline (src/app/probes.ts) writes it.
import type { RoundClassifications } from '../probe/differential.js';
import type { IntervalSchedule } from '../probe/scheduler.js';
import type { SkippedProbe } from '../probe/targets.js';
import type { ProbeTarget, TargetResult } from '../probe/types.js';

export interface ProbeView {
  schedule: IntervalSchedule;
  targets: ProbeTarget[];
  skipped: SkippedProbe[];
  overLimit: boolean;
  lastRound?: {
    at: string;
    durationSeconds: number;
    functional: boolean;
    results: TargetResult[];
    classifications: RoundClassifications;
  };
}
