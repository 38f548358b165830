import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { decideLease, LeaseElector, microTime, DEFAULT_LEASE_TIMING, type ObservedLease } from '../../src/canary/lease.js';
import { connectTo, startFakeApiServer, WRITE_VERBS, type FakeApiConnection, type FakeApiServer } from '../../testkit/apiserver/index.js';

const T = DEFAULT_LEASE_TIMING;
const held = (holder: string, observedAt: number, transitions = 0): ObservedLease => ({
  spec: {
    holderIdentity: holder,
    leaseDurationSeconds: 15,
    renewTime: microTime(observedAt),
    acquireTime: microTime(observedAt),
    leaseTransitions: transitions,
  },
  resourceVersion: '7',
  observedAt,
});

describe('decideLease (client-go leader election rules)', () => {
  it('creates a missing Lease held by me', () => {
    const a = decideLease(undefined, 'me', 1_000, T);
    assert.equal(a.kind, 'create');
    assert.equal(a.kind === 'create' && a.spec.holderIdentity, 'me');
    assert.equal(a.kind === 'create' && a.spec.leaseDurationSeconds, 15);
  });

  it('renews my own Lease with its resourceVersion, keeping acquireTime and transitions', () => {
    const a = decideLease(held('me', 0, 3), 'me', 5_000, T);
    assert.ok(a.kind === 'update' && !a.takeover);
    assert.equal(a.resourceVersion, '7');
    assert.equal(a.spec.leaseTransitions, 3);
    assert.equal(a.spec.acquireTime, microTime(0));
    assert.equal(a.spec.renewTime, microTime(5_000));
  });

  it('waits for a Lease another holder renewed within the lease duration (by when we saw it, not its clock)', () => {
    const a = decideLease(held('other', 10_000), 'me', 24_999, T);
    assert.deepEqual(a, { kind: 'wait', untilMs: 25_000, holder: 'other' });
  });

  it('takes over an expired Lease, counting a transition', () => {
    const a = decideLease(held('other', 10_000, 2), 'me', 25_000, T);
    assert.ok(a.kind === 'update' && a.takeover);
    assert.equal(a.spec.holderIdentity, 'me');
    assert.equal(a.spec.leaseTransitions, 3);
  });

  it('takes over a released Lease (no holder) at once', () => {
    const a = decideLease(held('', 10_000), 'me', 10_001, T);
    assert.ok(a.kind === 'update' && a.takeover);
  });

  it('writes MicroTime with six fractional digits', () => {
    assert.equal(microTime(Date.UTC(2026, 0, 2, 3, 4, 5, 67)), '2026-01-02T03:04:05.067000Z');
  });
});

const FAST = {
  leaseDurationMs: 1_000,
  renewPeriodMs: 250,
  renewDeadlineMs: 700,
  retryPeriodMs: 100,
  forbiddenBackoff: { initialMs: 300, maxMs: 1_000 },
};

describe('LeaseElector against an API with optimistic concurrency', () => {
  let api: FakeApiServer;
  let client: FakeApiConnection;
  before(async () => {
    api = await startFakeApiServer();
    client = await connectTo(api.url);
  });
  after(async () => {
    client.close();
    await api.close();
  });
  const LEASE = 'service-proxy-exporter-canary';
  const lease = () => api.store.get('leases', 'ns', LEASE);
  const noLease = () => void api.store.delete('leases', 'ns', LEASE);

  const elector = (identity: string) => new LeaseElector({ conn: client.conn, namespace: 'ns', identity, timing: FAST });
  const leaderOf = (...es: LeaseElector[]) => es.filter((e) => e.isLeader);
  const until = async (what: string, ms: number, pred: () => boolean) => {
    const end = Date.now() + ms;
    while (!pred()) {
      if (Date.now() > end) assert.fail(`timed out: ${what}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };

  it('elects exactly one of two candidates; a dead holder is replaced within the lease duration', async () => {
    noLease();
    const a = elector('a');
    const b = elector('b');
    a.start();
    b.start();
    await until('a leader', 3_000, () => leaderOf(a, b).length === 1);
    // stays exactly one across several renewals
    for (let i = 0; i < 10; i++) {
      await new Promise((r) => setTimeout(r, 100));
      assert.equal(leaderOf(a, b).length, 1);
    }
    const [first] = leaderOf(a, b);
    const second = first === a ? b : a;
    assert.equal((lease()!.spec as { holderIdentity: string }).holderIdentity, first!.identity);
    const killedAt = Date.now();
    await first!.stop({ release: false }); // as a crash: no release
    await once(second, 'leader');
    const took = Date.now() - killedAt;
    assert.ok(took <= FAST.leaseDurationMs + 150, `took over after ${took} ms`);
    assert.equal((lease()!.spec as { leaseTransitions: number }).leaseTransitions, 1);
    await second.stop();
    // released: holder cleared
    assert.equal((lease()!.spec as { holderIdentity: string }).holderIdentity, '');
  });

  it('a 403 on Lease writes: one forbidden event, no leader, retried with backoff, then recovers', async () => {
    noLease();
    api.faults.set({ resource: 'leases', verb: WRITE_VERBS }, { status: 403 });
    const a = elector('a');
    let forbidden = 0;
    a.on('forbidden', () => forbidden++);
    a.start();
    await until('forbidden', 2_000, () => forbidden === 1);
    await new Promise((r) => setTimeout(r, 800)); // a couple of backoff retries
    assert.equal(forbidden, 1);
    assert.equal(a.isLeader, false);
    const attempts = api.requests.filter((r) => r.resource === 'leases' && r.status === 403).length;
    assert.ok(attempts >= 2 && attempts <= 5, `${attempts} attempts in ~1 s of backoff`);
    api.faults.clear();
    await once(a, 'leader');
    assert.equal(a.forbidden, false);
    await a.stop();
  });
});
