import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { installTestDatabase, type TestDatabase } from "../support/db";
import { createUser } from "../support/seed";
import { startInstance, type TestInstance } from "./support";

describe("realtime heartbeats", () => {
  let t: TestDatabase;
  let rt: TestInstance;
  beforeAll(async () => {
    t = await installTestDatabase("pglite");
    rt = await startInstance(t.db, { heartbeatMs: 100 });
  });
  afterAll(async () => {
    await rt?.stop();
    await t?.drop();
  });

  const open = async (autoPong: boolean) => {
    const u = await createUser("provider");
    const ws = new WebSocket(`${rt.url}?access_token=${u.accessToken}`, { autoPong });
    await new Promise((resolve, reject) => ws.once("open", resolve).once("error", reject));
    let closed = false;
    ws.on("close", () => (closed = true));
    return { ws, isClosed: () => closed };
  };

  it("drops a socket that stops answering pings and keeps one that answers", async () => {
    const dead = await open(false);
    const live = await open(true);
    await new Promise((r) => setTimeout(r, 600));
    expect(dead.isClosed()).toBe(true);
    expect(live.isClosed()).toBe(false);
    expect(rt.hub.connections).toBe(1);
    live.ws.close();
  });
});
