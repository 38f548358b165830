// The patch formats a PATCH request may carry: JSON merge patch (RFC 7386), strategic merge patch
// (treated as a merge patch: the fake serves no list-merge keys, which is exact for the fields a
// plain object has and an approximation for keyed lists such as containers), and JSON patch
// (RFC 6902, including `test`, which is how json-patch clients express preconditions).

export const PATCH_TYPES = {
  merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  json: 'application/json-patch+json',
  apply: 'application/apply-patch+yaml',
} as const;

export class PatchError extends Error {
  constructor(
    message: string,
    /** HTTP status for the answer: 400 malformed, 422 a failed json-patch test or path */
    readonly code: 400 | 409 | 415 | 422 = 400,
  ) {
    super(message);
  }
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** RFC 7386: objects merge recursively, null deletes, anything else (arrays included) replaces. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isObj(patch)) return patch;
  const out: Record<string, unknown> = isObj(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

function pointer(path: string): string[] {
  if (path === '') return [];
  if (!path.startsWith('/')) throw new PatchError(`json patch: path "${path}" must start with "/"`);
  return path
    .slice(1)
    .split('/')
    .map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function parentOf(doc: unknown, tokens: string[], path: string): { parent: Record<string, unknown> | unknown[]; key: string } {
  let cur: unknown = doc;
  for (const t of tokens.slice(0, -1)) {
    if (Array.isArray(cur)) cur = cur[Number(t)];
    else if (isObj(cur)) cur = cur[t];
    else cur = undefined;
    if (cur === undefined) throw new PatchError(`json patch: path "${path}" does not exist`, 422);
  }
  if (!Array.isArray(cur) && !isObj(cur)) throw new PatchError(`json patch: path "${path}" does not exist`, 422);
  return { parent: cur, key: tokens[tokens.length - 1]! };
}

function getAt(doc: unknown, path: string): unknown {
  let cur: unknown = doc;
  for (const t of pointer(path)) {
    if (Array.isArray(cur)) cur = cur[Number(t)];
    else if (isObj(cur)) cur = Object.hasOwn(cur, t) ? cur[t] : undefined;
    else cur = undefined;
    if (cur === undefined) throw new PatchError(`json patch: path "${path}" does not exist`, 422);
  }
  return cur;
}

function arrayIndex(arr: unknown[], key: string, path: string, forAdd: boolean): number {
  if (forAdd && key === '-') return arr.length;
  const i = Number(key);
  if (!/^(0|[1-9]\d*)$/.test(key) || i > arr.length || (!forAdd && i === arr.length))
    throw new PatchError(`json patch: index "${key}" out of range at "${path}"`, 422);
  return i;
}

function removeAt(doc: unknown, path: string): unknown {
  const tokens = pointer(path);
  if (tokens.length === 0) throw new PatchError('json patch: cannot remove the whole document', 422);
  const { parent, key } = parentOf(doc, tokens, path);
  if (Array.isArray(parent)) return parent.splice(arrayIndex(parent, key, path, false), 1)[0];
  if (!Object.hasOwn(parent, key)) throw new PatchError(`json patch: path "${path}" does not exist`, 422);
  const v = parent[key];
  delete parent[key];
  return v;
}

function addAt(doc: unknown, path: string, value: unknown, replace: boolean): unknown {
  const tokens = pointer(path);
  if (tokens.length === 0) return value;
  const { parent, key } = parentOf(doc, tokens, path);
  if (Array.isArray(parent)) {
    const i = arrayIndex(parent, key, path, !replace);
    parent.splice(i, replace ? 1 : 0, value);
  } else {
    if (replace && !Object.hasOwn(parent, key)) throw new PatchError(`json patch: path "${path}" does not exist`, 422);
    parent[key] = value;
  }
  return doc;
}

const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;
const equal = (a: unknown, b: unknown): boolean => JSON.stringify(canon(a)) === JSON.stringify(canon(b));
function canon(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canon);
  if (isObj(v))
    return Object.fromEntries(
      Object.keys(v)
        .sort()
        .map((k) => [k, canon(v[k])]),
    );
  return v;
}

/** RFC 6902 on a copy of `doc`. A failed `test` is a PatchError with code 422, as the API server answers. */
export function jsonPatch(doc: unknown, ops: unknown): unknown {
  if (!Array.isArray(ops)) throw new PatchError('json patch: the body must be an array of operations');
  let out = clone(doc);
  for (const op0 of ops) {
    if (!isObj(op0) || typeof op0.op !== 'string' || typeof op0.path !== 'string')
      throw new PatchError('json patch: every operation needs "op" and "path"');
    const { op, path } = op0;
    switch (op) {
      case 'add':
        out = addAt(out, path, clone(op0.value), false);
        break;
      case 'replace':
        out = addAt(out, path, clone(op0.value), true);
        break;
      case 'remove':
        removeAt(out, path);
        break;
      case 'move': {
        if (typeof op0.from !== 'string') throw new PatchError('json patch: "move" needs "from"');
        const v = removeAt(out, op0.from);
        out = addAt(out, path, v, false);
        break;
      }
      case 'copy': {
        if (typeof op0.from !== 'string') throw new PatchError('json patch: "copy" needs "from"');
        out = addAt(out, path, clone(getAt(out, op0.from)), false);
        break;
      }
      case 'test':
        if (!equal(getAt(out, path), op0.value)) throw new PatchError(`json patch: test operation for path "${path}" failed`, 422);
        break;
      default:
        throw new PatchError(`json patch: unknown operation "${op}"`);
    }
  }
  return out;
}

/** Applies a PATCH body of `contentType` (parameters such as charset ignored) to `current`. */
export function applyPatch(current: unknown, contentType: string | undefined, body: unknown): unknown {
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (type === PATCH_TYPES.merge || type === PATCH_TYPES.strategic) {
    if (!isObj(body)) throw new PatchError('merge patch: the body must be a JSON object');
    return mergePatch(current, body);
  }
  if (type === PATCH_TYPES.json) return jsonPatch(current, body);
  throw new PatchError(
    `the server does not support patch type "${type || '(none)'}"; use ${PATCH_TYPES.merge}, ${PATCH_TYPES.strategic} or ${PATCH_TYPES.json}`,
    415,
  );
}
