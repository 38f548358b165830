// The terminal rendering: grouped provider → agents → config → data path, aligned columns, details
// and the next commands under anything that is not ok. Colour only when asked (a TTY, no --no-color).
import { runbookUrl } from '../state/runbooks.js';
import { CHECK_GROUPS, type Check, type CheckGroup, type CheckStatus, type DiagnoseReport } from './types.js';

export interface TextOptions {
  color: boolean;
  /** wrap long sentences at this width (default 110) */
  width?: number;
  /** details lines shown per check (default 8) */
  maxDetails?: number;
}

const GROUP_TITLE: Record<CheckGroup, string> = {
  provider: 'PROVIDER',
  agents: 'AGENTS',
  config: 'CONFIG',
  datapath: 'DATA PATH',
};

const TAG: Record<CheckStatus, string> = { ok: 'ok', warn: 'WARN', fail: 'FAIL', skipped: 'skip' };
const SGR: Record<CheckStatus, string> = { ok: '32', warn: '33', fail: '1;31', skipped: '2' };

function wrap(text: string, width: number, indent: string, firstWidth = width): string[] {
  const words = text.split(/\s+/).filter(Boolean);
  const lines: string[] = [];
  let line = '';
  let max = firstWidth;
  for (const w of words) {
    if (line && line.length + 1 + w.length > max) {
      lines.push(line);
      line = w;
      max = width;
    } else line = line ? `${line} ${w}` : w;
  }
  if (line) lines.push(line);
  return lines.map((l, i) => (i === 0 ? l : indent + l));
}

export function renderText(report: DiagnoseReport, opts: TextOptions): string {
  const paint = (code: string, s: string) => (opts.color ? `\x1b[${code}m${s}\x1b[0m` : s);
  const width = Math.max(60, opts.width ?? 110);
  const maxDetails = opts.maxDetails ?? 8;
  const idWidth = Math.min(32, Math.max(...report.checks.map((c) => c.id.length), 10));
  const p = report.provider;
  const what = [p.mode, p.version, p.flavor].filter(Boolean).join(', ');
  const out: string[] = [];
  out.push(`${paint('1', 'Service proxy:')} ${p.type}${what ? ` (${what})` : ''}${p.conflict ? paint(SGR.fail, ' CONFLICT') : ''}`);
  out.push(
    `Agents: ${p.agents.ready} ready, ${p.agents.unready} unready, ${p.agents.missing} missing   Config issues: ${p.issues.length ? p.issues.join(', ') : 'none'}`,
  );
  const pad = ' '.repeat(2 + 4 + 2 + idWidth + 2);
  for (const g of CHECK_GROUPS) {
    const checks = report.checks.filter((c) => c.group === g);
    if (!checks.length) continue;
    out.push('', paint('1', GROUP_TITLE[g]));
    for (const c of checks) out.push(...renderCheck(c));
  }
  const n = report.counts;
  const code = report.status === 'fail' ? 1 : 0;
  out.push(
    '',
    `Result: ${paint(n.fail ? SGR.fail : '32', `${n.fail} failed`)}, ${paint(n.warn ? SGR.warn : '0', `${n.warn} warning${n.warn === 1 ? '' : 's'}`)}, ${n.ok} ok, ${n.skipped} skipped → exit ${code} (${code ? 'problems found' : 'healthy'})`,
  );
  return `${out.join('\n')}\n`;

  function renderCheck(c: Check): string[] {
    const lines: string[] = [];
    const head = `  ${paint(SGR[c.status], TAG[c.status].padEnd(4))}  ${c.id.padEnd(idWidth)}  `;
    lines.push(head + wrap(c.summary, width - pad.length, pad).join('\n'));
    if (c.status === 'ok' || c.status === 'skipped') return lines;
    const details = c.details ?? [];
    for (const d of details.slice(0, maxDetails)) lines.push(`${pad}${paint('2', '·')} ${d}`);
    if (details.length > maxDetails) lines.push(`${pad}${paint('2', `· … ${details.length - maxDetails} more (see --output json)`)}`);
    const cmds = [c.next, ...(c.more ?? [])].filter((x): x is string => !!x);
    cmds.forEach((cmd, i) => lines.push(`${pad}${i === 0 ? paint('1', 'next:') : '     '} ${paint('36', cmd)}`));
    if (c.runbook) lines.push(`${pad}${paint('2', `runbook: ${runbookUrl(c.runbook)}`)}`);
    return lines;
  }
}
