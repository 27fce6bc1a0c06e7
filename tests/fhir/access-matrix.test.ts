/**
 * The FHIR rows of the access matrix, over HTTP on both engines: who reads what of patient
 * P through /fhir/R4, and that each answer is the JSON API's (404 for what is not visible,
 * 401 without a user session: a wearable's device token is not one).
 *
 *   actor        Patient/P  $everything  Observation?patient=P  Communication/m  AuditEvent?patient=P
 *   admin (aal2) 200        200          all                    200              all
 *   attending    200        200          all                    200              none
 *   nurse        200        200          all                    200              none
 *   outsider     404        404          none                   404              none
 *   patient      200        200          all                    404              all
 *   otherPatient 404        404          none                   404              none
 *   device token 401        401          401                    401              401
 *   anonymous    401        401          401                    401              401
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { engines, installTestDatabase, type TestDatabase } from "../support/db";
import { call } from "../support/http";
import { serviceQuery } from "../support/seed";
import { registerDevice } from "@/core/vitals/register-device";
import * as patientRoute from "@/app/api/v1/patients/[id]/route";
import { fhirGet, seedClinic, startFhirServer, type Clinic } from "./support";

type Actor = "admin" | "attending" | "nurse" | "outsider" | "patient" | "otherPatient" | "device" | "anon";
const ACTORS: Actor[] = ["admin", "attending", "nurse", "outsider", "patient", "otherPatient", "device", "anon"];

// prettier-ignore
const EXPECTED: Record<Actor, { read: number; everything: number; observations: "all" | "none" | 401; message: number; audit: "all" | "none" | 401 }> = {
  admin:        { read: 200, everything: 200, observations: "all",  message: 200, audit: "all" },
  attending:    { read: 200, everything: 200, observations: "all",  message: 200, audit: "none" },
  nurse:        { read: 200, everything: 200, observations: "all",  message: 200, audit: "none" },
  outsider:     { read: 404, everything: 404, observations: "none", message: 404, audit: "none" },
  patient:      { read: 200, everything: 200, observations: "all",  message: 404, audit: "all" },
  otherPatient: { read: 404, everything: 404, observations: "none", message: 404, audit: "none" },
  device:       { read: 401, everything: 401, observations: 401,    message: 401, audit: 401 },
  anon:         { read: 401, everything: 401, observations: 401,    message: 401, audit: 401 },
};

describe.each(engines)("FHIR access matrix (%s)", (engine) => {
  let t: TestDatabase;
  let c: Clinic;
  let server: { url: string; close: () => Promise<void> };
  let tokens: Record<Actor, string | undefined>;
  let messageId: string;
  beforeAll(async () => {
    t = await installTestDatabase(engine);
    c = await seedClinic();
    server = await startFhirServer();
    const device = await registerDevice(c.patientUser.session, { name: "Matrix watch" });
    tokens = {
      admin: c.admin.accessToken, attending: c.attending.accessToken, nurse: c.nurse.accessToken, outsider: c.outsider.accessToken,
      patient: c.patientUser.accessToken, otherPatient: c.otherPatientUser.accessToken, device: device.token, anon: undefined,
    };
    messageId = (await serviceQuery((tx) => tx.selectFrom("care_messages").select("id").where("patient_id", "=", c.patientId).executeTakeFirstOrThrow())).id;
  }, 120_000);
  afterAll(async () => {
    await server?.close();
    await t?.drop();
  });

  for (const actor of ACTORS) {
    it(`${actor}`, async () => {
      const token = tokens[actor];
      const want = EXPECTED[actor];
      const read = await fhirGet(server.url, `Patient/${c.patientId}`, token);
      expect(read.status).toBe(want.read);
      if (read.status !== 200) expect(read.body.resourceType).toBe("OperationOutcome");
      // the same answer as the JSON API's chart read
      const json = await call(patientRoute.GET, { token, params: { id: c.patientId } });
      expect(read.status).toBe(json.status);
      if (json.status !== 200) expect(read.body.issue[0].details.coding[0].code).toBe(json.body.error.code);

      expect((await fhirGet(server.url, `Patient/${c.patientId}/$everything`, token)).status).toBe(want.everything);
      expect((await fhirGet(server.url, `Communication/${messageId}`, token)).status).toBe(want.message);

      for (const [path, expected] of [[`Observation?patient=${c.patientId}`, want.observations], [`AuditEvent?patient=${c.patientId}`, want.audit]] as const) {
        const r = await fhirGet(server.url, path, token);
        if (expected === 401) {
          expect(r.status, path).toBe(401);
          expect(r.body.issue[0].code).toBe("login");
        } else {
          expect(r.status, path).toBe(200);
          if (expected === "all") expect(r.body.total, path).toBeGreaterThan(0);
          else expect(r.body.total, path).toBe(0);
        }
      }
      // the other patient's record, by id: never visible to P's team or P
      if (actor !== "admin" && actor !== "device" && actor !== "anon") {
        const q = await fhirGet(server.url, `Patient/${c.otherPatientId}`, token);
        expect(q.status).toBe(actor === "outsider" || actor === "otherPatient" ? 200 : 404);
      }
    });
  }
});
