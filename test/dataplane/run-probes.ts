// Runs one probe round and prints its outcome as JSON; used inside the client namespace by
// runProbesInNamespace():  echo '{"targets":[...],"timeoutMs":1000,"concurrency":8}' | node --import tsx run-probes.ts
import { pathToFileURL } from 'node:url';
import { classifyRound, eachVerdict, functional, type Classification, type FamilyVerdict } from '../../src/probe/differential.js';
import { installProbeCrashGuard } from '../../src/probe/guard.js';
import { runRound, type RoundResult } from '../../src/probe/round.js';
import type { ProbeTarget } from '../../src/probe/types.js';

export interface ProbeRunOutput {
  round: RoundResult;
  /** by probe, the verdict of its first family (ipv4 before ipv6): single-stack tests read this */
  verdicts: Record<string, Classification>;
  /** every (probe, family) verdict */
  familyVerdicts: FamilyVerdict[];
  functional: boolean;
  /** exceptions the crash guard caught from the probes (must be 0) */
  crashes: number;
}

async function main(): Promise<void> {
  let input = '';
  for await (const chunk of process.stdin) input += String(chunk);
  const { targets, timeoutMs, concurrency } = JSON.parse(input) as { targets: ProbeTarget[]; timeoutMs: number; concurrency: number };
  let crashes = 0;
  installProbeCrashGuard({ onCrash: (err) => (crashes++, process.stderr.write(`probe crashed: ${String(err)}\n`)) });
  const round = await runRound(targets, { timeoutMs, concurrency });
  const all = eachVerdict(classifyRound(round.results));
  const verdicts = Object.fromEntries(
    [...all].reverse().map(({ probe, verdict, explanation }) => [probe, { verdict, explanation }]),
  ) as Record<string, Classification>;
  const out: ProbeRunOutput = { round, verdicts, familyVerdicts: all, functional: functional(round.results), crashes };
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

// Only when run as a script: netns.ts imports the output type from here.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
