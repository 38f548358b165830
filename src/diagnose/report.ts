// The report: every check, in group order, and the exit code they add up to.
import { CONFIG_CHECKS } from '../detect/types.js';
import { agentChecks } from './checks/agents.js';
import { agentHealthChecks } from './checks/agent-health.js';
import { configChecks } from './checks/config.js';
import { datapathChecks } from './checks/datapath.js';
import { providerChecks } from './checks/provider.js';
import { datapathProgramming } from './checks/programming.js';
import { datapathHealthChecks } from './checks/health-checks.js';
import { datapathBehaviour } from './checks/behaviour.js';
import {
  CHECK_GROUPS,
  SCHEMA_VERSION,
  type Check,
  type CheckFn,
  type CheckStatus,
  type DiagnoseInput,
  type DiagnoseReport,
} from './types.js';

/** Every check, grouped provider → agents → config → data path. Adding one is one entry here. */
export const CHECKS: readonly CheckFn[] = [
  ...providerChecks,
  ...agentChecks,
  ...agentHealthChecks,
  ...configChecks,
  ...datapathChecks,
  datapathProgramming,
  datapathHealthChecks,
  datapathBehaviour,
];

/** A check that throws becomes a failed check naming the error, never a crashed diagnose. */
function run(fn: CheckFn, input: DiagnoseInput): Check[] {
  try {
    return fn(input);
  } catch (e) {
    return [
      {
        id: `internal.${fn.name || 'check'}`,
        group: 'provider',
        status: 'fail',
        summary: `The check failed to run: ${(e as Error)?.message ?? String(e)}.`,
        evidence: {},
      },
    ];
  }
}

/** Checks judged per component (a conflict has two) get the component appended to a repeated id. */
function uniqueIds(checks: Check[]): Check[] {
  const seen = new Map<string, number>();
  return checks.map((c) => {
    const n = seen.get(c.id) ?? 0;
    seen.set(c.id, n + 1);
    if (n === 0) return c;
    const component = typeof c.evidence.component === 'string' ? c.evidence.component : String(n + 1);
    return { ...c, id: `${c.id}.${component}` };
  });
}

export function buildReport(input: DiagnoseInput): DiagnoseReport {
  const all = uniqueIds(CHECKS.flatMap((fn) => run(fn, input)));
  const order = (c: Check) => CHECK_GROUPS.indexOf(c.group);
  const checks = all
    .map((c, i) => [c, i] as const)
    .sort(([a, i], [b, j]) => order(a) - order(b) || i - j)
    .map(([c]) => c);
  const counts: Record<CheckStatus, number> = { ok: 0, warn: 0, fail: 0, skipped: 0 };
  for (const c of checks) counts[c.status]++;
  const v = input.verdict;
  return {
    schemaVersion: SCHEMA_VERSION,
    generatedAt: new Date(input.now).toISOString(),
    status: counts.fail ? 'fail' : counts.warn ? 'warn' : 'ok',
    counts,
    provider: {
      type: v?.provider ?? 'unknown',
      mode: v?.mode ?? '',
      version: v?.version ?? '',
      flavor: v?.flavor ?? '',
      conflict: v?.conflict ?? false,
      agents: v?.agents ?? { ready: 0, unready: 0, missing: 0 },
      issues: v ? CONFIG_CHECKS.filter((c) => v.issues[c]) : [],
      reasons: v?.reasons ?? [],
    },
    sources: Object.fromEntries(Object.entries(input.sources).sort(([a], [b]) => a.localeCompare(b))),
    checks,
  };
}

/** 0 healthy (warnings allowed), 1 any check failed. (2, could not run, is the CLI's.) */
export function exitCodeOf(report: DiagnoseReport): 0 | 1 {
  return report.status === 'fail' ? 1 : 0;
}
