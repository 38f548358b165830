// Objects from YAML manifests (multi-document, and `kind: List` expanded), for loading into the store.
import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import type { K8sObject } from './store.js';

export function parseManifests(text: string): K8sObject[] {
  const out: K8sObject[] = [];
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length > 0) throw new Error(`invalid YAML: ${doc.errors[0]!.message}`);
    const value = doc.toJS() as K8sObject | null;
    if (!value) continue;
    if (typeof value.kind === 'string' && value.kind.endsWith('List') && Array.isArray(value.items))
      out.push(...(value.items as K8sObject[]));
    else out.push(value);
  }
  return out;
}

export function readManifests(file: string): K8sObject[] {
  return parseManifests(readFileSync(file, 'utf8'));
}
