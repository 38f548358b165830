// One copy of each of the short strings cluster objects repeat: namespaces, images, agent flags,
// label values, versions, node names (a node's name is also in its agent pod, its hostname label
// and every endpoint on it). JSON.parse makes a new string for every occurrence; at 5,000 nodes
// that is ~4 MB of copies (docs/benchmarks.md). Only low-cardinality fields go through here (never
// uids or addresses), and the pool is bounded: when it is full it starts again, which only costs
// the sharing of what was pooled before.
const POOL_MAX = 50_000;
/** Longer strings are rarely repeated verbatim and not worth a lookup. */
const LENGTH_MAX = 256;

const pool = new Map<string, string>();

export function intern(s: string): string {
  if (s.length > LENGTH_MAX) return s;
  const hit = pool.get(s);
  if (hit !== undefined) return hit;
  if (pool.size >= POOL_MAX) pool.clear();
  pool.set(s, s);
  return s;
}
