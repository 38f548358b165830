// Object metadata types, taken from kubernetes-models' own interfaces: the package types every object's
// metadata with ObjectMeta from @kubernetes-models/apimachinery but does not re-export it, and that
// package is a dependency of kubernetes-models, not of this project.
import type { IPod } from 'kubernetes-models/v1';

export type ObjectMeta = NonNullable<IPod['metadata']>;
export type OwnerReference = NonNullable<ObjectMeta['ownerReferences']>[number];
export type ManagedFieldsEntry = NonNullable<ObjectMeta['managedFields']>[number];
