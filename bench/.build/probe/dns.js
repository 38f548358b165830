// DNS query over UDP or TCP to one server (blackbox_exporter's dns prober, reduced). Success: a
// well-formed response to our question with RCODE NOERROR and at least one answer of the asked
// type. An RCODE error, an empty answer or a malformed reply is reason `dns`: the server was reached
// — the path works — but does not resolve; the differential tells the two apart.
import { randomInt } from 'node:crypto';
import dgram from 'node:dgram';
import net from 'node:net';
import { runAttempt } from './attempt.js';
import { encodeQuery, parseMessage, rcodeName, RR_TYPES } from './dnswire.js';
function judge(a, reply, id, type) {
    let msg;
    try {
        msg = parseMessage(reply);
    }
    catch (err) {
        a.failWith('dns', `malformed DNS response: ${err.message}`);
        return 'settled';
    }
    // A stray datagram (late answer to an earlier query on a reused port) is not ours.
    if (msg.id !== id || !msg.isResponse)
        return 'ignored';
    if (msg.rcode !== 0) {
        a.failWith('dns', `rcode ${rcodeName(msg.rcode)}`);
    }
    else {
        const n = msg.answers.filter((r) => r.type === type).length;
        if (n > 0)
            a.succeed(`NOERROR, ${n} answer(s)`);
        else
            a.failWith('dns', msg.truncated ? 'truncated response without answers' : 'NOERROR without answers');
    }
    return 'settled';
}
export const probeDns = (target, opts) => runAttempt(opts, (a) => {
    const id = randomInt(0, 0x10000);
    const type = RR_TYPES[target.queryType ?? 'A'];
    const query = encodeQuery(id, target.queryName, type);
    if (target.transport === 'udp') {
        const socket = dgram.createSocket(net.isIPv6(target.host) ? 'udp6' : 'udp4');
        a.onSettle(() => socket.close());
        // On a connected UDP socket an ICMP port-unreachable surfaces as ECONNREFUSED.
        socket.on('error', (err) => a.fail(err));
        socket.on('message', (reply) => void judge(a, reply, id, type));
        socket.connect(target.port, target.host, () => {
            if (!a.settled)
                socket.send(query, (err) => err && a.fail(err));
        });
        return;
    }
    const socket = net.connect({ host: target.host, port: target.port });
    a.onSettle(() => socket.destroy());
    let buffered = Buffer.alloc(0);
    socket.once('connect', () => {
        const len = Buffer.alloc(2);
        len.writeUInt16BE(query.length, 0);
        socket.write(Buffer.concat([len, query]));
    });
    socket.on('data', (chunk) => {
        buffered = Buffer.concat([buffered, chunk]);
        while (buffered.length >= 2) {
            const len = buffered.readUInt16BE(0);
            if (buffered.length < 2 + len)
                return;
            const reply = buffered.subarray(2, 2 + len);
            buffered = buffered.subarray(2 + len);
            if (judge(a, reply, id, type) === 'settled')
                return;
        }
    });
    socket.once('error', (err) => a.fail(err));
    socket.once('end', () => a.failWith('reset', 'connection closed before a DNS response'));
});
