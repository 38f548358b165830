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

test('slimService keeps the healthCheckNodePort the load balancer asks, and slimNode every InternalIP (one per family)', async () => {
  const lb = slimService(raw({ type: 'LoadBalancer', externalTrafficPolicy: 'Local', healthCheckNodePort: 32100 }));
  assert.equal(lb.healthCheckNodePort, 32100);
  assert.equal('healthCheckNodePort' in slimService(raw({})), false);
  const { slimNode } = await import('../../src/cluster/slim.js');
  const n = slimNode({
    metadata: { name: 'n1' },
    status: {
      addresses: [
        { type: 'Hostname', address: 'n1' },
        { type: 'InternalIP', address: '198.18.3.1' },
        { type: 'InternalIP', address: 'fd00:198:18:3::1' },
      ],
    },
  });
  assert.equal(n.internalIP, '198.18.3.1', 'the first InternalIP stays the primary one');
  assert.deepEqual(n.internalIPs, ['198.18.3.1', 'fd00:198:18:3::1']);
});
