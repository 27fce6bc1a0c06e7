import { describe, expect, it } from "vitest";
import { backoffDelay, parseServerFrame, RealtimeClient, realtimeUrl, type RealtimeEvent, type SessionCheck, type SocketLike } from "./realtime-client";

class FakeSocket implements SocketLike {
  readyState = 0;
  sent: Record<string, unknown>[] = [];
  closedWith: number | undefined;
  onopen: ((ev: unknown) => void) | null = null;
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  onclose: ((ev: { code: number; wasClean?: boolean }) => void) | null = null;
  onerror: ((ev: unknown) => void) | null = null;
  send(data: string) {
    this.sent.push(JSON.parse(data) as Record<string, unknown>);
  }
  close(code?: number) {
    this.closedWith = code ?? 1000;
    this.readyState = 3;
  }
  open() {
    this.readyState = 1;
    this.onopen?.({});
  }
  receive(frame: object) {
    this.onmessage?.({ data: JSON.stringify(frame) });
  }
  drop(code = 1006) {
    this.readyState = 3;
    this.onclose?.({ code });
  }
}

function harness(opts: { checkSession?: SessionCheck; pingIntervalMs?: number; pongTimeoutMs?: number } = {}) {
  const sockets: FakeSocket[] = [];
  const timers = new Map<number, { fn: () => void; ms: number }>();
  let nextTimer = 1;
  const client = new RealtimeClient({
    url: "ws://example.test/realtime/v1",
    createSocket: () => {
      const s = new FakeSocket();
      sockets.push(s);
      return s;
    },
    setTimeout: (fn, ms) => {
      const id = nextTimer++;
      timers.set(id, { fn, ms });
      return id;
    },
    clearTimeout: (id) => void timers.delete(id as number),
    random: () => 0.5,
    idleCloseMs: 1000,
    ...opts,
  });
  /** Runs the pending timers (only those already scheduled). */
  const tick = () => {
    const due = [...timers.entries()];
    timers.clear();
    for (const [, t] of due) t.fn();
    return due.map(([, t]) => t.ms);
  };
  return { client, sockets, timers, tick, last: () => sockets[sockets.length - 1] };
}

const T1 = "patient:11111111-1111-4111-8111-111111111111:messages";
const T2 = "patient:22222222-2222-4222-8222-222222222222:vitals";

describe("backoffDelay", () => {
  it("grows exponentially, with jitter, and is capped", () => {
    const opts = { baseMs: 500, maxMs: 30_000 };
    expect(backoffDelay(0, () => 0, opts)).toBe(250);
    expect(backoffDelay(0, () => 1, opts)).toBe(500);
    expect(backoffDelay(3, () => 0, opts)).toBe(2000);
    expect(backoffDelay(3, () => 1, opts)).toBe(4000);
    expect(backoffDelay(20, () => 1, opts)).toBe(30_000);
    expect(backoffDelay(1000, () => 0, opts)).toBe(15_000);
    // Never immediate, never above the cap, whatever the random source says.
    for (let a = 0; a < 40; a++) {
      const d = backoffDelay(a, Math.random, opts);
      expect(d).toBeGreaterThanOrEqual(250);
      expect(d).toBeLessThanOrEqual(30_000);
    }
  });
});

describe("realtimeUrl", () => {
  it("follows the page's scheme and host", () => {
    expect(realtimeUrl({ protocol: "https:", host: "carebase.example:8443" })).toBe("wss://carebase.example:8443/realtime/v1");
    expect(realtimeUrl({ protocol: "http:", host: "localhost:3000" })).toBe("ws://localhost:3000/realtime/v1");
  });
});

describe("parseServerFrame", () => {
  it("reads the protocol's frames", () => {
    expect(parseServerFrame(JSON.stringify({ type: "subscribed", topic: T1, last_event_id: 41 }))).toEqual({ type: "subscribed", topic: T1, lastEventId: 41 });
    expect(
      parseServerFrame(JSON.stringify({ type: "event", topic: T1, event: "INSERT", table: "care_messages", event_id: 42, record: { id: "m1" } })),
    ).toEqual({ type: "event", topic: T1, event: "INSERT", record: { id: "m1" }, eventId: 42 });
    expect(parseServerFrame(JSON.stringify({ type: "error", code: "not_found", message: "No.", topic: T1 }))).toEqual({
      type: "error",
      code: "not_found",
      message: "No.",
      topic: T1,
    });
    expect(parseServerFrame('{"type":"pong"}')).toEqual({ type: "pong" });
  });
  it("rejects what is not a known frame", () => {
    for (const bad of ["not json", "[]", "null", '{"type":"event","topic":"x","event":"TRUNCATE","record":{}}', '{"type":"event","topic":"x","event":"INSERT"}', '{"type":"subscribed"}', '{"type":"nope"}']) {
      expect(parseServerFrame(bad)).toBeNull();
    }
    expect(parseServerFrame(new ArrayBuffer(4))).toBeNull();
    // A malformed event id is dropped rather than trusted.
    expect(parseServerFrame(JSON.stringify({ type: "event", topic: T1, event: "UPDATE", event_id: -3, record: {} }))).toMatchObject({ eventId: undefined });
  });
});

describe("RealtimeClient", () => {
  it("shares one socket between topics and listeners, and unsubscribes with the last listener", () => {
    const h = harness();
    const a: RealtimeEvent[] = [];
    const b: RealtimeEvent[] = [];
    const offA = h.client.subscribe(T1, { onEvent: (e) => a.push(e) });
    const offB = h.client.subscribe(T1, { onEvent: (e) => b.push(e) });
    const offC = h.client.subscribe(T2, { onEvent: () => {} });
    expect(h.sockets).toHaveLength(1);
    expect(h.client.status).toBe("connecting");
    h.last().open();
    expect(h.client.status).toBe("live");
    expect(h.last().sent).toEqual([
      { type: "subscribe", topic: T1 },
      { type: "subscribe", topic: T2 },
    ]);
    expect(h.client.topicStatus(T1)).toBe("connecting");
    h.last().receive({ type: "subscribed", topic: T1, last_event_id: 10 });
    expect(h.client.topicStatus(T1)).toBe("live");
    h.last().receive({ type: "event", topic: T1, event: "INSERT", table: "care_messages", event_id: 11, record: { id: "m1" } });
    expect(a).toEqual([{ topic: T1, event: "INSERT", record: { id: "m1" }, id: 11 }]);
    expect(b).toHaveLength(1);
    offA();
    offA();
    expect(h.last().sent).toHaveLength(2);
    offB();
    expect(h.last().sent[2]).toEqual({ type: "unsubscribe", topic: T1 });
    offC();
    // The socket lingers for navigation, then closes when nothing came back.
    expect(h.last().closedWith).toBeUndefined();
    h.tick();
    expect(h.last().closedWith).toBe(1000);
  });

  it("releases a subscription the server confirms after the last listener left", () => {
    const h = harness();
    const off = h.client.subscribe(T1, { onEvent: () => {} });
    h.last().open();
    off();
    expect(h.last().sent).toEqual([
      { type: "subscribe", topic: T1 },
      { type: "unsubscribe", topic: T1 },
    ]);
    h.last().receive({ type: "subscribed", topic: T1, last_event_id: 3 });
    expect(h.last().sent.at(-1)).toEqual({ type: "unsubscribe", topic: T1 });
  });

  it("reconnects with backoff and resubscribes each topic from the last event id it saw", () => {
    const h = harness();
    h.client.subscribe(T1, { onEvent: () => {} });
    h.client.subscribe(T2, { onEvent: () => {} });
    h.last().open();
    h.last().receive({ type: "subscribed", topic: T1, last_event_id: 100 });
    h.last().receive({ type: "subscribed", topic: T2, last_event_id: 100 });
    h.last().receive({ type: "event", topic: T1, event: "INSERT", event_id: 105, record: {} });
    h.last().receive({ type: "event", topic: T1, event: "INSERT", event_id: 103, record: {} });
    h.last().drop();
    expect(h.client.status).toBe("reconnecting");
    expect(h.client.topicStatus(T1)).toBe("reconnecting");
    expect(h.sockets).toHaveLength(1);
    // Two failed attempts: the delays grow.
    const d1 = h.tick();
    expect(h.sockets).toHaveLength(2);
    h.last().drop();
    const d2 = h.tick();
    expect(d2[0]).toBeGreaterThan(d1[0]);
    h.last().open();
    expect(h.last().sent).toEqual([
      { type: "subscribe", topic: T1, since: 105 },
      { type: "subscribe", topic: T2, since: 100 },
    ]);
    // Subscribed, but not yet confirmed: still reconnecting for that topic.
    expect(h.client.topicStatus(T1)).toBe("reconnecting");
    h.last().receive({ type: "subscribed", topic: T1, last_event_id: 130 });
    expect(h.client.topicStatus(T1)).toBe("live");
    // The server's position does not skip events still to be replayed.
    expect(h.client.lastEventId(T1)).toBe(105);
    // A later drop starts again from the shortest delay.
    h.last().drop();
    expect(h.tick()[0]).toBe(d1[0]);
  });

  it("stops retrying when the server ends the session (4001)", () => {
    const h = harness();
    h.client.subscribe(T1, { onEvent: () => {} });
    h.last().open();
    h.last().drop(4001);
    expect(h.client.status).toBe("offline");
    expect(h.client.topicStatus(T1)).toBe("offline");
    expect(h.timers.size).toBe(0);
    h.client.nudge();
    h.client.subscribe(T2, { onEvent: () => {} });
    expect(h.sockets).toHaveLength(1);
  });

  it("asks about the session when the socket never opened, and goes offline if it expired", async () => {
    let answer: "ok" | "expired" = "ok";
    let checks = 0;
    const h = harness({
      checkSession: async () => {
        checks++;
        return answer;
      },
    });
    h.client.subscribe(T1, { onEvent: () => {} });
    h.last().drop();
    await Promise.resolve();
    expect(checks).toBe(1);
    expect(h.client.status).toBe("reconnecting");
    h.tick();
    expect(h.sockets).toHaveLength(2);
    answer = "expired";
    h.last().drop();
    await Promise.resolve();
    expect(h.client.status).toBe("offline");
    expect(h.timers.size).toBe(0);
    // A drop after the socket had opened is a network blip, not a refusal: no check.
    const g = harness({ checkSession: async () => ((checks += 100), "expired") });
    g.client.subscribe(T1, { onEvent: () => {} });
    g.last().open();
    g.last().drop();
    await Promise.resolve();
    expect(checks).toBe(2);
    expect(g.client.status).toBe("reconnecting");
  });

  it("marks refused topics offline, and reports a replay gap so the caller reloads", () => {
    const h = harness();
    let gaps = 0;
    h.client.subscribe(T1, { onEvent: () => {} });
    h.client.subscribe(T2, { onEvent: () => {}, onGap: () => gaps++ });
    h.last().open();
    h.last().receive({ type: "error", code: "not_found", message: "No.", topic: T1 });
    expect(h.client.topicStatus(T1)).toBe("offline");
    expect(h.client.status).toBe("live");
    h.last().receive({ type: "subscribed", topic: T2, last_event_id: 5 });
    h.last().drop();
    h.tick();
    h.last().open();
    // The refused topic is not asked again.
    expect(h.last().sent).toEqual([{ type: "subscribe", topic: T2, since: 5 }]);
    h.last().receive({ type: "subscribed", topic: T2, last_event_id: 9000 });
    h.last().receive({ type: "error", code: "replay_unavailable", message: "Too old.", topic: T2 });
    expect(gaps).toBe(1);
    expect(h.client.topicStatus(T2)).toBe("live");
  });

  it("resubscribes from the last event it received when the server says resync_required, and ignores the ended subscription meanwhile", () => {
    const h = harness();
    const got: (number | undefined)[] = [];
    let gaps = 0;
    h.client.subscribe(T1, { onEvent: (e) => got.push(e.id), onGap: () => gaps++ });
    h.client.subscribe(T2, { onEvent: () => {} });
    h.last().open();
    h.last().receive({ type: "subscribed", topic: T1, last_event_id: 40 });
    h.last().receive({ type: "subscribed", topic: T2, last_event_id: 40 });
    h.last().receive({ type: "event", topic: T1, event: "INSERT", event_id: 41, record: {} });
    h.last().receive({ type: "error", code: "resync_required", message: "Subscribe again with since.", topic: T1 });
    expect(h.client.topicStatus(T1)).toBe("reconnecting");
    expect(h.client.topicStatus(T2)).toBe("live");
    // A straggler of the ended subscription must not move the resume point past what was missed.
    h.last().receive({ type: "event", topic: T1, event: "INSERT", event_id: 45, record: {} });
    expect(got).toEqual([41]);
    const sent = h.last().sent.length;
    expect(h.tick()).toEqual([backoffDelay(0, () => 0.5)]);
    expect(h.last().sent.slice(sent)).toEqual([{ type: "subscribe", topic: T1, since: 41 }]);
    expect(h.sockets).toHaveLength(1); // the same socket: only that topic starts again
    h.last().receive({ type: "subscribed", topic: T1, last_event_id: 45 });
    h.last().receive({ type: "event", topic: T1, event: "INSERT", event_id: 42, record: {} });
    expect(got).toEqual([41, 42]);
    expect(h.client.topicStatus(T1)).toBe("live");
    expect(gaps).toBe(0);
    // Again and again: the waits grow, and start over once it is subscribed.
    h.last().receive({ type: "error", code: "resync_required", message: "", topic: T1 });
    const d1 = h.tick()[0];
    h.last().receive({ type: "error", code: "resync_required", message: "", topic: T1 });
    expect(h.tick()[0]).toBeGreaterThan(d1);
  });

  it("subscribes again, with backoff, when the server could not check a subscription (internal_error)", () => {
    const h = harness();
    h.client.subscribe(T1, { onEvent: () => {} });
    h.last().open();
    h.last().receive({ type: "error", code: "internal_error", message: "Something went wrong on our side.", topic: T1 });
    expect(h.client.topicStatus(T1)).toBe("connecting");
    h.tick();
    expect(h.last().sent).toEqual([
      { type: "subscribe", topic: T1 },
      { type: "subscribe", topic: T1 },
    ]);
    // A topic that is gone by then is not asked for; nor is one whose socket dropped (its reconnect asks).
    h.last().receive({ type: "error", code: "internal_error", message: "", topic: T1 });
    h.last().drop();
    expect(h.timers.size).toBe(1); // the reconnect only
  });

  it("pings, and treats an unanswered ping as a dead link", () => {
    const h = harness({ pingIntervalMs: 25_000, pongTimeoutMs: 10_000 });
    h.client.subscribe(T1, { onEvent: () => {} });
    h.last().open();
    h.tick(); // the ping
    expect(h.last().sent.at(-1)).toEqual({ type: "ping" });
    h.last().receive({ type: "pong" });
    expect([...h.timers.values()].map((t) => t.ms)).toEqual([25_000]);
    h.tick(); // the next ping, unanswered
    const first = h.last();
    const due = [...h.timers.values()].map((t) => t.ms).sort((x, y) => x - y);
    expect(due).toEqual([10_000, 25_000]);
    for (const [id, t] of [...h.timers]) {
      if (t.ms !== 10_000) continue;
      h.timers.delete(id);
      t.fn();
    }
    expect(first.closedWith).toBe(4000);
    expect(h.client.status).toBe("reconnecting");
  });
});
