// The canary's watches: whole objects (a few, small) in the exporter's namespace, one by name (what the canary Role's
// resourceNames authorize: every request carries fieldSelector=metadata.name=<name>) or by label.
import type { ApiConnection } from '../cluster/connection.js';
import { Reflector, type ReflectorOptions } from '../cluster/reflector.js';
import { CANARY_REFS } from './objects.js';

export function canaryWatch(
  conn: ApiConnection,
  source: string,
  resource: keyof typeof CANARY_REFS,
  namespace: string,
  select: { name: string } | { labelSelector: string },
  opts?: ReflectorOptions,
): Reflector {
  return new Reflector(
    conn,
    {
      name: source,
      ref: CANARY_REFS[resource],
      namespace,
      ...('name' in select ? { fieldSelector: `metadata.name=${select.name}` } : { labelSelector: select.labelSelector }),
      slim: (x: unknown) => x,
    },
    opts,
  );
}
