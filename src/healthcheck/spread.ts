// Requests spread over a round: job i starts no earlier than start + i·gap (gap = spreadMs / n, at
// most maxGapMs, so small clusters finish quickly), at most `concurrency` at a time, as agent health
// does (src/agenthealth/prober.ts), so thousands of nodes × Services never burst. Never throws: `run`
// must not (the caller turns every outcome into a value).
import { setMaxListeners } from 'node:events';
import { sleep } from '../agenthealth/prober.js';

export interface SpreadOptions {
  concurrency: number;
  spreadMs: number;
  maxGapMs?: number;
  signal?: AbortSignal;
  now?: () => number;
}

export const DEFAULT_MAX_GAP_MS = 50;

export async function spreadRun<T>(jobs: readonly T[], run: (job: T) => Promise<void>, o: SpreadOptions): Promise<void> {
  const n = jobs.length;
  if (n === 0) return;
  const now = o.now ?? Date.now;
  const workers = Math.max(1, Math.min(Math.floor(o.concurrency) || 1, n));
  if (o.signal) setMaxListeners(Math.max(10, 2 * workers + 1), o.signal);
  const gap = Math.min(o.spreadMs / n, o.maxGapMs ?? DEFAULT_MAX_GAP_MS);
  const start = now();
  let next = 0;
  const worker = async (): Promise<void> => {
    for (;;) {
      const i = next++;
      if (i >= n || o.signal?.aborted) return;
      await sleep(start + i * gap - now(), o.signal);
      if (o.signal?.aborted) return;
      await run(jobs[i]!);
    }
  };
  await Promise.all(Array.from({ length: workers }, worker));
}
