// DNS query over UDP or TCP to one server (blackbox_exporter's dns prober, reduced). Success: a
// well-formed response to our question with RCODE NOERROR and at least one answer of the asked
// type. An RCODE error, an empty answer, a malformed reply or only replies with another ID is reason
// `dns`: the server was reached — the path works — but does not resolve; the differential tells the
// two apart. The codec is `dns-packet` (dnsmessage.ts); this file only drives the sockets.
import { randomInt } from 'node:crypto';
import dgram from 'node:dgram';
import net from 'node:net';
import { runAttempt, type Attempt } from './attempt.js';
import { encodeQuery, frameTcp, judgeReply, TcpDnsFramer, type ReplyVerdict } from './dnsmessage.js';
import type { DnsTarget, Prober } from './types.js';

/** Settles `a` with a reply's verdict (a reply that is not ours must be handled before). */
function settle(a: Attempt, v: ReplyVerdict): void {
  if (v.kind === 'success') a.succeed(v.detail);
  else a.failWith('dns', v.detail);
}

function probeUdp(a: Attempt, target: DnsTarget, id: number, type: 'A' | 'AAAA', query: Buffer): void {
  const socket = dgram.createSocket(net.isIPv6(target.host) ? 'udp6' : 'udp4');
  a.onSettle(() => socket.close());
  let stray: string | undefined;
  // A stray datagram (a late answer to an earlier query on a reused port, or a server that gets
  // the ID wrong) is not our answer; if nothing else comes, the server was reached but answered
  // wrongly: `dns`, not `timeout`.
  a.whenTimedOut = () => {
    if (stray) a.failWith('dns', `no reply to our query; ${stray}`);
  };
  // On a connected UDP socket an ICMP port-unreachable surfaces as ECONNREFUSED.
  socket.on(
    'error',
    a.wrap((err: Error) => a.fail(err)),
  );
  socket.on(
    'message',
    a.wrap((reply: Buffer) => {
      const v = judgeReply(reply, id, type);
      if (v.kind === 'not_ours') stray = v.detail;
      else settle(a, v);
    }),
  );
  // Node hands a failed connect's error (ENETUNREACH: no route to the VIP) to this callback and
  // emits no 'error'; send() on the unconnected socket would then throw (ERR_SOCKET_BAD_PORT).
  socket.connect(
    target.port,
    target.host,
    a.wrap((err?: Error) => {
      if (err) return a.fail(err);
      if (a.settled) return;
      socket.send(
        query,
        a.wrap((sendErr: Error | null) => sendErr && a.fail(sendErr)),
      );
    }),
  );
}

function probeTcp(a: Attempt, target: DnsTarget, id: number, type: 'A' | 'AAAA', query: Buffer): void {
  const socket = net.connect({ host: target.host, port: target.port });
  a.onSettle(() => socket.destroy());
  const framer = new TcpDnsFramer();
  socket.once(
    'connect',
    a.wrap(() => socket.write(frameTcp(query))),
  );
  socket.on(
    'data',
    a.wrap((chunk: Buffer) => {
      const [reply] = framer.push(chunk);
      // On our own connection every reply is meant for us: a wrong ID is the server's fault.
      if (reply) settle(a, judgeReply(reply, id, type));
    }),
  );
  socket.once(
    'error',
    a.wrap((err: Error) => a.fail(err)),
  );
  socket.once(
    'end',
    a.wrap(() =>
      a.failWith(
        'reset',
        framer.pending > 0 ? 'connection closed in the middle of a DNS response' : 'connection closed before a DNS response',
      ),
    ),
  );
}

export const probeDns: Prober<DnsTarget> = (target, opts) =>
  runAttempt(opts, (a) => {
    const id = randomInt(0, 0x10000);
    const type = target.queryType ?? 'A';
    let query: Buffer;
    try {
      query = encodeQuery(id, target.queryName, type);
    } catch (err) {
      a.failWith('other', `cannot encode a query for ${JSON.stringify(target.queryName)}: ${(err as Error).message}`);
      return;
    }
    if (target.transport === 'udp') probeUdp(a, target, id, type, query);
    else probeTcp(a, target, id, type, query);
  });
