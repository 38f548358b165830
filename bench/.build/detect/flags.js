// Command-line flag reading over a container's argv. Accepts `--flag=value`, `--flag value` and
// the single-dash Go spelling; argv elements that hold a whole shell command line
// (`sh -c "kube-proxy --proxy-mode=ipvs"`) are split on whitespace first.
export function tokenize(argv) {
    const out = [];
    for (const a of argv) {
        if (/\s/.test(a) && /(^|\s)-{1,2}[A-Za-z]/.test(a))
            out.push(...a.split(/\s+/).filter(Boolean));
        else
            out.push(a);
    }
    return out;
}
function isFlag(tok, name) {
    return tok === `--${name}` || tok === `-${name}`;
}
function withValue(tok, name) {
    for (const p of [`--${name}=`, `-${name}=`])
        if (tok.startsWith(p))
            return tok.slice(p.length);
    return undefined;
}
/**
 * The value of a valued flag (the last occurrence wins, as in pflag); `undefined` when absent.
 * `--flag value` takes the next token unless it is itself a flag.
 */
export function flagValue(argv, name) {
    const toks = tokenize(argv);
    let found;
    for (let i = 0; i < toks.length; i++) {
        const t = toks[i];
        const v = withValue(t, name);
        if (v !== undefined)
            found = v;
        else if (isFlag(t, name)) {
            const next = toks[i + 1];
            if (next !== undefined && !next.startsWith('-')) {
                found = next;
                i++;
            }
            else
                found = '';
        }
    }
    return found;
}
/** Every value of a repeatable flag, in order (`--kube-proxy-arg a --kube-proxy-arg=b`). */
export function flagValues(argv, name) {
    const toks = tokenize(argv);
    const out = [];
    for (let i = 0; i < toks.length; i++) {
        const t = toks[i];
        const v = withValue(t, name);
        if (v !== undefined)
            out.push(v);
        else if (isFlag(t, name) && toks[i + 1] !== undefined && !toks[i + 1].startsWith('-'))
            out.push(toks[++i]);
    }
    return out;
}
const TRUE = new Set(['1', 't', 'true', 'T', 'TRUE', 'True']);
const FALSE = new Set(['0', 'f', 'false', 'F', 'FALSE', 'False']);
/**
 * A boolean flag as Go's flag/pflag read it: present alone = true, `--flag=false` = false.
 * `--flag false` is NOT false to pflag (the `false` is a positional argument), so a separate value
 * is only honoured when `separateValue` is set (k3s records config-file booleans that way in its
 * node-args annotation: `"--disable-kube-proxy","true"`). `undefined` when absent.
 */
export function boolFlag(argv, name, opts = {}) {
    const toks = tokenize(argv);
    let found;
    for (let i = 0; i < toks.length; i++) {
        const t = toks[i];
        const v = withValue(t, name);
        if (v !== undefined)
            found = !FALSE.has(v.trim());
        else if (isFlag(t, name)) {
            const next = toks[i + 1];
            if (opts.separateValue && next !== undefined && (TRUE.has(next) || FALSE.has(next))) {
                found = TRUE.has(next);
                i++;
            }
            else
                found = true;
        }
    }
    return found;
}
