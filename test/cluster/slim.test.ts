// What the slim Service keeps of the traffic policies: target discovery needs to know "Local".
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { slimService } from '../../src/cluster/slim.js';

const raw = (spec: Record<string, unknown>) => ({
  metadata: { namespace: 'apps', name: 'web', uid: 'u1' },
  spec: { type: 'NodePort', clusterIP: '198.18.100.50', ports: [{ name: 'http', port: 80, nodePort: 30080 }], ...spec },
});

test('slimService keeps externalTrafficPolicy and internalTrafficPolicy when they are Local, and only then', () => {
  const local = slimService(raw({ externalTrafficPolicy: 'Local', internalTrafficPolicy: 'Local' }));
  assert.equal(local.externalTrafficPolicy, 'Local');
  assert.equal(local.internalTrafficPolicy, 'Local');
  for (const policy of [{ externalTrafficPolicy: 'Cluster', internalTrafficPolicy: 'Cluster' }, {}]) {
    const s = slimService(raw(policy));
    assert.equal('externalTrafficPolicy' in s, false, JSON.stringify(policy));
    assert.equal('internalTrafficPolicy' in s, false, JSON.stringify(policy));
  }
});
