// The config group: each component's own checks (kube-proxy's ConfigMap, Cilium's
// kube-proxy-replacement; see src/components/<name>/diagnose.ts), then whatever detection raised
// and no check explains (docs/runbooks/ServiceProxyConfigInvalid.md).
import { COMPONENTS } from '../../components/registry.js';
import { CONFIG_CHECKS, type ConfigCheck } from '../../detect/types.js';
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

/** Config checks the checks above explain; any other raised one is listed by config.other. */
const EXPLAINED: readonly ConfigCheck[] = [
  'cilium_kpr_legacy_value',
  'cilium_kpr_value_invalid',
  'cilium_version_skew',
  'kpr_with_kube_proxy',
  'kube_proxy_mode_unknown',
  'kpr_healthz_unset',
  'provider_agents_missing',
];

const OTHER: Partial<Record<ConfigCheck, { status: 'warn' | 'fail'; text: string }>> = {
  provider_config_unparseable: {
    status: 'fail',
    text: "a provider's configuration (kube-proxy config.conf, antrea-agent.conf or k3s node args) does not parse",
  },
  probe_targets_over_limit: {
    status: 'warn',
    text: 'more Services are annotated for probing than --max-probe-targets allows; the rest are not probed',
  },
};

export const otherConfigChecks: CheckFn = (input) => {
  const id = 'config.other';
  const v = input.verdict;
  if (!v || v.provider === 'unknown') return [{ id, group: 'config', status: 'skipped', summary: 'No verdict.', evidence: {} }];
  const raised = CONFIG_CHECKS.filter((c) => v.issues[c] && !EXPLAINED.includes(c));
  if (!raised.length)
    return [{ id, group: 'config', status: 'ok', summary: 'No other configuration check fails.', evidence: { raised: [] } }];
  const worst = raised.some((c) => (OTHER[c]?.status ?? 'fail') === 'fail') ? 'fail' : 'warn';
  return [
    {
      id,
      group: 'config',
      status: worst,
      summary: `Failing: ${raised.map((c) => `${c} (${OTHER[c]?.text ?? 'see the runbook'})`).join('; ')}.`,
      details: v.reasons.filter((r) => /not a|unparseable|parse|annotated/i.test(r)),
      evidence: { raised },
      runbook: 'ServiceProxyConfigInvalid',
    },
  ];
};

export const configChecks: CheckFn[] = [...componentChecks, otherConfigChecks];
