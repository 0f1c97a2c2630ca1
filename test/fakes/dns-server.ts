import { createSocket, type Socket } from 'node:dgram';
import type { AddressInfo } from 'node:net';
import * as dnsPacket from 'dns-packet';

export type FakeRecordType = 'A' | 'AAAA' | 'CNAME' | 'TXT';

/**
 * An authoritative DNS server on loopback (UDP) over a zone the test edits: what public DNS
 * answers for the names under test. anchor's resolver and Pebble's validation both query it,
 * so "the operator created the record" is a real DNS answer, and so is its absence (NXDOMAIN).
 * A/AAAA queries follow CNAMEs inside the zone, as a recursive resolver would.
 */
export class FakeDnsServer {
  private readonly socket: Socket = createSocket('udp4');
  private readonly zone = new Map<string, Array<{ type: FakeRecordType; value: string }>>();
  readonly queries: Array<{ name: string; type: string }> = [];

  async start(): Promise<this> {
    this.socket.on('message', (message, peer) => {
      const answer = this.answer(message);
      if (answer) this.socket.send(answer, peer.port, peer.address);
    });
    await new Promise<void>((resolve) => this.socket.bind(0, '127.0.0.1', resolve));
    return this;
  }

  /** `127.0.0.1:<port>`, for a resolver's setServers or Pebble's -dnsserver. */
  get address(): string {
    return `127.0.0.1:${(this.socket.address() as AddressInfo).port}`;
  }

  set(name: string, type: FakeRecordType, values: string[]): void {
    const key = name.toLowerCase();
    const others = (this.zone.get(key) ?? []).filter((r) => r.type !== type);
    const records = [...others, ...values.map((value) => ({ type, value }))];
    if (records.length > 0) this.zone.set(key, records);
    else this.zone.delete(key);
  }

  get(name: string, type: FakeRecordType): string[] {
    return (this.zone.get(name.toLowerCase()) ?? []).filter((r) => r.type === type).map((r) => r.value);
  }

  /** The addresses a resolver ends at for `name`, following CNAMEs in the zone. */
  addresses(name: string): string[] {
    let current = name.toLowerCase();
    for (let hops = 0; hops < 8; hops++) {
      const a = this.get(current, 'A');
      if (a.length > 0) return a;
      const [cname] = this.get(current, 'CNAME');
      if (!cname) return [];
      current = cname.toLowerCase();
    }
    return [];
  }

  remove(name: string): void {
    this.zone.delete(name.toLowerCase());
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.socket.close(() => resolve()));
  }

  private answer(message: Buffer): Buffer | null {
    let query: dnsPacket.Packet;
    try {
      query = dnsPacket.decode(message);
    } catch {
      return null;
    }
    const question = query.questions?.[0];
    if (!question) return null;
    const name = question.name.toLowerCase().replace(/\.$/, '');
    this.queries.push({ name, type: question.type });
    const answers: dnsPacket.Answer[] = [];
    let current = name;
    for (let hops = 0; hops < 8; hops++) {
      const records = this.zone.get(current) ?? [];
      const exact = records.filter((r) => r.type === question.type);
      if (exact.length > 0) {
        for (const r of exact) answers.push(record(current, r.type, r.value));
        break;
      }
      const cname = records.find((r) => r.type === 'CNAME');
      if (!cname) break;
      answers.push(record(current, 'CNAME', cname.value));
      current = cname.value.toLowerCase();
    }
    const known = this.zone.has(name);
    return dnsPacket.encode({
      type: 'response',
      id: query.id,
      flags: dnsPacket.AUTHORITATIVE_ANSWER | (known ? 0 : 3), // rcode 3: NXDOMAIN
      questions: query.questions,
      answers,
    });
  }
}

function record(name: string, type: FakeRecordType, value: string): dnsPacket.Answer {
  if (type === 'TXT') return { name, type, ttl: 1, class: 'IN', data: [value] };
  return { name, type, ttl: 1, class: 'IN', data: value } as dnsPacket.Answer;
}
