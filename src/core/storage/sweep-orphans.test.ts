/**
 * The periodic orphan sweep (issue #13, item 8): leftovers of a crash are removed while the
 * server runs, not only at its next start (7.4 MB of .part files stayed after a crash on
 * PostgreSQL, where the start-up sweep skips anything under an hour old). What an upload in
 * flight owns (a fresh .part, a fresh blob before its rows) is never touched.
 */
import { randomUUID } from "node:crypto";
import { mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { engines, installTestDatabase, type TestDatabase } from "../../../tests/support/db";
import { LocalObjectStore } from "./local-store";
import { startOrphanSweeps } from "./sweep-orphans";

async function waitFor(check: () => boolean | Promise<boolean>, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe.each(engines)("startOrphanSweeps on %s", (engine) => {
  let t: TestDatabase;
  let dir: string;
  beforeAll(async () => {
    t = await installTestDatabase(engine);
    dir = mkdtempSync(path.join(os.tmpdir(), "carebase-sweep-"));
  });
  afterAll(async () => {
    await t?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("removes a stale .part file and a stale orphaned blob while running, keeps fresh ones", async () => {
    const store = new LocalObjectStore(path.join(dir, "objects"));
    const incomplete = path.join(dir, "objects", ".incomplete");
    mkdirSync(incomplete, { recursive: true });
    const twoHoursAgo = new Date(Date.now() - 2 * 3600_000);
    // a crash's leftovers
    const stalePart = path.join(incomplete, `${randomUUID()}.part`);
    writeFileSync(stalePart, Buffer.alloc(64 * 1024));
    utimesSync(stalePart, twoHoursAgo, twoHoursAgo);
    const orphan = `${randomUUID()}/${randomUUID()}`;
    await store.put(orphan, Readable.from([Buffer.from("bytes of an upload whose rows never committed")]));
    utimesSync(store.pathOf(orphan), twoHoursAgo, twoHoursAgo);
    // an upload in flight now
    const freshPart = path.join(incomplete, `${randomUUID()}.part`);
    writeFileSync(freshPart, Buffer.alloc(1024));
    const fresh = `${randomUUID()}/${randomUUID()}`;
    await store.put(fresh, Readable.from([Buffer.from("bytes whose rows are about to commit")]));

    const stop = startOrphanSweeps({ intervalMs: 25, store });
    try {
      await waitFor(() => !readdirSync(incomplete).includes(path.basename(stalePart)), "the stale .part to go");
      await waitFor(async () => {
        const keys: string[] = [];
        for await (const o of store.list()) keys.push(o.key);
        return !keys.includes(orphan);
      }, "the stale orphan to go");
    } finally {
      stop();
    }
    expect(readdirSync(incomplete)).toEqual([path.basename(freshPart)]);
    const keys: string[] = [];
    for await (const o of store.list()) keys.push(o.key);
    expect(keys).toEqual([fresh]);
  });

  it("stops: no run after the stop function", async () => {
    const store = new LocalObjectStore(path.join(dir, "objects-2"));
    const incomplete = path.join(dir, "objects-2", ".incomplete");
    mkdirSync(incomplete, { recursive: true });
    const stop = startOrphanSweeps({ intervalMs: 25, store });
    stop();
    const stale = path.join(incomplete, "left.part");
    writeFileSync(stale, "x");
    utimesSync(stale, new Date(0), new Date(0));
    await new Promise((r) => setTimeout(r, 150));
    expect(readdirSync(incomplete)).toEqual(["left.part"]);
  });
});
