import { beforeEach, describe, expect, it, vi } from "vitest";
import type { StoredChange } from "./shapes";

/**
 * The catch-up's bookkeeping, against a change log in memory. The end-to-end behaviour on
 * both engines (a killed LISTEN connection, failing deliveries) is in tests/realtime/outage.test.ts.
 */

const log: StoredChange[] = [];
let failReads = 0;
const reads: { after: number; patients: readonly string[] }[] = [];

vi.mock("./change-log", () => ({
  changesAfter: async (after: number, patients: readonly string[], limit: number) => {
    reads.push({ after, patients });
    if (failReads > 0) {
      failReads--;
      throw new Error("Connection terminated unexpectedly");
    }
    const changes = log.filter((c) => c.eventId > after && patients.includes(c.patientId)).slice(0, limit);
    return { changes, newestId: log.at(-1)?.eventId ?? 0 };
  },
}));

const { FeedContinuity } = await import("./catch-up");

const P = "11111111-1111-4111-8111-111111111111";
const Q = "22222222-2222-4222-8222-222222222222";
const change = (eventId: number, patientId = P): StoredChange => ({ eventId, table: "care_messages", op: "INSERT", recordIds: [`m${eventId}`], patientId });

function harness(opts: { maxEvents?: number; rewind?: number; pageSize?: number } = {}) {
  const delivered: number[] = [];
  const seen = new Set<number>();
  let frontier = 0;
  const resyncs: string[] = [];
  const c = new FeedContinuity(
    {
      enqueue: (ch) => {
        if (seen.has(ch.eventId)) return false;
        seen.add(ch.eventId);
        delivered.push(ch.eventId);
        frontier = Math.max(frontier, ch.eventId);
        return true;
      },
      frontier: () => frontier,
      advanceFrontier: (id) => (frontier = Math.max(frontier, id)),
      subscribedPatients: () => [P],
      resyncAll: (reason) => resyncs.push(reason),
    },
    { maxEvents: opts.maxEvents ?? 1000, rewind: opts.rewind ?? 0, pageSize: opts.pageSize },
  );
  const caughtUp = async () => {
    await vi.waitFor(() => expect(c.catchingUp).toBe(false), { timeout: 5000, interval: 5 });
  };
  return { c, delivered, resyncs, caughtUp, frontier: () => frontier };
}

/** Commits an event to the in-memory log (and returns it, as its notification would carry it). */
const commit = (eventId: number, patientId = P) => {
  const ch = change(eventId, patientId);
  log.push(ch);
  return ch;
};

beforeEach(() => {
  log.length = 0;
  reads.length = 0;
  failReads = 0;
});

describe("FeedContinuity", () => {
  it("delivers live notifications straight through while the listener is up", () => {
    const h = harness();
    h.c.offer(commit(1));
    h.c.offer(commit(2));
    expect(h.delivered).toEqual([1, 2]);
    expect(reads).toEqual([]);
  });

  it("reads from where the listener was lost, even when a notification arrives before the catch-up runs", async () => {
    const h = harness();
    for (let i = 1; i <= 3; i++) h.c.offer(commit(i));
    h.c.lost("connection ended");
    commit(4); // committed while deaf: its notification is lost
    commit(5);
    // Back, and a fresh notification is handled before the catch-up has read anything. It
    // must not move the resume point past 4 and 5, nor be delivered before them.
    const six = commit(6);
    h.c.offer(six);
    expect(h.delivered).toEqual([1, 2, 3]);
    h.c.resumed();
    await h.caughtUp();
    expect(reads[0].after).toBe(3);
    expect(h.delivered).toEqual([1, 2, 3, 4, 5, 6]);
    expect(h.c.last).toMatchObject({ from: 3, recovered: 3, resynced: false });
    h.c.offer(commit(7));
    expect(h.delivered).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });

  it("re-reads a few ids below the loss point for events committed out of id order, without repeating any", async () => {
    const h = harness({ rewind: 10 });
    h.c.offer(commit(1));
    commit(2); // a transaction that took id 2 commits after 3, just as the connection drops
    h.c.offer(commit(3));
    h.c.lost("connection ended");
    h.c.resumed();
    await h.caughtUp();
    expect(h.delivered).toEqual([1, 3, 2]);
  });

  it("retries a failed read and keeps holding notifications until it succeeds", async () => {
    const h = harness();
    h.c.offer(commit(1));
    h.c.lost("terminating connection due to administrator command");
    commit(2);
    failReads = 2;
    h.c.resumed();
    h.c.offer(commit(3));
    await h.caughtUp();
    expect(reads.length).toBe(3);
    expect(reads.every((r) => r.after === 1)).toBe(true);
    expect(h.delivered).toEqual([1, 2, 3]);
  });

  it("waits for the listener when it is lost again mid catch-up, then reads on", async () => {
    const h = harness({ pageSize: 2 });
    h.c.offer(commit(1));
    h.c.lost("connection ended");
    for (let i = 2; i <= 5; i++) commit(i);
    failReads = 1;
    h.c.resumed();
    h.c.lost("connection ended again"); // before the retried read
    commit(6);
    await new Promise((r) => setTimeout(r, 400));
    expect(h.c.catchingUp).toBe(true);
    h.c.resumed();
    await h.caughtUp();
    expect(h.delivered).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it("reads only the followed patients' events but moves the frontier past everyone's", async () => {
    const h = harness();
    h.c.lost("connection ended");
    commit(1, Q);
    commit(2, P);
    commit(3, Q);
    h.c.resumed();
    await h.caughtUp();
    expect(reads[0].patients).toEqual([P]);
    expect(h.delivered).toEqual([2]);
    expect(h.frontier()).toBe(3);
  });

  it("tells every subscriber to resync when more was missed than it may deliver", async () => {
    const h = harness({ maxEvents: 3 });
    h.c.offer(commit(1));
    h.c.lost("connection ended");
    for (let i = 2; i <= 9; i++) commit(i);
    h.c.resumed();
    h.c.offer(commit(10));
    await h.caughtUp();
    expect(h.resyncs).toHaveLength(1);
    expect(h.c.last?.resynced).toBe(true);
    // nothing of the gap is delivered late; the frontier is past it; live events go on
    expect(h.delivered).toEqual([1, 10]);
    expect(h.frontier()).toBe(10);
  });
});
