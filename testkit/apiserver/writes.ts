// Create, update, patch and delete against the store, answered the way the API server answers
// them: optimistic concurrency on metadata.resourceVersion (409 Conflict with the server's exact
// message), 409 AlreadyExists, 404 NotFound, server-owned metadata (uid, creationTimestamp,
// resourceVersion, generation) set by the server whatever the client sent. Every successful write
// goes through ObjectStore.apply/delete, so it bumps the global resourceVersion and reaches watches
// as ADDED/MODIFIED/DELETED like any other change.
import { randomBytes } from 'node:crypto';
import type { ResourceRef } from '../../src/cluster/catalog.js';
import { applyPatch, PatchError } from './patch.js';
import { apiVersionOf } from './resources.js';
import { statusBody, type StatusBody } from './status.js';
import type { K8sObject, ObjectMeta, ObjectStore } from './store.js';

export interface WriteResult {
  code: number;
  body: K8sObject | StatusBody | SuccessStatus;
}

export interface SuccessStatus {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Success';
  details: { name: string; group: string; kind: string; uid?: string };
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** `endpointslices.discovery.k8s.io`, `services`: how the API server names a resource in messages. */
export function qualifiedResource(ref: ResourceRef): string {
  return ref.group ? `${ref.resource}.${ref.group}` : ref.resource;
}

const details = (ref: ResourceRef, name: string) => ({ name, group: ref.group, kind: ref.resource });

export function notFound(ref: ResourceRef, name: string): WriteResult {
  return { code: 404, body: statusBody(404, `${qualifiedResource(ref)} "${name}" not found`, 'NotFound', details(ref, name)) };
}

/** The 409 a stale resourceVersion gets, word for word as the API server sends it. */
export function conflict(
  ref: ResourceRef,
  name: string,
  why = 'the object has been modified; please apply your changes to the latest version and try again',
): WriteResult {
  return {
    code: 409,
    body: statusBody(409, `Operation cannot be fulfilled on ${qualifiedResource(ref)} "${name}": ${why}`, 'Conflict', details(ref, name)),
  };
}

function badRequest(message: string): WriteResult {
  return { code: 400, body: statusBody(400, message, 'BadRequest') };
}

function invalid(ref: ResourceRef, name: string, field: string, message: string): WriteResult {
  return {
    code: 422,
    body: statusBody(422, `${ref.kind}${ref.group ? '.' + ref.group : ''} "${name}" is invalid: ${field}: ${message}`, 'Invalid', {
      name,
      group: ref.group,
      kind: ref.kind,
    }),
  };
}

/** What every write checks on the body: an object of this resource, in the request's namespace. */
function checkBody(ref: ResourceRef, namespace: string | undefined, body: unknown): WriteResult | K8sObject {
  if (!isObj(body)) return badRequest(`the body of the request must be a ${ref.kind} object`);
  const obj = JSON.parse(JSON.stringify(body)) as K8sObject;
  if (obj.kind !== undefined && obj.kind !== ref.kind)
    return badRequest(`the kind of the provided object (${String(obj.kind)}) does not match the resource (${ref.kind})`);
  if (obj.apiVersion !== undefined && obj.apiVersion !== apiVersionOf(ref)) {
    return badRequest(
      `the API version of the provided object (${String(obj.apiVersion)}) does not match the request (${apiVersionOf(ref)})`,
    );
  }
  obj.apiVersion = apiVersionOf(ref);
  obj.kind = ref.kind;
  const meta: ObjectMeta = isObj(obj.metadata) ? obj.metadata : (obj.metadata = {});
  if (ref.namespaced) {
    if (meta.namespace !== undefined && meta.namespace !== '' && meta.namespace !== namespace) {
      return badRequest('the namespace of the provided object does not match the namespace sent on the request');
    }
    meta.namespace = namespace ?? 'default';
  }
  return obj;
}

const isResult = (v: WriteResult | K8sObject): v is WriteResult => typeof (v as WriteResult).code === 'number' && 'body' in v;

/** The part of an object that counts as its spec for metadata.generation (everything but metadata and status). */
function specOf(o: K8sObject | undefined): string {
  if (!o) return '';
  const { metadata: _m, status: _s, ...rest } = o;
  return JSON.stringify(rest);
}

/** Server-owned metadata: kept from `previous` on an update, fresh on a create; the store sets uid and resourceVersion. */
function stampServerFields(obj: K8sObject, previous: K8sObject | undefined): void {
  const meta = obj.metadata!;
  delete meta.resourceVersion;
  delete meta.managedFields;
  if (previous) {
    meta.uid = previous.metadata?.uid;
    meta.creationTimestamp = previous.metadata?.creationTimestamp;
    const gen = typeof previous.metadata?.generation === 'number' ? previous.metadata.generation : 1;
    meta.generation = specOf(previous) === specOf(obj) ? gen : gen + 1;
  } else {
    delete meta.uid;
    delete meta.creationTimestamp;
    meta.generation = 1;
  }
}

export function createObject(store: ObjectStore, ref: ResourceRef, namespace: string | undefined, body: unknown): WriteResult {
  const checked = checkBody(ref, namespace, body);
  if (isResult(checked)) return checked;
  const meta = checked.metadata!;
  if (!meta.name && typeof meta.generateName === 'string' && meta.generateName) {
    // as the server does: five random lower-case alphanumerics after the prefix
    const alphabet = 'bcdfghjklmnpqrstvwxz2456789';
    meta.name = meta.generateName + [...randomBytes(5)].map((b) => alphabet[b % alphabet.length]).join('');
  }
  if (!meta.name) return invalid(ref, '', 'metadata.name', 'Required value: name or generateName is required');
  if (store.get(ref, namespace, meta.name)) {
    return {
      code: 409,
      body: statusBody(409, `${qualifiedResource(ref)} "${meta.name}" already exists`, 'AlreadyExists', details(ref, meta.name)),
    };
  }
  stampServerFields(checked, undefined);
  return { code: 201, body: store.apply(checked) };
}

/** PUT: the whole object. A resourceVersion in the body must be the current one (409 otherwise); none means "last write wins". */
export function updateObject(
  store: ObjectStore,
  ref: ResourceRef,
  namespace: string | undefined,
  name: string,
  body: unknown,
): WriteResult {
  const checked = checkBody(ref, namespace, body);
  if (isResult(checked)) return checked;
  const meta = checked.metadata!;
  if (meta.name !== undefined && meta.name !== name)
    return badRequest(`the name of the object (${String(meta.name)}) does not match the name on the URL (${name})`);
  meta.name = name;
  const current = store.get(ref, namespace, name);
  // Leases and EndpointSlices (like most resources) are not created by a PUT.
  if (!current) return notFound(ref, name);
  if (meta.resourceVersion !== undefined && meta.resourceVersion !== '' && meta.resourceVersion !== current.metadata?.resourceVersion)
    return conflict(ref, name);
  if (meta.uid !== undefined && meta.uid !== '' && meta.uid !== current.metadata?.uid) {
    return conflict(
      ref,
      name,
      `Precondition failed: UID in precondition: ${String(meta.uid)}, UID in object meta: ${String(current.metadata?.uid)}`,
    );
  }
  stampServerFields(checked, current);
  return { code: 200, body: store.apply(checked) };
}

/**
 * PATCH with a merge, strategic-merge or JSON patch. A resourceVersion the patch leaves on the
 * object (a merge patch that sets metadata.resourceVersion, a json patch that replaces it) is a
 * precondition, as on the real server: 409 unless it is the current one.
 */
export function patchObject(
  store: ObjectStore,
  ref: ResourceRef,
  namespace: string | undefined,
  name: string,
  contentType: string | undefined,
  body: unknown,
): WriteResult {
  const current = store.get(ref, namespace, name);
  if (!current) return notFound(ref, name);
  let patched: unknown;
  try {
    patched = applyPatch(current, contentType, body);
  } catch (err) {
    if (!(err instanceof PatchError)) throw err;
    if (err.code === 415) return { code: 415, body: statusBody(415, err.message, 'UnsupportedMediaType') };
    if (err.code === 422) return { code: 422, body: statusBody(422, err.message, 'Invalid', details(ref, name)) };
    return badRequest(err.message);
  }
  const checked = checkBody(ref, namespace, patched);
  if (isResult(checked)) return checked;
  const meta = checked.metadata!;
  if (meta.name !== name) return badRequest(`metadata.name: the patch may not change the name (${name})`);
  const rv = meta.resourceVersion;
  if (rv !== undefined && rv !== '' && rv !== current.metadata?.resourceVersion) return conflict(ref, name);
  stampServerFields(checked, current);
  return { code: 200, body: store.apply(checked) };
}

/** DELETE, honouring DeleteOptions.preconditions (resourceVersion, uid). Answers a Success Status. */
export function deleteObject(
  store: ObjectStore,
  ref: ResourceRef,
  namespace: string | undefined,
  name: string,
  body: unknown,
): WriteResult {
  const current = store.get(ref, namespace, name);
  if (!current) return notFound(ref, name);
  const pre = isObj(body) && isObj(body.preconditions) ? body.preconditions : {};
  if (typeof pre.resourceVersion === 'string' && pre.resourceVersion !== current.metadata?.resourceVersion) {
    return conflict(
      ref,
      name,
      `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${String(current.metadata?.resourceVersion)}`,
    );
  }
  if (typeof pre.uid === 'string' && pre.uid !== current.metadata?.uid) {
    return conflict(
      ref,
      name,
      `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${String(current.metadata?.uid)}`,
    );
  }
  store.delete(ref, namespace, name);
  const uid = current.metadata?.uid;
  return {
    code: 200,
    body: {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Success',
      details: { name, group: ref.group, kind: ref.resource, ...(uid ? { uid } : {}) },
    },
  };
}
