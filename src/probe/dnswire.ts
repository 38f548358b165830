// The few bytes of RFC 1035 a health probe needs: build a one-question query, read a response's
// header and count its answers of a type. No installed package speaks DNS (node:dns only talks to
// the system resolver, and cannot aim one query at one server over TCP), so this is ~100 lines
// instead of a dependency. `encodeResponse` is the server half, for test and demo responders.

export const RR_TYPES = { A: 1, AAAA: 28, CNAME: 5 } as const;
export type RrTypeName = keyof typeof RR_TYPES;

const RCODE_NAMES = ['NOERROR', 'FORMERR', 'SERVFAIL', 'NXDOMAIN', 'NOTIMP', 'REFUSED'];
export function rcodeName(rcode: number): string {
  return RCODE_NAMES[rcode] ?? `RCODE${rcode}`;
}

export function encodeName(name: string): Buffer {
  const labels = name.replace(/\.$/, '').split('.').filter((l) => l.length > 0);
  const parts: Buffer[] = [];
  for (const l of labels) {
    const b = Buffer.from(l, 'ascii');
    if (b.length > 63) throw new RangeError(`DNS label too long: ${l}`);
    parts.push(Buffer.from([b.length]), b);
  }
  parts.push(Buffer.from([0]));
  const out = Buffer.concat(parts);
  if (out.length > 255) throw new RangeError('DNS name too long');
  return out;
}

/** A standard query (RD set) with one question of class IN. */
export function encodeQuery(id: number, name: string, type: number = RR_TYPES.A): Buffer {
  const header = Buffer.alloc(12);
  header.writeUInt16BE(id & 0xffff, 0);
  header.writeUInt16BE(0x0100, 2); // RD
  header.writeUInt16BE(1, 4); // QDCOUNT
  const tail = Buffer.alloc(4);
  tail.writeUInt16BE(type, 0);
  tail.writeUInt16BE(1, 2); // IN
  return Buffer.concat([header, encodeName(name), tail]);
}

export interface ParsedMessage {
  id: number;
  isResponse: boolean;
  truncated: boolean;
  rcode: number;
  /** the first question, if any */
  question?: { name: string; type: number };
  answers: { type: number; data: Buffer }[];
}

/** Reads a (possibly compressed) name at `off`; returns it and the offset after it in the record. */
function readName(buf: Buffer, off: number): { name: string; next: number } {
  const labels: string[] = [];
  let next = -1;
  for (let hops = 0; hops < 64; hops++) {
    if (off >= buf.length) throw new RangeError('DNS name runs past the message');
    const len = buf[off]!;
    if ((len & 0xc0) === 0xc0) {
      if (off + 1 >= buf.length) throw new RangeError('truncated DNS pointer');
      if (next < 0) next = off + 2;
      off = ((len & 0x3f) << 8) | buf[off + 1]!;
      continue;
    }
    if (len === 0) return { name: labels.join('.'), next: next < 0 ? off + 1 : next };
    if (off + 1 + len > buf.length) throw new RangeError('DNS label runs past the message');
    labels.push(buf.toString('ascii', off + 1, off + 1 + len));
    off += 1 + len;
  }
  throw new RangeError('DNS name has too many compression pointers');
}

/** Parses a DNS message; throws RangeError on a malformed one. */
export function parseMessage(buf: Buffer): ParsedMessage {
  if (buf.length < 12) throw new RangeError('DNS message shorter than its header');
  const flags = buf.readUInt16BE(2);
  const qdcount = buf.readUInt16BE(4);
  const ancount = buf.readUInt16BE(6);
  let off = 12;
  let question: ParsedMessage['question'];
  for (let i = 0; i < qdcount; i++) {
    const { name, next } = readName(buf, off);
    if (next + 4 > buf.length) throw new RangeError('truncated DNS question');
    if (i === 0) question = { name, type: buf.readUInt16BE(next) };
    off = next + 4;
  }
  const answers: ParsedMessage['answers'] = [];
  for (let i = 0; i < ancount; i++) {
    const { next } = readName(buf, off);
    if (next + 10 > buf.length) throw new RangeError('truncated DNS answer');
    const type = buf.readUInt16BE(next);
    const rdlength = buf.readUInt16BE(next + 8);
    const start = next + 10;
    if (start + rdlength > buf.length) throw new RangeError('DNS answer data runs past the message');
    answers.push({ type, data: buf.subarray(start, start + rdlength) });
    off = start + rdlength;
  }
  const msg: ParsedMessage = {
    id: buf.readUInt16BE(0),
    isResponse: (flags & 0x8000) !== 0,
    truncated: (flags & 0x0200) !== 0,
    rcode: flags & 0x000f,
    answers,
  };
  if (question) msg.question = question;
  return msg;
}

/**
 * The answer to `query`: the question echoed, `rcode`, and one record per address (A for IPv4
 * strings, AAAA for IPv6 — pass only those matching the question). For test and demo servers.
 */
export function encodeResponse(query: Buffer, rcode: number, addresses: string[] = [], ttl = 5): Buffer {
  const q = parseMessage(query);
  const header = Buffer.alloc(12);
  header.writeUInt16BE(q.id, 0);
  header.writeUInt16BE(0x8000 | 0x0400 | 0x0100 | 0x0080 | (rcode & 0xf), 2); // QR AA RD RA
  header.writeUInt16BE(q.question ? 1 : 0, 4);
  header.writeUInt16BE(addresses.length, 6);
  const parts: Buffer[] = [header];
  if (q.question) {
    const tail = Buffer.alloc(4);
    tail.writeUInt16BE(q.question.type, 0);
    tail.writeUInt16BE(1, 2);
    parts.push(encodeName(q.question.name), tail);
  }
  for (const addr of addresses) {
    const v6 = addr.includes(':');
    const rdata = v6 ? ipv6Bytes(addr) : Buffer.from(addr.split('.').map(Number));
    const rr = Buffer.alloc(12);
    rr.writeUInt16BE(0xc00c, 0); // pointer to the question name
    rr.writeUInt16BE(v6 ? RR_TYPES.AAAA : RR_TYPES.A, 2);
    rr.writeUInt16BE(1, 4);
    rr.writeUInt32BE(ttl, 6);
    rr.writeUInt16BE(rdata.length, 10);
    parts.push(rr, rdata);
  }
  return Buffer.concat(parts);
}

function ipv6Bytes(addr: string): Buffer {
  const [head = '', tail = ''] = addr.split('::');
  const h = head ? head.split(':') : [];
  const t = addr.includes('::') && tail ? tail.split(':') : [];
  const groups = addr.includes('::') ? [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t] : h;
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16) || 0, i * 2));
  return out;
}

/**
 * Serve DNS over one TCP connection (RFC 1035 4.2.2: each message prefixed by its 2-byte length),
 * answering each complete query with `answer` (undefined: no reply). Used by the demo's DNS
 * backend and the tests' DNS servers.
 */
export function serveDnsTcpConnection(socket: { on(e: 'data', f: (b: Buffer) => void): unknown; on(e: 'error', f: () => void): unknown; write(b: Buffer): unknown }, answer: (query: Buffer) => Buffer | undefined): void {
  let buf = Buffer.alloc(0);
  socket.on('error', () => undefined);
  socket.on('data', (chunk: Buffer) => {
    buf = Buffer.concat([buf, chunk]);
    while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
      const query = buf.subarray(2, 2 + buf.readUInt16BE(0));
      buf = buf.subarray(2 + query.length);
      const reply = answer(query);
      if (!reply) continue;
      const len = Buffer.alloc(2);
      len.writeUInt16BE(reply.length, 0);
      socket.write(Buffer.concat([len, reply]));
    }
  });
}
