// Label and field selector parsing and matching with the API server's semantics, so the fake
// server filters lists and watches exactly as a real one would.
// Keys may carry a DNS prefix (example.com/name); values may be empty.
const KEY = /^([a-z0-9]([-a-z0-9.]*[a-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/;
/** Split on commas that are not inside parentheses ("k in (a,b),x=y" → two terms). */
function splitTerms(s) {
    const terms = [];
    let depth = 0;
    let start = 0;
    for (let i = 0; i < s.length; i++) {
        const c = s[i];
        if (c === '(')
            depth++;
        else if (c === ')') {
            depth--;
            if (depth < 0)
                throw new Error(`invalid label selector "${s}": unbalanced ")"`);
        }
        else if (c === ',' && depth === 0) {
            terms.push(s.slice(start, i));
            start = i + 1;
        }
    }
    if (depth !== 0)
        throw new Error(`invalid label selector "${s}": unbalanced "("`);
    terms.push(s.slice(start));
    return terms.map((t) => t.trim());
}
function checkKey(key, selector) {
    if (!KEY.test(key))
        throw new Error(`invalid label selector "${selector}": bad key "${key}"`);
    return key;
}
function checkValue(value, selector) {
    if (!VALUE.test(value))
        throw new Error(`invalid label selector "${selector}": bad value "${value}"`);
    return value;
}
function parseTerm(term, selector) {
    if (term === '')
        throw new Error(`invalid label selector "${selector}": empty requirement`);
    const set = /^(\S+)\s+(in|notin)\s*\((.*)\)$/.exec(term);
    if (set) {
        const values = set[3].split(',').map((v) => checkValue(v.trim(), selector));
        return { key: checkKey(set[1], selector), operator: set[2], values };
    }
    const cmp = /^([^=!\s]+)\s*(==|=|!=)\s*(.*)$/.exec(term);
    if (cmp) {
        return {
            key: checkKey(cmp[1], selector),
            operator: cmp[2] === '!=' ? '!=' : '=',
            values: [checkValue(cmp[3].trim(), selector)],
        };
    }
    if (term.startsWith('!'))
        return { key: checkKey(term.slice(1).trim(), selector), operator: '!exists', values: [] };
    return { key: checkKey(term, selector), operator: 'exists', values: [] };
}
/** Parse a label selector; "" selects everything. Throws an Error naming the selector when malformed. */
export function parseLabelSelector(s) {
    if (s.trim() === '')
        return [];
    return splitTerms(s).map((t) => parseTerm(t, s));
}
function matchesRequirement(r, labels) {
    const has = Object.prototype.hasOwnProperty.call(labels, r.key);
    const v = labels[r.key];
    switch (r.operator) {
        case '=':
            return has && v === r.values[0];
        case '!=':
            return !has || v !== r.values[0];
        case 'in':
            return has && r.values.includes(v);
        case 'notin':
            return !has || !r.values.includes(v);
        case 'exists':
            return has;
        case '!exists':
            return !has;
    }
}
export function matchesLabelRequirements(reqs, labels) {
    const l = labels ?? {};
    return reqs.every((r) => matchesRequirement(r, l));
}
export function matchesLabelSelector(selector, labels) {
    if (!selector)
        return true;
    return matchesLabelRequirements(parseLabelSelector(selector), labels);
}
/** Parse a field selector ("metadata.name=x,spec.nodeName!=y"). Throws on a malformed term. */
export function parseFieldSelector(s) {
    if (s.trim() === '')
        return [];
    return s.split(',').map((raw) => {
        const term = raw.trim();
        const m = /^([A-Za-z0-9_.]+)\s*(==|=|!=)\s*(.*)$/.exec(term);
        if (!m || m[1].startsWith('.') || m[1].endsWith('.')) {
            throw new Error(`invalid field selector "${s}": bad requirement "${term}"`);
        }
        return { path: m[1], operator: m[2] === '!=' ? '!=' : '=', value: m[3].trim() };
    });
}
/** Value at a dotted path as the API server compares it: a string, "" when absent. */
export function fieldValue(obj, path) {
    let cur = obj;
    for (const part of path.split('.')) {
        if (cur === null || typeof cur !== 'object')
            return '';
        cur = cur[part];
    }
    if (cur === undefined || cur === null)
        return '';
    return typeof cur === 'object' ? JSON.stringify(cur) : String(cur);
}
export function matchesFieldRequirements(reqs, obj) {
    return reqs.every((r) => (fieldValue(obj, r.path) === r.value) === (r.operator === '='));
}
export function matchesFieldSelector(selector, obj) {
    if (!selector)
        return true;
    return matchesFieldRequirements(parseFieldSelector(selector), obj);
}
