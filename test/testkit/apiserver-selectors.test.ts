// Label and field selector semantics of the fake API server (what a real one accepts and selects).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { matchesFieldSelector, matchesLabelSelector, parseLabelSelector } from '../../testkit/apiserver/selectors.js';

describe('label selectors', () => {
  const labels = { 'k8s-app': 'cilium', tier: 'node', 'app.kubernetes.io/name': 'x' };
  const cases: Array<[string, boolean]> = [
    ['', true],
    ['k8s-app=cilium', true],
    ['k8s-app==cilium', true],
    ['k8s-app!=cilium', false],
    ['missing!=x', true],
    ['k8s-app in (kube-proxy,cilium)', true],
    ['k8s-app in (kube-proxy, calico-node)', false],
    ['k8s-app notin (kube-proxy)', true],
    ['missing notin (a)', true],
    ['missing in (a)', false],
    ['tier', true],
    ['!tier', false],
    ['!missing', true],
    ['app.kubernetes.io/name=x', true],
    ['k8s-app in (cilium,x),tier=node', true],
    ['k8s-app in (cilium,x),tier=other', false],
    [' tier = node , k8s-app ', true],
  ];
  for (const [sel, want] of cases) {
    it(`"${sel}" ${want ? 'selects' : 'rejects'} the labels`, () => {
      assert.equal(matchesLabelSelector(sel, labels), want);
    });
  }

  it('treats missing labels as empty', () => {
    assert.equal(matchesLabelSelector('a=b', undefined), false);
    assert.equal(matchesLabelSelector('!a', undefined), true);
  });

  it('parses set-based terms, keeping commas inside parentheses in the set', () => {
    assert.deepEqual(parseLabelSelector('a in (x,y),b'), [
      { key: 'a', operator: 'in', values: ['x', 'y'] },
      { key: 'b', operator: 'exists', values: [] },
    ]);
  });

  for (const bad of ['a in (x', 'a)', 'a=b,', '=b', 'a b', 'a in x', 'a=b=c', '!', 'a=(x)']) {
    it(`throws a clear error for malformed "${bad}"`, () => {
      assert.throws(
        () => parseLabelSelector(bad),
        (err: Error) => err.message.includes('invalid label selector') && err.message.includes(bad),
      );
    });
  }
});

describe('field selectors', () => {
  const pod = { metadata: { name: 'p', namespace: 'kube-system' }, spec: { nodeName: 'n1' }, status: { phase: 'Running' } };
  const cases: Array<[string, boolean]> = [
    ['', true],
    ['metadata.name=p', true],
    ['metadata.name==p', true],
    ['metadata.name!=p', false],
    ['spec.nodeName=n1,status.phase=Running', true],
    ['spec.nodeName=n1,status.phase!=Running', false],
    ['metadata.namespace=default', false],
    ['spec.missing=', true],
    ['spec.missing!=x', true],
  ];
  for (const [sel, want] of cases) {
    it(`"${sel}" ${want ? 'selects' : 'rejects'} the pod`, () => {
      assert.equal(matchesFieldSelector(sel, pod), want);
    });
  }

  it('throws on a malformed term', () => {
    assert.throws(() => matchesFieldSelector('metadata.name', pod), /invalid field selector/);
  });
});
