// The config group: each component's own checks (kube-proxy's ConfigMap, Cilium's
// kube-proxy-replacement; see src/components/<name>/diagnose.ts), then whatever detection raised
// and no check explains (docs/runbooks/ServiceProxyConfigInvalid.md).
import { COMPONENTS } from '../../components/registry.js';
import { CONFIG_CHECKS, configCheckDiagnosis } from '../../detect/types.js';
import type { CheckFn } from '../types.js';
import { findingOf } from '../facts.js';

/** Each component's own config checks (src/components/<name>/diagnose.ts), given its finding. */
const componentChecks: CheckFn[] = COMPONENTS.flatMap((c) =>
  c.checks.map((check) => {
    const fn: CheckFn = (input) => check({ finding: findingOf(input, c.provider), snapshot: input.snapshot });
    // report.ts names a check that throws by its function name
    Object.defineProperty(fn, 'name', { value: check.name });
    return fn;
  }),
);

export const otherConfigChecks: CheckFn = (input) => {
  const id = 'config.other';
  const v = input.verdict;
  if (!v || v.provider === 'unknown') return [{ id, group: 'config', status: 'skipped', summary: 'No verdict.', evidence: {} }];
  // the checks detect/types.ts marks `own` are explained by a check of their own
  const other = (c: (typeof CONFIG_CHECKS)[number]) => {
    const d = configCheckDiagnosis(c);
    return d === 'own' ? undefined : d;
  };
  const raised = CONFIG_CHECKS.filter((c) => v.issues[c] && other(c));
  if (!raised.length)
    return [{ id, group: 'config', status: 'ok', summary: 'No other configuration check fails.', evidence: { raised: [] } }];
  const worst = raised.some((c) => other(c)!.status === 'fail') ? 'fail' : 'warn';
  return [
    {
      id,
      group: 'config',
      status: worst,
      summary: `Failing: ${raised.map((c) => `${c} (${other(c)!.text})`).join('; ')}.`,
      details: v.reasons.filter((r) => /not a|unparseable|parse|annotated/i.test(r)),
      evidence: { raised },
      runbook: 'ServiceProxyConfigInvalid',
    },
  ];
};

export const configChecks: CheckFn[] = [...componentChecks, otherConfigChecks];
