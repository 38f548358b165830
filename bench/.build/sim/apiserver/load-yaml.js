// Objects from YAML manifests (multi-document, and `kind: List` expanded), for loading into the store.
import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
export function parseManifests(text) {
    const out = [];
    for (const doc of parseAllDocuments(text)) {
        if (doc.errors.length > 0)
            throw new Error(`invalid YAML: ${doc.errors[0].message}`);
        const value = doc.toJS();
        if (!value)
            continue;
        if (typeof value.kind === 'string' && value.kind.endsWith('List') && Array.isArray(value.items))
            out.push(...value.items);
        else
            out.push(value);
    }
    return out;
}
export function readManifests(file) {
    return parseManifests(readFileSync(file, 'utf8'));
}
