// What the DNS probe needs around the `dns-packet` codec: one query, a verdict on one reply, and
// RFC 1035 4.2.2 framing for DNS over TCP (each message behind its 2-byte length). Every function
// here is total: garbage in gives a verdict, never a throw (test/probe/decoders.property.test.ts).
// The server half (answerQuery, serveDnsTcpConnection) is for the demo's and the tests' responders.
import dnsPacket from 'dns-packet';

export type DnsQueryType = 'A' | 'AAAA';

/** A standard query (RD set) with one question of class IN. Throws on a name DNS cannot carry. */
export function encodeQuery(id: number, name: string, type: DnsQueryType = 'A'): Buffer {
  // dns-packet writes any label length it is given; RFC 1035 2.3.4 allows 63 bytes a label, 255 a name.
  const labels = name.replace(/\.$/, '').split('.');
  if (labels.some((l) => Buffer.byteLength(l) > 63) || Buffer.byteLength(name) > 253)
    throw new RangeError(`not a valid DNS name: ${name.slice(0, 80)}`);
  return dnsPacket.encode({
    type: 'query',
    id: id & 0xffff,
    flags: dnsPacket.RECURSION_DESIRED,
    questions: [{ type, name: name.replace(/\.$/, ''), class: 'IN' }],
  });
}

/** What one reply means for a probe that asked `id`/`type`. */
export type ReplyVerdict =
  | { kind: 'success'; detail: string }
  /** reached a DNS server that does not resolve, or an undecodable reply: reason `dns` */
  | { kind: 'dns'; detail: string }
  /** a well-formed message that is not the answer to our query (wrong ID, or not a response) */
  | { kind: 'not_ours'; detail: string };

const firstLine = (err: unknown): string =>
  String((err as Error)?.message ?? err)
    .split('\n')[0]!
    .slice(0, 120);

/**
 * Judges a reply: success needs a response with our ID, RCODE NOERROR and at least one answer of
 * the asked type. Never throws.
 */
export function judgeReply(reply: Buffer, id: number, type: DnsQueryType): ReplyVerdict {
  let msg: dnsPacket.DecodedPacket;
  try {
    msg = dnsPacket.decode(reply);
  } catch (err) {
    return { kind: 'dns', detail: `malformed DNS response: ${firstLine(err)}` };
  }
  if (msg.id !== (id & 0xffff)) return { kind: 'not_ours', detail: `reply with ID ${msg.id}, expected ${id & 0xffff}` };
  if (msg.type !== 'response') return { kind: 'not_ours', detail: 'a DNS query, not a response' };
  const rcode = (msg as { rcode?: string }).rcode ?? 'NOERROR';
  if (rcode !== 'NOERROR') return { kind: 'dns', detail: `rcode ${rcode}` };
  const n = (msg.answers ?? []).filter((r) => r.type === type).length;
  if (n > 0) return { kind: 'success', detail: `NOERROR, ${n} answer(s)` };
  const truncated = ((msg.flags ?? 0) & dnsPacket.TRUNCATED_RESPONSE) !== 0;
  return { kind: 'dns', detail: truncated ? 'truncated response without answers' : 'NOERROR without answers' };
}

/** `msg` behind its 2-byte length, for DNS over TCP. */
export function frameTcp(msg: Buffer): Buffer {
  const len = Buffer.alloc(2);
  len.writeUInt16BE(msg.length & 0xffff, 0);
  return Buffer.concat([len, msg]);
}

/**
 * Splits a DNS-over-TCP byte stream into messages. Holds at most one incomplete message (≤ 64 KiB
 * + 2 bytes, the most the 2-byte length can announce), so a peer cannot make it grow.
 */
export class TcpDnsFramer {
  private buf: Buffer = Buffer.alloc(0);

  /** appends `chunk` and returns the messages it completed, in order */
  push(chunk: Buffer): Buffer[] {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    const out: Buffer[] = [];
    while (this.buf.length >= 2) {
      const len = this.buf.readUInt16BE(0);
      if (this.buf.length < 2 + len) break;
      out.push(this.buf.subarray(2, 2 + len));
      this.buf = this.buf.subarray(2 + len);
    }
    return out;
  }

  /** bytes of an incomplete message received so far (0: none) */
  get pending(): number {
    return this.buf.length;
  }
}

// ---- server half: the demo's "CoreDNS" and the tests' DNS servers ------------------------------

export interface DnsQuestion {
  id: number;
  /** without the trailing dot */
  name: string;
  type: string;
}

/** The first question of a query, or undefined when it is not a decodable query with one. */
export function readQuestion(query: Buffer): DnsQuestion | undefined {
  try {
    const msg = dnsPacket.decode(query);
    const q = msg.questions?.[0];
    if (msg.type !== 'query' || !q) return undefined;
    return { id: msg.id ?? 0, name: q.name, type: q.type };
  } catch {
    return undefined;
  }
}

const RCODES = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;
export type RcodeName = keyof typeof RCODES;

/**
 * The answer to `query` (which must be decodable: see readQuestion): the question echoed, `rcode`,
 * one A record per IPv4 and one AAAA per IPv6 string in `addresses`.
 */
export function answerQuery(query: Buffer, rcode: RcodeName, addresses: string[] = [], ttl = 5): Buffer {
  const q = dnsPacket.decode(query);
  const name = q.questions?.[0]?.name ?? '';
  return dnsPacket.encode({
    type: 'response',
    id: q.id ?? 0,
    flags: dnsPacket.AUTHORITATIVE_ANSWER | dnsPacket.RECURSION_DESIRED | dnsPacket.RECURSION_AVAILABLE | RCODES[rcode],
    questions: q.questions ?? [],
    answers: addresses.map((data) => ({
      type: data.includes(':') ? ('AAAA' as const) : ('A' as const),
      name,
      ttl,
      class: 'IN' as const,
      data,
    })),
  });
}

/**
 * Serves DNS over one TCP connection, answering each complete query with `answer` (undefined: no
 * reply).
 */
export function serveDnsTcpConnection(
  socket: { on(e: 'data', f: (b: Buffer) => void): unknown; on(e: 'error', f: () => void): unknown; write(b: Buffer): unknown },
  answer: (query: Buffer) => Buffer | undefined,
): void {
  const framer = new TcpDnsFramer();
  socket.on('error', () => undefined);
  socket.on('data', (chunk: Buffer) => {
    for (const query of framer.push(chunk)) {
      const reply = answer(query);
      if (reply) socket.write(frameTcp(reply));
    }
  });
}
