// Followers persist every accepted write as an ACTION record whose CRC reuses the term the
// write batch's check computed (core/codec/messages.ts, records.ts). Every persisted frame
// must still verify on the TS side (host/codec), for equal-sized entries (where the shift
// tables kick in), odd sizes, and entries that change after receipt.
import { expect, test } from "bun:test";
import { LogCore, BROADCAST } from "../../host/core.ts";
import { decodeRecords, encodeRecord, Kind, Status } from "../../host/codec/index.ts";

test("persisted records of replicated write batches verify (CRC terms reused)", () => {
  const ids = [1, 2, 3];
  const voting = encodeRecord({ kind: Kind.Metadata, status: Status.VOTING, promised: 0, fenceProposal: 0, fencePosition: 0 });
  const cores = ids.map((id) => {
    const c = new LogCore({ nodeId: id, quorum: 2, replicas: ids, autoInitialize: false, seed: id });
    c.restore(voting);
    c.start();
    return c;
  });
  const persisted: Uint8Array[][] = ids.map(() => []);
  const inbox: { to: number; from: number; bytes: Uint8Array }[] = [];
  const pump = () => {
    for (let i = 0; i < cores.length; i++) {
      for (let b = cores[i]!.ready(); b; b = cores[i]!.ready()) {
        persisted[i]!.push(b.persist);
        for (const m of b.messages) for (const to of m.to === BROADCAST ? ids.filter((x) => x !== ids[i]) : [m.to]) inbox.push({ to, from: ids[i]!, bytes: m.bytes });
        cores[i]!.advance();
      }
    }
  };
  const settle = () => {
    pump();
    while (inbox.length > 0) {
      for (const m of inbox.splice(0)) expect(cores[m.to - 1]!.receive(m.from, m.bytes)).toBe(0);
      pump();
    }
  };
  cores[0]!.elect();
  settle();
  let id = 0;
  for (let round = 0; round < 4; round++) {
    for (let i = 0; i < 300; i++) cores[0]!.append(++id, new Uint8Array(100).fill(i & 0xff));
    for (let i = 0; i < 50; i++) cores[0]!.append(++id, new Uint8Array(1 + ((i * 37) % 500)).fill(7));
    settle();
  }
  let actions = 0;
  for (const blobs of persisted) {
    for (const blob of blobs) for (const r of decodeRecords(blob)) if (r.kind === Kind.Action) actions++;
  }
  expect(actions).toBeGreaterThanOrEqual(3 * 4 * 350);
});
