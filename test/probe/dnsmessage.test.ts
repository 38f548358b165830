import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import dnsPacket from 'dns-packet';
import { answerQuery, encodeQuery, frameTcp, judgeReply, readQuestion, TcpDnsFramer } from '../../src/probe/dnsmessage.js';

const NAME = 'kubernetes.default.svc.cluster.local';

describe('DNS messages (dns-packet)', () => {
  it('a query carries our ID, RD and one IN question, without the trailing dot', () => {
    const q = dnsPacket.decode(encodeQuery(0x1234, `${NAME}.`));
    assert.equal(q.id, 0x1234);
    assert.equal(q.type, 'query');
    assert.equal(q.flag_rd, true);
    assert.deepEqual(q.questions, [{ name: NAME, type: 'A', class: 'IN' }]);
    assert.deepEqual(readQuestion(encodeQuery(7, NAME, 'AAAA')), { id: 7, name: NAME, type: 'AAAA' });
  });

  it('judges an answer of the asked type a success, anything else dns or not ours', () => {
    const q = encodeQuery(9, NAME);
    assert.deepEqual(judgeReply(answerQuery(q, 'NOERROR', ['198.18.100.1', '198.18.100.2']), 9, 'A'), {
      kind: 'success',
      detail: 'NOERROR, 2 answer(s)',
    });
    assert.deepEqual(judgeReply(answerQuery(q, 'NOERROR', ['fd00::1']), 9, 'A'), { kind: 'dns', detail: 'NOERROR without answers' });
    assert.deepEqual(judgeReply(answerQuery(q, 'NXDOMAIN'), 9, 'A'), { kind: 'dns', detail: 'rcode NXDOMAIN' });
    assert.equal(judgeReply(answerQuery(q, 'NOERROR', ['198.18.100.1']), 10, 'A').kind, 'not_ours');
    assert.equal(judgeReply(q, 9, 'A').kind, 'not_ours', 'a query is not a response');
    assert.equal(judgeReply(Buffer.from([0, 9, 0x81]), 9, 'A').kind, 'dns');
    assert.deepEqual(judgeReply(answerQuery(encodeQuery(3, 'x.test', 'AAAA'), 'NOERROR', ['fd00::1']), 3, 'AAAA'), {
      kind: 'success',
      detail: 'NOERROR, 1 answer(s)',
    });
  });

  it('a truncated response without answers is dns, and says so', () => {
    const r = answerQuery(encodeQuery(1, NAME), 'NOERROR');
    r.writeUInt16BE(r.readUInt16BE(2) | dnsPacket.TRUNCATED_RESPONSE, 2);
    assert.deepEqual(judgeReply(r, 1, 'A'), { kind: 'dns', detail: 'truncated response without answers' });
  });

  it('frames and unframes DNS over TCP across arbitrary chunk boundaries', () => {
    const a = frameTcp(Buffer.from('first'));
    const b = frameTcp(Buffer.from('second message'));
    const stream = Buffer.concat([a, b]);
    for (let cut = 0; cut <= stream.length; cut++) {
      const f = new TcpDnsFramer();
      const got = [...f.push(stream.subarray(0, cut)), ...f.push(stream.subarray(cut))].map(String);
      assert.deepEqual(got, ['first', 'second message'], `cut at ${cut}`);
      assert.equal(f.pending, 0);
    }
    const f = new TcpDnsFramer();
    assert.deepEqual(f.push(Buffer.from([0, 10, 1, 2])), []);
    assert.equal(f.pending, 4);
  });

  it('a name DNS cannot carry is refused when encoding the query', () => {
    assert.throws(() => encodeQuery(1, `${'a'.repeat(64)}.test`));
  });
});
