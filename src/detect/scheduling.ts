// Where a DaemonSet's pods are expected: the same taint/toleration and nodeSelector rules the
// scheduler applies, reduced to what the slim shapes carry.
import type { SlimNode, SlimNodeSelectorRequirement, SlimNodeSelectorTerm, SlimTaint, SlimToleration } from '../cluster/types.js';

export function tolerates(t: SlimToleration, taint: SlimTaint): boolean {
  if (t.effect && t.effect !== taint.effect) return false;
  const op = t.operator || 'Equal';
  // An empty key with Exists tolerates every taint; an empty key with Equal is invalid.
  if (!t.key) return op === 'Exists';
  if (t.key !== taint.key) return false;
  if (op === 'Exists') return true;
  return (t.value ?? '') === (taint.value ?? '');
}

/** The NoSchedule/NoExecute taints of `node` that no toleration covers (PreferNoSchedule never blocks). */
export function untoleratedTaints(node: SlimNode, tolerations: SlimToleration[]): SlimTaint[] {
  return node.taints.filter(
    (taint) => (taint.effect === 'NoSchedule' || taint.effect === 'NoExecute') && !tolerations.some((t) => tolerates(t, taint)),
  );
}

export function matchesNodeSelector(node: SlimNode, selector: Record<string, string>): boolean {
  return Object.entries(selector).every(([k, v]) => node.labels[k] === v);
}

export function nodeReady(node: SlimNode): boolean {
  return node.conditions.Ready === 'True';
}

export function hasLabels(labels: Record<string, string>, want: Record<string, string>): boolean {
  return Object.entries(want).every(([k, v]) => labels[k] === v);
}

function requirementHolds(r: SlimNodeSelectorRequirement, value: string | undefined): boolean {
  switch (r.operator) {
    case 'In':
      return value !== undefined && r.values.includes(value);
    case 'NotIn':
      return value === undefined || !r.values.includes(value);
    case 'Exists':
      return value !== undefined;
    case 'DoesNotExist':
      return value === undefined;
    case 'Gt':
    case 'Lt': {
      const n = Number(value);
      const bound = Number(r.values[0]);
      if (value === undefined || !Number.isInteger(n) || !Number.isInteger(bound)) return false;
      return r.operator === 'Gt' ? n > bound : n < bound;
    }
  }
}

/** Required node affinity as the scheduler reads it: terms ORed, a term's requirements ANDed. */
export function matchesNodeSelectorTerms(node: SlimNode, terms: SlimNodeSelectorTerm[]): boolean {
  return terms.some(
    (t) =>
      (t.labels.length > 0 || t.names.length > 0) &&
      t.labels.every((r) => requirementHolds(r, node.labels[r.key])) &&
      t.names.every((r) => requirementHolds(r, node.name)),
  );
}
