// Where the alert runbooks (docs/runbooks/<alert>.md) are published: the rules' runbook_url, the
// status page and diagnose link to the same place.
export const RUNBOOK_BASE_URL = 'https://github.com/service-proxy-exporter/service-proxy-exporter/blob/main/docs/runbooks';

export function runbookUrl(alert: string): string {
  return `${RUNBOOK_BASE_URL}/${alert}.md`;
}
