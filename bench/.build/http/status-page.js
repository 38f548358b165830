const esc = (s) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
export function renderStatusPage(state, ready) {
    const v = state.verdict;
    const provider = v ? `${v.provider}${v.mode ? ` (${v.mode})` : ''}${v.version ? ` ${v.version}` : ''}` : 'not yet known';
    const issues = v ? Object.entries(v.issues).filter(([, on]) => on).map(([k]) => k) : [];
    return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>service-proxy-exporter</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body>
<h1>service-proxy-exporter</h1>
<p>Service proxy: <strong id="provider">${esc(provider)}</strong></p>
<p>Conflict: ${v?.conflict ? 'yes' : 'no'}; config issues: ${issues.length ? esc(issues.join(', ')) : 'none'}</p>
<p>Agents: ${v ? `${v.agents.ready} ready, ${v.agents.unready} unready, ${v.agents.missing} missing` : 'unknown'}</p>
<p>Sources: ${ready.ready ? 'all synced' : `waiting for ${esc(ready.waitingFor.join(', '))}`}</p>
<ul>
<li><a href="/metrics">/metrics</a></li>
<li><a href="/diagnose">/diagnose</a></li>
<li><a href="/healthz">/healthz</a></li>
<li><a href="/readyz">/readyz</a></li>
</ul>
</body></html>
`;
}
