// Label and field selector parsing and matching with the API server's semantics, so the fake
// server filters lists and watches exactly as a real one would.

export type LabelOperator = '=' | '!=' | 'in' | 'notin' | 'exists' | '!exists';

export interface LabelRequirement {
  key: string;
  operator: LabelOperator;
  /** one value for = and !=, the set for in/notin, empty for exists/!exists */
  values: string[];
}

export interface FieldRequirement {
  /** dotted path, e.g. metadata.name */
  path: string;
  operator: '=' | '!=';
  value: string;
}

// Keys may carry a DNS prefix (example.com/name); values may be empty.
const KEY = /^([a-z0-9]([-a-z0-9.]*[a-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/;

/** Split on commas that are not inside parentheses ("k in (a,b),x=y" → two terms). */
function splitTerms(s: string): string[] {
  const terms: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '(') depth++;
    else if (c === ')') {
      depth--;
      if (depth < 0) throw new Error(`invalid label selector "${s}": unbalanced ")"`);
    } else if (c === ',' && depth === 0) {
      terms.push(s.slice(start, i));
      start = i + 1;
    }
  }
  if (depth !== 0) throw new Error(`invalid label selector "${s}": unbalanced "("`);
  terms.push(s.slice(start));
  return terms.map((t) => t.trim());
}

function checkKey(key: string, selector: string): string {
  if (!KEY.test(key)) throw new Error(`invalid label selector "${selector}": bad key "${key}"`);
  return key;
}

function checkValue(value: string, selector: string): string {
  if (!VALUE.test(value)) throw new Error(`invalid label selector "${selector}": bad value "${value}"`);
  return value;
}

function parseTerm(term: string, selector: string): LabelRequirement {
  if (term === '') throw new Error(`invalid label selector "${selector}": empty requirement`);
  const set = /^(\S+)\s+(in|notin)\s*\((.*)\)$/.exec(term);
  if (set) {
    const values = set[3]!.split(',').map((v) => checkValue(v.trim(), selector));
    return { key: checkKey(set[1]!, selector), operator: set[2] as 'in' | 'notin', values };
  }
  const cmp = /^([^=!\s]+)\s*(==|=|!=)\s*(.*)$/.exec(term);
  if (cmp) {
    return {
      key: checkKey(cmp[1]!, selector),
      operator: cmp[2] === '!=' ? '!=' : '=',
      values: [checkValue(cmp[3]!.trim(), selector)],
    };
  }
  if (term.startsWith('!')) return { key: checkKey(term.slice(1).trim(), selector), operator: '!exists', values: [] };
  return { key: checkKey(term, selector), operator: 'exists', values: [] };
}

/** Parse a label selector; "" selects everything. Throws an Error naming the selector when malformed. */
export function parseLabelSelector(s: string): LabelRequirement[] {
  if (s.trim() === '') return [];
  return splitTerms(s).map((t) => parseTerm(t, s));
}

function matchesRequirement(r: LabelRequirement, labels: Record<string, string>): boolean {
  const has = Object.prototype.hasOwnProperty.call(labels, r.key);
  const v = labels[r.key];
  switch (r.operator) {
    case '=':
      return has && v === r.values[0];
    case '!=':
      return !has || v !== r.values[0];
    case 'in':
      return has && r.values.includes(v!);
    case 'notin':
      return !has || !r.values.includes(v!);
    case 'exists':
      return has;
    case '!exists':
      return !has;
  }
}

export function matchesLabelRequirements(reqs: LabelRequirement[], labels: Record<string, string> | undefined): boolean {
  const l = labels ?? {};
  return reqs.every((r) => matchesRequirement(r, l));
}

export function matchesLabelSelector(selector: string | undefined, labels: Record<string, string> | undefined): boolean {
  if (!selector) return true;
  return matchesLabelRequirements(parseLabelSelector(selector), labels);
}

/** Parse a field selector ("metadata.name=x,spec.nodeName!=y"). Throws on a malformed term. */
export function parseFieldSelector(s: string): FieldRequirement[] {
  if (s.trim() === '') return [];
  return s.split(',').map((raw) => {
    const term = raw.trim();
    const m = /^([A-Za-z0-9_.]+)\s*(==|=|!=)\s*(.*)$/.exec(term);
    if (!m || m[1]!.startsWith('.') || m[1]!.endsWith('.')) {
      throw new Error(`invalid field selector "${s}": bad requirement "${term}"`);
    }
    return { path: m[1]!, operator: m[2] === '!=' ? '!=' : '=', value: m[3]!.trim() };
  });
}

/** Value at a dotted path as the API server compares it: a string, "" when absent. */
export function fieldValue(obj: unknown, path: string): string {
  let cur: unknown = obj;
  for (const part of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return '';
    cur = (cur as Record<string, unknown>)[part];
  }
  if (cur === undefined || cur === null) return '';
  return typeof cur === 'object' ? JSON.stringify(cur) : String(cur);
}

export function matchesFieldRequirements(reqs: FieldRequirement[], obj: unknown): boolean {
  return reqs.every((r) => (fieldValue(obj, r.path) === r.value) === (r.operator === '='));
}

export function matchesFieldSelector(selector: string | undefined, obj: unknown): boolean {
  if (!selector) return true;
  return matchesFieldRequirements(parseFieldSelector(selector), obj);
}
