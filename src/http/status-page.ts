// The human status page at `/`: server-rendered HTML from the same cached state as /diagnose, readable
// without JavaScript. Every value from the cluster is escaped (html`` escapes all interpolations).
import { runbookUrl } from '../state/runbooks.js';
import type { ProbeView } from '../state/probes.js';
import type { SourceStatus } from '../cluster/sources.js';
import type { ConfigCheck } from '../detect/types.js';
import type { Check, DiagnoseReport } from '../diagnose/types.js';
import { hostPort, VERDICT_STATUS } from '../diagnose/checks/datapath.js';
import { html, raw, safeHref, type Html } from './html.js';

export interface StatusPageModel {
  report: DiagnoseReport;
  probes: ProbeView | undefined;
  sources: Record<string, SourceStatus>;
  readiness: { ready: boolean; waitingFor: string[] };
  /** for tests */
  now?: number;
}

/** The alert whose runbook explains a config check. */
export function runbookForIssue(check: ConfigCheck | string): string {
  if (check === 'kpr_with_kube_proxy') return 'ServiceProxyConflict';
  if (check === 'provider_agents_missing') return 'ServiceProxyAgentsUnavailable';
  return 'ServiceProxyConfigInvalid';
}

const link = (alert: string, text = alert): Html => html`<a class="runbook" href="${safeHref(runbookUrl(alert))}">${text}</a>`;

const STATUS_TEXT: Record<Check['status'], string> = { ok: 'ok', warn: 'warning', fail: 'FAIL', skipped: 'skipped' };

const CSS = `
body{font:15px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:1.5rem auto;max-width:72rem;padding:0 1rem;color:#1b1f24}
h1{font-size:1.5rem;margin:0 0 .25rem}h2{font-size:1.15rem;margin:1.75rem 0 .5rem;border-bottom:1px solid #d0d7de;padding-bottom:.2rem}
table{border-collapse:collapse;width:100%;margin:.25rem 0}th,td{text-align:left;padding:.3rem .5rem;border-bottom:1px solid #e5e8eb;vertical-align:top}
th{background:#f6f8fa;font-weight:600}code{font:13px ui-monospace,SFMono-Regular,Menlo,monospace;background:#f6f8fa;padding:.05rem .25rem;border-radius:3px;word-break:break-all}
.badge{display:inline-block;padding:.1rem .55rem;border-radius:1rem;font-weight:600;font-size:.9rem}
.ok{background:#dafbe1;color:#116329}.warn{background:#fff8c5;color:#7d4e00}.fail{background:#ffebe9;color:#a40e26}.skipped{background:#eaeef2;color:#57606a}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem;margin:.5rem 0}dt{font-weight:600}dd{margin:0}
.muted{color:#57606a}ul{margin:.3rem 0;padding-left:1.3rem}
`;

function badge(status: Check['status'] | 'ok' | 'warn' | 'fail', text?: string): Html {
  return html`<span class="badge ${status}">${text ?? STATUS_TEXT[status]}</span>`;
}

function health(r: DiagnoseReport): Html {
  const n = r.counts;
  const text = r.status === 'fail' ? 'Problems found' : r.status === 'warn' ? 'Healthy, with warnings' : 'Healthy';
  return html`<p id="health">${badge(r.status, text)} <span class="muted">${n.fail} failed, ${n.warn} warnings, ${n.ok} ok, ${n.skipped} skipped — checks as of ${r.generatedAt}</span></p>`;
}

function providerSection(r: DiagnoseReport): Html {
  const p = r.provider;
  return html`<h2>Service proxy</h2>
<p>Services are load-balanced by <strong id="provider">${p.type}</strong>${p.mode ? html` in <strong>${p.mode}</strong> mode` : ''}.</p>
<dl>
<dt>Provider</dt><dd>${p.type}</dd>
<dt>Mode</dt><dd>${p.mode || '—'}</dd>
<dt>Version</dt><dd>${p.version || '—'}</dd>
<dt>Flavor</dt><dd>${p.flavor || '—'}</dd>
<dt>Conflict</dt><dd id="conflict">${p.conflict ? html`${badge('fail', 'yes')} more than one component programs Services — ${link('ServiceProxyConflict')}` : 'no'}</dd>
</dl>
${p.type === 'none' ? html`<p>${badge('fail', 'no service proxy')} ${link('ServiceProxyMissing')}</p>` : ''}
${p.type === 'unknown' ? html`<p>${badge('fail', 'unknown')} the Kubernetes API could not be read — ${link('ServiceProxyExporterSourceDown')}</p>` : ''}`;
}

function issuesSection(r: DiagnoseReport): Html {
  const issues = r.provider.issues;
  return html`<h2>Config issues</h2>
${
  issues.length
    ? html`<ul id="config-issues">${issues.map((c) => html`<li><code>${c}</code> — runbook: ${link(runbookForIssue(c))}</li>`)}</ul>`
    : html`<p id="config-issues">None: every configuration check passes.</p>`
}`;
}

function attentionSection(r: DiagnoseReport): Html {
  const bad = r.checks.filter((c) => c.status === 'fail' || c.status === 'warn');
  if (!bad.length) return html`<h2>What needs attention</h2><p>Nothing: no check failed or warned.</p>`;
  return html`<h2>What needs attention</h2>
<table id="attention"><thead><tr><th>Status</th><th>Check</th><th>Finding</th><th>Next step</th></tr></thead><tbody>
${bad.map(
  (
    c,
  ) => html`<tr><td>${badge(c.status)}</td><td><code>${c.id}</code></td><td>${c.summary}${c.details?.length ? html`<ul>${c.details.slice(0, 6).map((d) => html`<li>${d}</li>`)}</ul>` : ''}</td>
<td>${c.next ? html`<code>${c.next}</code>` : ''}${c.runbook ? html`<br>runbook: ${link(c.runbook)}` : ''}</td></tr>`,
)}
</tbody></table>`;
}

function agentsSection(m: StatusPageModel): Html {
  const p = m.report.provider;
  const pods = m.report.checks.find((c) => c.id === 'agents.pods');
  const missing = m.report.checks.find((c) => c.id === 'agents.missing');
  const missingNodes = (missing?.evidence.missing as { node: string; reason: string }[] | undefined) ?? [];
  const notReady =
    (pods?.evidence.notReady as
      | {
          pod: string;
          node: string;
          phase: string;
          containers: { name: string; waitingReason?: string; restartCount: number; lastTerminationReason?: string }[];
        }[]
      | undefined) ?? [];
  const agentsBad = p.agents.unready + p.agents.missing > 0;
  return html`<h2>Agents</h2>
<p id="agents">${badge(p.agents.ready > 0 && !agentsBad ? 'ok' : agentsBad ? 'fail' : 'skipped', `${p.agents.ready} ready`)} ${badge(p.agents.unready ? 'fail' : 'skipped', `${p.agents.unready} unready`)} ${badge(p.agents.missing ? 'fail' : 'skipped', `${p.agents.missing} missing`)}
${agentsBad ? html` — ${link(p.type === 'kube-proxy' ? 'KubeProxyDown' : 'ServiceProxyAgentsUnavailable')}` : ''}</p>
${
  notReady.length
    ? html`<table id="unready"><thead><tr><th>Unready pod</th><th>Node</th><th>Phase</th><th>Containers</th></tr></thead><tbody>${notReady.map(
        (x) =>
          html`<tr><td><code>${x.pod}</code></td><td>${x.node}</td><td>${x.phase}</td><td>${x.containers.map((c) => html`${c.name}: ${[c.waitingReason, `${c.restartCount} restarts`, c.lastTerminationReason ? `last exit ${c.lastTerminationReason}` : ''].filter(Boolean).join(', ')}<br>`)}</td></tr>`,
      )}</tbody></table>`
    : ''
}
${missingNodes.length ? html`<p>Nodes without an agent: </p><ul id="missing">${missingNodes.map((n) => html`<li>${n.node} — ${n.reason}</li>`)}</ul>` : ''}`;
}

/** The agents' own health endpoints, from the agents.health check. */
function agentHealthSection(m: StatusPageModel): Html {
  const c = m.report.checks.find((x) => x.id === 'agents.health');
  if (!c) return html``;
  const counts = c.evidence.counts as Record<'healthy' | 'unhealthy' | 'unreachable' | 'not_served', number> | undefined;
  const nodes = (
    (c.evidence.nodes as
      { node: string; address: string; state: string; status?: number; syncAgeSeconds?: number; reason?: string }[] | undefined) ?? []
  ).filter((n) => n.state !== 'healthy');
  return html`<h3>Agent health endpoints</h3>
<p id="agent-health">${
    counts
      ? html`${badge(counts.healthy ? 'ok' : 'skipped', `${counts.healthy} healthy`)} ${badge(counts.unhealthy ? 'fail' : 'skipped', `${counts.unhealthy} unhealthy`)} ${badge(counts.unreachable ? 'warn' : 'skipped', `${counts.unreachable} unreachable`)} ${badge('skipped', `${counts.not_served} not served`)} `
      : ''
  }<span class="muted">${c.summary}</span>${c.runbook ? html` — ${link(c.runbook)}` : ''}</p>
${
  nodes.length
    ? html`<table id="agent-health-nodes"><thead><tr><th>Node</th><th>Address</th><th>State</th><th>Answer</th><th>Sync age</th></tr></thead><tbody>${nodes.map(
        (n) =>
          html`<tr><td>${n.node}</td><td><code>${n.address}</code></td><td>${badge(n.state === 'unhealthy' ? 'fail' : 'warn', n.state)}</td><td>${n.status !== undefined ? `HTTP ${n.status}` : (n.reason ?? '')}</td><td>${n.syncAgeSeconds !== undefined ? `${Math.round(n.syncAgeSeconds)} s` : ''}</td></tr>`,
      )}</tbody></table>`
    : ''
}`;
}

function ms(seconds: number): string {
  return seconds < 1 ? `${(seconds * 1000).toFixed(1)} ms` : `${seconds.toFixed(2)} s`;
}

/** The canary: last programming latency and any change still pending (src/diagnose/checks/programming.ts). */
function programmingSection(r: DiagnoseReport): Html {
  const c = r.checks.find((x) => x.id === 'datapath.programming');
  if (!c) return html``;
  const e = c.evidence as {
    pendingSeconds?: number;
    lastLatencySeconds?: number;
    lastProgrammedAt?: string;
    writer?: boolean;
    holder?: string;
    flows?: { protocol: string; family: string; pendingSeconds?: number; lastSeconds?: number; answeringPort?: number }[];
  };
  const flows = e.flows ?? [];
  return html`<h2>Service programming</h2>
<p id="programming">${badge(c.status, c.status === 'ok' ? 'takes changes' : c.status === 'skipped' ? 'not measured' : c.status === 'fail' ? 'stalled' : 'behind')} ${c.summary}${c.runbook ? html` — ${link(c.runbook)}` : ''}</p>
${
  e.lastLatencySeconds !== undefined || e.pendingSeconds !== undefined
    ? html`<table id="programming-table"><tbody>
<tr><th>Last latency</th><td>${e.lastLatencySeconds !== undefined ? `${e.lastLatencySeconds.toFixed(3)} s at ${e.lastProgrammedAt ?? ''}` : 'none yet'}</td></tr>
<tr><th>Pending</th><td>${e.pendingSeconds ? `${e.pendingSeconds.toFixed(1)} s` : 'nothing'}</td></tr>
<tr><th>Writer</th><td>${e.writer ? 'this replica' : e.holder || 'none'}</td></tr>
</tbody></table>`
    : ''
}${
    flows.length > 0
      ? html`<table id="programming-flows"><thead><tr><th>Protocol</th><th>Family</th><th>Pending</th><th>Last latency</th><th>UDP flow answers from</th></tr></thead><tbody>${flows.map(
          (f) =>
            html`<tr><td>${f.protocol}</td><td>${f.family}</td><td>${f.pendingSeconds ? `${f.pendingSeconds.toFixed(1)} s` : 'nothing'}</td><td>${f.lastSeconds !== undefined ? `${f.lastSeconds.toFixed(3)} s` : ''}</td><td>${f.answeringPort !== undefined ? `port ${f.answeringPort}` : ''}</td></tr>`,
        )}</tbody></table>`
      : ''
  }`;
}

/** Health-check node ports of Local LoadBalancer Services (datapath.health_check.* in the report). */
function healthChecksSection(r: DiagnoseReport): Html {
  const checks = r.checks.filter((c) => c.id.startsWith('datapath.health_check.'));
  if (!checks.length) return html``;
  const label = (c: Check) => (c.status === 'ok' ? 'consistent' : c.status === 'skipped' ? 'no answer' : 'wrong');
  return html`<h2>Health-check node ports</h2>
<table id="health-checks"><thead><tr><th>Service</th><th>Answers</th><th>Finding</th></tr></thead><tbody>
${checks.map(
  (c) =>
    html`<tr><td><code>${String(c.evidence.probe ?? '')}</code></td><td>${badge(c.status, label(c))}</td><td>${c.summary}${c.details?.length ? html`<ul>${c.details.slice(0, 6).map((d) => html`<li>${d}</li>`)}</ul>` : ''}${c.runbook ? html` — ${link(c.runbook)}` : ''}</td></tr>`,
)}
</tbody></table>`;
}

/** The behaviour checks (datapath.behaviour.* in the report), each with its result or why it does not apply here. */
function behaviourSection(r: DiagnoseReport): Html {
  const checks = r.checks.filter((c) => c.id.startsWith('datapath.behaviour.'));
  if (!checks.length) return html``;
  const label = (c: Check) => (c.status === 'ok' ? 'pass' : c.status === 'skipped' ? 'not applicable' : 'fail');
  return html`<h2>Behaviour checks</h2>
<table id="behaviour-checks"><thead><tr><th>Check</th><th>Result</th><th>Finding</th></tr></thead><tbody>
${checks.map(
  (c) =>
    html`<tr><td><code>${String(c.evidence.check ?? '')}</code></td><td>${badge(c.status, label(c))}</td><td>${c.summary}${c.runbook ? html` — ${link(c.runbook)}` : ''}</td></tr>`,
)}
</tbody></table>`;
}

function probesSection(m: StatusPageModel): Html {
  const view = m.probes;
  const round = view?.lastRound;
  const results = round?.results ?? [];
  const probed = new Set(results.map((r) => `${r.target.probe}\u0000${r.target.path}\u0000${r.target.family}`));
  const pending = (view?.targets ?? []).filter((t) => !probed.has(`${t.probe}\u0000${t.path}\u0000${t.family}`));
  const seen = new Set<string>();
  const rows = results.map((r) => {
    const c = round!.classifications[r.target.probe]?.[r.target.family];
    const first = !seen.has(`${r.target.probe}\u0000${r.target.family}`);
    seen.add(`${r.target.probe}\u0000${r.target.family}`);
    // diagnose's severity of the verdict; an unknown one (no VIP result) shows as a warning here
    const status = c ? VERDICT_STATUS[c.verdict] : 'skipped';
    const verdictClass = !c ? 'skipped' : status === 'skipped' ? 'warn' : status;
    return html`<tr><td>${r.target.probe}</td><td>${r.target.path}</td><td>${r.target.family}</td><td><code>${hostPort(r.target.host, r.target.port)}</code></td>
<td>${r.result.success ? badge('ok', 'success') : badge('fail', 'failed')}</td><td>${r.result.reason ?? ''}${r.result.detail ? html` <span class="muted">(${r.result.detail})</span>` : ''}</td>
<td>${ms(r.result.durationSeconds)}</td><td>${c ? badge(verdictClass as Check['status'], c.verdict) : ''}</td><td>${first && c ? c.explanation : ''}</td></tr>`;
  });
  const pendingRows = pending.map(
    (t) =>
      html`<tr><td>${t.probe}</td><td>${t.path}</td><td>${t.family}</td><td><code>${hostPort(t.host, t.port)}</code></td><td>${badge('skipped', 'not yet probed')}</td><td></td><td></td><td></td><td></td></tr>`,
  );
  const summary = m.report.checks.find((c) => c.id === 'datapath.probes');
  return html`<h2>Probes</h2>
<p id="functional">${
    round
      ? html`Service load-balancing: ${round.functional ? badge('ok', 'works') : badge('fail', 'broken')} <span class="muted">last round ${round.at}, ${ms(round.durationSeconds)}</span>${round.functional ? '' : html` — ${link('ServiceLoadBalancingBroken')}`}`
      : html`${badge('skipped', 'no round yet')} ${summary?.summary ?? ''}`
  }</p>
${
  rows.length + pendingRows.length
    ? html`<table id="probes"><thead><tr><th>Probe</th><th>Path</th><th>Family</th><th>Target</th><th>Last result</th><th>Reason</th><th>Latency</th><th>Verdict</th><th>Explanation</th></tr></thead><tbody>
${rows}${pendingRows}</tbody></table>`
    : ''
}
${view?.skipped.length ? html`<p>Not probed:</p><ul id="skipped-probes">${view.skipped.map((s) => html`<li><code>${s.probe}</code>${s.path || s.family ? html` (${[s.path, s.family].filter(Boolean).join(', ')})` : ''}: ${s.why}</li>`)}</ul>` : ''}`;
}

function sourcesSection(m: StatusPageModel): Html {
  const entries = Object.entries(m.sources).sort(([a], [b]) => a.localeCompare(b));
  const cls = (s: string) => (s === 'synced' || s === 'absent' ? 'ok' : s === 'pending' ? 'skipped' : s === 'forbidden' ? 'warn' : 'fail');
  return html`<h2>Kubernetes sources</h2>
<p>${m.readiness.ready ? 'All sources have synced.' : html`Waiting for: ${m.readiness.waitingFor.join(', ')}.`}${entries.some(([, s]) => s.state === 'error' || s.state === 'forbidden') ? html` — ${link('ServiceProxyExporterSourceDown')}` : ''}</p>
<table id="sources"><thead><tr><th>Source</th><th>State</th><th>Since</th><th>Error</th></tr></thead><tbody>
${entries.map(([n, s]) => html`<tr><td><code>${n}</code></td><td>${badge(cls(s.state) as Check['status'], s.state)}</td><td>${new Date(s.since).toISOString()}</td><td>${s.error}</td></tr>`)}
</tbody></table>`;
}

export function renderStatusPage(m: StatusPageModel): string {
  const r = m.report;
  const title = `service-proxy-exporter: ${r.provider.type}`;
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${title}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>${raw(CSS)}</style></head>
<body>
<h1>service-proxy-exporter</h1>
${health(r)}
${providerSection(r)}
${issuesSection(r)}
${attentionSection(r)}
${agentsSection(m)}
${agentHealthSection(m)}
${probesSection(m)}
${healthChecksSection(r)}
${programmingSection(r)}
${behaviourSection(r)}
${sourcesSection(m)}
<h2>More</h2>
<ul>
<li><a href="/metrics">/metrics</a> — Prometheus metrics</li>
<li><a href="/diagnose">/diagnose</a> — this report as JSON (schema in docs/diagnose.md)</li>
<li><a href="/healthz">/healthz</a>, <a href="/readyz">/readyz</a></li>
<li><a href="${safeHref(runbookUrl('README').replace(/README\.md$/, ''))}">Runbooks</a></li>
</ul>
</body></html>
`.value;
}
