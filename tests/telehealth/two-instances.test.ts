/**
 * The relay across instances (issue #22): the provider's socket on one instance, the
 * patient's on another, one PostgreSQL. Every frame crosses as a row of app.call_signals
 * whose id is NOTIFYed; an SDP over pg_notify's 8000-byte limit crosses intact.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TEST_PG_URL, installTestDatabase, type TestDatabase } from "../support/db";
import { openDatabase, type Database } from "@/core/db/engine";
import { startCall } from "@/core/telehealth/start-call";
import { Client, startInstance, type Frame, type TestInstance } from "../realtime/support";
import { seedCall, type CallWorld } from "./support";

type SignalFrame = Frame & { kind?: string; from?: string; data?: Record<string, unknown> };

describe.skipIf(!TEST_PG_URL)("telehealth signaling across two instances on one PostgreSQL", () => {
  let t: TestDatabase;
  let secondDb: Database;
  let a: TestInstance;
  let b: TestInstance;
  let w: CallWorld;
  const open: Client[] = [];

  beforeAll(async () => {
    t = await installTestDatabase("postgresql");
    const url = (t.db.pool.options as { connectionString: string }).connectionString;
    secondDb = await openDatabase({ url, poolMax: 2 });
    a = await startInstance(t.db);
    b = await startInstance(secondDb);
    w = await seedCall();
  });
  afterAll(async () => {
    for (const c of open) c.close();
    await a?.stop();
    await b?.stop();
    await secondDb?.close();
    await t?.drop();
  });

  it("offer, answer and candidates reach the peer on the other instance, in order; a stranger there gets not_found", async () => {
    const topic = `appointment:${w.appointmentId}:call`;
    const doc = await Client.connect(a.url, w.provider.accessToken);
    const pat = await Client.connect(b.url, w.patient.accessToken);
    const stranger = await Client.connect(b.url, w.offTeam.accessToken);
    open.push(doc, pat, stranger);
    for (const c of [doc, pat, stranger]) c.send({ type: "subscribe", topic });
    await doc.waitFor((f) => f.type === "subscribed");
    await pat.waitFor((f) => f.type === "subscribed");
    expect(await stranger.waitFor((f) => f.type === "error")).toMatchObject({ code: "not_found", topic });

    await startCall(w.provider.session, w.appointmentId);
    await pat.waitFor((f) => (f as SignalFrame).kind === "started");
    pat.send({ type: "signal", topic, kind: "join", data: {} });
    await doc.waitFor((f) => (f as SignalFrame).kind === "join");
    doc.send({ type: "signal", topic, kind: "admit", to: w.patient.id });
    await pat.waitFor((f) => (f as SignalFrame).kind === "admit");

    const sdp = "v=0\r\n" + "a=candidate:1 1 udp 2122260223 198.51.100.7 40000 typ host\r\n".repeat(220);
    expect(Buffer.byteLength(sdp)).toBeGreaterThan(8000);
    doc.send({ type: "signal", topic, kind: "offer", to: w.patient.id, data: { type: "offer", sdp } });
    for (let i = 0; i < 10; i++) doc.send({ type: "signal", topic, kind: "ice", to: w.patient.id, data: { candidate: `c${i}` } });
    const offer = (await pat.waitFor((f) => f.type === "signal" && (f as SignalFrame).kind === "offer")) as SignalFrame;
    expect(offer.data?.sdp).toBe(sdp);
    expect(offer.from).toBe(w.provider.id);
    pat.send({ type: "signal", topic, kind: "answer", to: w.provider.id, data: { type: "answer", sdp: "v=0 answer" } });
    const answer = (await doc.waitFor((f) => f.type === "signal" && (f as SignalFrame).kind === "answer")) as SignalFrame;
    expect(answer.data?.sdp).toBe("v=0 answer");
    await pat.waitFor(() => (pat.frames as SignalFrame[]).filter((f) => f.kind === "ice").length === 10);
    expect((pat.frames as SignalFrame[]).filter((f) => f.type === "signal" && f.kind === "ice").map((f) => f.data?.candidate)).toEqual(
      Array.from({ length: 10 }, (_, i) => `c${i}`),
    );
    // both instances relayed: a wrote, b delivered (and the other way for the answer)
    expect(b.hub.calls.stats.signalsOut).toBeGreaterThanOrEqual(12);
    expect(a.hub.calls.stats.signalsOut).toBeGreaterThanOrEqual(2);
    // the stranger on b heard nothing
    expect(stranger.frames.filter((f) => f.type === "signal")).toEqual([]);
  });
});
