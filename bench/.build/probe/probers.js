// The one table of probe kinds. Adding a kind: a module exporting a Prober, a ProbeTarget variant
// in types.ts, one entry here.
import { probeDns } from './dns.js';
import { probeHttp } from './http.js';
import { probeTcp } from './tcp.js';
import { probeTls } from './tls.js';
export const probers = {
    tcp: probeTcp,
    http: probeHttp,
    tls: probeTls,
    dns: probeDns,
};
/** Runs the prober for `target.kind` from `table`. */
export function probe(target, opts, table = probers) {
    // The union is correlated by `kind`; TypeScript cannot see that through the index.
    const fn = table[target.kind];
    return fn(target, opts);
}
