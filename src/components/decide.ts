// The verdict: which component load-balances Services, whether two fight over it, which config
// checks fail and how its agents stand. Pure and total: it never throws.
import type { ClusterSnapshot } from '../cluster/types.js';
import { detectionSources } from './registry.js';
import { agentStates, emptyAgents } from '../detect/agents.js';
import { activeDetectors } from './detectors.js';
import { sourceState } from '../detect/lookup.js';
import { noIssues, REPLACEMENT_TYPES } from '../detect/types.js';
import type { ConfigCheck, Finding, ProviderType, Verdict } from '../detect/types.js';

export interface DetectOptions {
  /** detector names to skip (see DETECTORS) */
  disabled?: string[];
  /** detector names to run although off by default */
  enabled?: string[];
}

function blank(provider: ProviderType, reasons: string[], findings: Finding[] = []): Verdict {
  return {
    provider,
    mode: '',
    version: '',
    flavor: '',
    conflict: false,
    issues: noIssues(),
    agents: { ready: 0, unready: 0, missing: 0 },
    agentNodes: [],
    findings,
    reasons,
  };
}

/** Required sources that are not synced: any of these makes the verdict `unknown`. */
export function unsyncedRequired(snap: ClusterSnapshot): string[] {
  const specs = detectionSources(snap.nodeName ? { mode: 'daemonset', nodeName: snap.nodeName } : { mode: 'deployment' });
  return specs
    .filter((s) => s.required)
    .filter((s) => {
      const st = sourceState(snap, s.name);
      return st !== 'synced' && st !== 'absent';
    })
    .map((s) => `${s.name} (${sourceState(snap, s.name)})`);
}

export function detect(snap: ClusterSnapshot, opts: DetectOptions = {}): Verdict {
  try {
    return decide(snap, opts);
  } catch (err) {
    // Only reachable through a malformed snapshot; never take the exporter down over it.
    return blank('unknown', [`Detection failed: ${err instanceof Error ? err.message : String(err)}.`]);
  }
}

function decide(snap: ClusterSnapshot, opts: DetectOptions): Verdict {
  const missing = unsyncedRequired(snap);
  if (missing.length) {
    return blank('unknown', [`Cannot conclude: required source(s) not synced: ${missing.join(', ')}.`]);
  }
  const reasons: string[] = [];
  const findings: Finding[] = [];
  for (const d of activeDetectors(opts)) {
    try {
      const f = d.detect(snap);
      if (f) findings.push(f);
    } catch (err) {
      reasons.push(`Detector ${d.name} failed and was skipped: ${err instanceof Error ? err.message : String(err)}.`);
    }
  }

  const kubeProxy = findings.find((f) => f.type === 'kube-proxy' && f.active);
  const full = REPLACEMENT_TYPES.flatMap((t) => findings.filter((f) => f.type === t && f.active && f.fullReplacement));
  const partial = findings.find((f) => f.type !== 'kube-proxy' && f.active && !f.fullReplacement);
  const effective = full[0] ?? kubeProxy ?? partial;

  const conflict = (full.length > 0 && kubeProxy !== undefined) || full.length > 1;
  const issues = noIssues();
  for (const f of findings) for (const c of f.issues) issues[c] = true;
  if (conflict) {
    issues.kpr_with_kube_proxy = true;
    if (kubeProxy && full.length)
      reasons.push(`Conflict: ${full[0]!.type} replaces kube-proxy, yet kube-proxy (${kubeProxy.flavor}) is also running.`);
    if (full.length > 1) reasons.push(`Conflict: several full replacements are active: ${full.map((f) => f.type).join(', ')}.`);
  }

  if (!effective) {
    const v = blank('none', [...reasons, 'Nothing handles Services: no running kube-proxy and no active replacement.'], findings);
    v.issues = issues;
    for (const f of findings) v.reasons.push(...f.evidence);
    return v;
  }

  const agents = (() => {
    try {
      return agentStates(snap, effective);
    } catch (err) {
      reasons.push(`Agent states could not be computed: ${err instanceof Error ? err.message : String(err)}.`);
      return emptyAgents();
    }
  })();
  if (agents.counts.missing > 0) issues.provider_agents_missing = true;

  const why =
    effective === full[0]
      ? `${effective.type} is the effective service proxy: a full replacement acts before kube-proxy's rules.`
      : effective === kubeProxy
        ? `kube-proxy (${effective.flavor}, ${effective.mode}) is the effective service proxy.`
        : `${effective.type} is the effective service proxy as a partial replacement, with no kube-proxy running.`;
  reasons.unshift(why);
  for (const f of findings) reasons.push(...f.evidence);
  const failing = (Object.keys(issues) as ConfigCheck[]).filter((c) => issues[c]);
  if (failing.length) reasons.push(`Failing checks: ${failing.join(', ')}.`);

  return {
    provider: effective.type,
    mode: effective.mode,
    version: effective.version,
    flavor: effective.flavor,
    conflict,
    issues,
    agents: agents.counts,
    agentNodes: agents.nodes,
    findings,
    reasons,
  };
}
