import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { engines, installTestDatabase, type TestDatabase } from "../support/db";
import { addToCareTeam, createPatient, createUser, serviceQuery, type TestUser } from "../support/seed";
import { call, type CallResult } from "../support/http";
import * as patientsRoute from "@/app/api/v1/patients/route";
import * as patientRoute from "@/app/api/v1/patients/[id]/route";

/** docs/mrn.md: clinic-assigned MRNs, and one answer to a taken MRN whoever's record has it. */

const body = (mrn?: string) => ({ first_name: "Ines", last_name: "Okafor", date_of_birth: "1990-06-01", gender: "female", ...(mrn === undefined ? {} : { mrn }) });
const create = (u: TestUser, mrn?: string) => call(patientsRoute.POST, { token: u.accessToken, body: body(mrn) });
const rename = (u: TestUser, id: string, mrn: string) => call(patientRoute.PATCH, { token: u.accessToken, method: "PATCH", params: { id }, body: { mrn } });
const mrnOf = (id: string) => serviceQuery((tx) => tx.selectFrom("patients").select("mrn").where("id", "=", id).executeTakeFirstOrThrow()).then((r) => r.mrn);
const assigned = (n: number) => `MRN-${String(n).padStart(6, "0")}`;
const numberOf = (mrn: string) => Number(/^MRN-(\d+)$/.exec(mrn)![1]);

const CONFLICT = {
  error: {
    code: "mrn_unavailable",
    message: "This MRN cannot be used. Leave it empty and the clinic assigns one.",
    fields: { mrn: "This MRN cannot be used. Leave it empty and the clinic assigns one." },
  },
};

/** What a caller can observe of an answer, minus the per-request id. */
const observable = (r: CallResult) => ({
  status: r.status,
  body: r.body,
  headers: [...r.headers.entries()].filter(([k]) => k !== "x-request-id"),
});

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

describe.each(engines)("MRNs on %s", (engine) => {
  let t: TestDatabase;
  let doc: TestUser, colleague: TestUser, stranger: TestUser, admin: TestUser;
  let mine: string, theirs: string;

  beforeAll(async () => {
    t = await installTestDatabase(engine);
    doc = await createUser("provider");
    colleague = await createUser("provider");
    stranger = await createUser("provider");
    admin = await createUser("admin");
    mine = await createPatient({ createdBy: doc.id });
    theirs = await createPatient({ createdBy: stranger.id });
    await addToCareTeam(mine, doc.id, "attending");
    await addToCareTeam(theirs, stranger.id, "attending");
  });
  afterAll(async () => {
    await t?.drop();
  });

  it("assigns MRN-000123-style numbers when the MRN is left out or blank; existing MRNs are untouched", async () => {
    const before = await mrnOf(mine);
    const a = await create(doc);
    const b = await create(doc, "   ");
    expect(a.status).toBe(201);
    expect(b.status).toBe(201);
    expect(a.body.mrn).toMatch(/^MRN-\d{6,}$/);
    expect(b.body.mrn).toMatch(/^MRN-\d{6,}$/);
    expect(numberOf(b.body.mrn)).toBeGreaterThan(numberOf(a.body.mrn));
    expect(await mrnOf(a.body.id)).toBe(a.body.mrn);
    expect(await mrnOf(mine)).toBe(before);
    // an admin registering gets one too
    const c = await call(patientsRoute.POST, { token: admin.accessToken, body: body() });
    expect(c.status).toBe(201);
    expect(c.body.mrn).toMatch(/^MRN-\d{6,}$/);
  });

  it("skips a number someone already typed by hand", async () => {
    const last = numberOf((await create(doc)).body.mrn);
    // someone else's record, invisible to doc, took the next number by hand
    const other = await create(stranger, assigned(last + 1));
    expect(other.status).toBe(201);
    const next = await create(doc);
    expect(next.status).toBe(201);
    expect(next.body.mrn).toBe(assigned(last + 2));
  });

  it("a typed MRN still works when free", async () => {
    const mrn = `EXT-${randomUUID().slice(0, 8)}`;
    const r = await create(doc, mrn);
    expect(r.status).toBe(201);
    expect(r.body.mrn).toBe(mrn);
  });

  it("a taken MRN gets one answer whether the other record is visible to the caller or not (create)", async () => {
    const visibleMrn = await mrnOf(mine);
    const invisibleMrn = await mrnOf(theirs);
    const visible = await create(doc, visibleMrn);
    const invisible = await create(doc, invisibleMrn);
    expect(visible.status).toBe(409);
    expect(visible.body).toEqual(CONFLICT);
    expect(observable(invisible)).toEqual(observable(visible));
    // a colleague on no team at all gets the same for both
    expect(observable(await create(colleague, invisibleMrn))).toEqual(observable(await create(colleague, visibleMrn)));
  });

  it("a taken MRN gets one answer whether the other record is visible to the caller or not (change)", async () => {
    const own = (await create(doc)).body.id;
    const visible = await rename(doc, own, await mrnOf(mine));
    const invisible = await rename(doc, own, await mrnOf(theirs));
    expect(visible.status).toBe(409);
    expect(visible.body).toEqual(CONFLICT);
    expect(observable(invisible)).toEqual(observable(visible));
    // nothing changed, and a blank MRN in a change leaves it as it is
    const kept = await mrnOf(own);
    expect((await call(patientRoute.PATCH, { token: doc.accessToken, method: "PATCH", params: { id: own }, body: { mrn: "", first_name: "Inès" } })).body.mrn).toBe(kept);
  });

  it("takes as long for an invisible conflict as for a visible one", async () => {
    // Both are decided by the unique index in the same statement (no lookup, no branch on
    // visibility); this only guards against a future lookup that would add a round trip.
    const visibleMrn = await mrnOf(mine);
    const invisibleMrn = await mrnOf(theirs);
    const timed = async (mrn: string) => {
      const t0 = performance.now();
      const r = await create(doc, mrn);
      expect(r.status).toBe(409);
      return performance.now() - t0;
    };
    await timed(visibleMrn);
    await timed(invisibleMrn);
    const v: number[] = [];
    const i: number[] = [];
    for (let k = 0; k < 15; k++) {
      v.push(await timed(visibleMrn));
      i.push(await timed(invisibleMrn));
    }
    const [mv, mi] = [median(v), median(i)];
    expect(Math.abs(mv - mi)).toBeLessThan(Math.max(5, 0.5 * Math.max(mv, mi)));
  });
});
