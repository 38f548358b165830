import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { encodeName, encodeQuery, encodeResponse, parseMessage, rcodeName, RR_TYPES } from '../../src/probe/dnswire.js';

describe('dns wire format', () => {
  it('round-trips a query and its answer', () => {
    const q = encodeQuery(0x1234, 'kubernetes.default.svc.cluster.local.');
    const pq = parseMessage(q);
    assert.equal(pq.id, 0x1234);
    assert.equal(pq.isResponse, false);
    assert.deepEqual(pq.question, { name: 'kubernetes.default.svc.cluster.local', type: RR_TYPES.A });
    const r = parseMessage(encodeResponse(q, 0, ['198.18.100.1', '198.18.100.2']));
    assert.equal(r.isResponse, true);
    assert.equal(r.rcode, 0);
    assert.deepEqual(
      r.answers.map((a) => [a.type, [...a.data].join('.')]),
      [
        [1, '198.18.100.1'],
        [1, '198.18.100.2'],
      ],
    );
  });

  it('encodes AAAA answers', () => {
    const q = encodeQuery(1, 'x.test', RR_TYPES.AAAA);
    const r = parseMessage(encodeResponse(q, 0, ['fd00::1']));
    assert.equal(r.answers[0]!.type, RR_TYPES.AAAA);
    assert.equal(r.answers[0]!.data.toString('hex'), 'fd000000000000000000000000000001');
  });

  it('names rcodes', () => {
    assert.deepEqual([0, 2, 3, 5, 9].map(rcodeName), ['NOERROR', 'SERVFAIL', 'NXDOMAIN', 'REFUSED', 'RCODE9']);
  });

  it('rejects labels over 63 bytes', () => {
    assert.throws(() => encodeName(`${'a'.repeat(64)}.test`), RangeError);
  });

  it('throws RangeError (never anything else, never hangs) on arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), (bytes) => {
        try {
          parseMessage(Buffer.from(bytes));
        } catch (err) {
          assert.ok(err instanceof RangeError, String(err));
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('rejects a compression loop', () => {
    const msg = Buffer.from([0, 1, 0x81, 0x80, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 12, 0, 1, 0, 1]);
    assert.throws(() => parseMessage(msg), RangeError);
  });
});
