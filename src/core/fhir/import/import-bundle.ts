import { Readable } from "node:stream";
import { sql } from "kysely";
import type { Session } from "../../auth/session-types";
import { recordEvent } from "../../audit/events";
import { findAllergyConflicts } from "../../clinical/allergy-conflicts";
import { withUser, type RequestContext, type Tx } from "../../db/with-user";
import { AppError, ForbiddenError } from "../../errors";
import { fromDatabaseError } from "../../http/respond";
import { log } from "../../log";
import { loadStorageConfig, type StorageConfig } from "../../storage/config";
import { BUCKET } from "../../storage/document-view";
import { objectStore } from "../../storage/index";
import type { ObjectStore } from "../../storage/object-store";
import { ZTransactionBundle } from "./import-bundle.types";
import { ImportEntryError, invalid, type EntryRef, type InfoIssue } from "./import-errors";
import { planImport, type ImportPlan, type PatientTarget } from "./plan-import";
import { observationIdForSample, observationIdForVisit, allergyIdFor } from "./resource-ids";

export interface ImportOptions {
  store?: ObjectStore;
  storage?: Pick<StorageConfig, "maxUploadBytes" | "allowedTypes">;
  /** Tests: runs inside the transaction after the blobs are stored and every row is written, before commit. */
  beforeCommit?: (tx: Tx) => Promise<void>;
}

export interface ImportedEntry {
  status: "201 Created";
  location: string;
  issues: InfoIssue[];
}

export interface ImportResult {
  entries: ImportedEntry[];
  counts: Record<string, number>;
}

/**
 * Imports a FHIR transaction Bundle, all or nothing, as the signed-in user: the whole
 * Bundle is checked and mapped first (planImport: nothing written yet), the documents'
 * bytes are stored, then every row is written in ONE withUser transaction, so RLS decides
 * each insert and the audit triggers record each write. If anything fails after the blobs
 * were stored, they are removed (a crash in between leaves blobs without rows, which the
 * orphan sweep removes). A provider who registers a patient joins its care team as
 * attending (the database's creator-joins-care-team trigger, as for POST /api/v1/patients).
 */
export async function importBundle(session: Session, bundle: unknown, context: RequestContext, opts: ImportOptions = {}): Promise<ImportResult> {
  if (session.role === "patient") throw new ForbiddenError("Only providers and admins import records.");
  const parsed = ZTransactionBundle.safeParse(bundle);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ImportEntryError(400, null, "structure", `Bundle.${issue.path.join(".") || "(root)"}: ${issue.message}`, issue.path.join(".") || undefined);
  }
  const storage = opts.storage ?? loadStorageConfig();
  const plan = planImport(parsed.data.entry, storage);
  const store = opts.store ?? objectStore();

  const stored: string[] = [];
  try {
    for (const doc of plan.documents) {
      const key = `${doc.patient.id}/${doc.id}`;
      await store.put(key, Readable.from([doc.bytes]));
      stored.push(key);
    }
    const locations = await withUser(session, async (tx) => {
      const result = await writePlan(tx, session, plan);
      await opts.beforeCommit?.(tx);
      return result;
    }, context);
    const counts: Record<string, number> = {};
    for (const e of plan.entries) counts[e.type] = (counts[e.type] ?? 0) + 1;
    return {
      entries: plan.entries.map((e) => ({ status: "201 Created", location: locations.get(e.entry.index)!, issues: e.issues })),
      counts,
    };
  } catch (e) {
    await Promise.all(stored.map((key) => store.delete(key).catch((err: unknown) => {
      log.warn({ objectKey: key, err: (err as Error).message }, "could not remove the blob of a failed FHIR import");
    })));
    throw e;
  }
}

/** Runs one entry's statements; a database refusal becomes an error naming the entry. */
async function forEntry<T>(entry: EntryRef, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (e) {
    if (e instanceof ImportEntryError) throw e;
    const appError = e instanceof AppError ? e : fromDatabaseError(e);
    if (!appError || appError.status >= 500) throw e;
    const code = (e as { code?: string }).code;
    const constraint = (e as { constraint?: string }).constraint;
    if (appError.status === 403) {
      throw new ImportEntryError(403, entry, "forbidden", "You may not create this record (your role, or your seat on the patient's care team, does not allow it).");
    }
    if (constraint === "patients_mrn_unique") {
      throw new ImportEntryError(409, entry, "conflict", "This MRN cannot be used. Leave the MR identifier out and the clinic assigns one.", "resource.identifier");
    }
    if (code === "23P01") throw new ImportEntryError(409, entry, "conflict", "The provider already has a confirmed appointment at this time.", "resource.start");
    if (appError.status === 409) throw new ImportEntryError(409, entry, "conflict", appError.message);
    throw new ImportEntryError(422, entry, "processing", appError.message);
  }
}

async function writePlan(tx: Tx, session: Session, plan: ImportPlan): Promise<Map<number, string>> {
  const uid = session.userId;
  const locations = new Map<number, string>();
  const seenExisting = new Set<string>();
  const assertVisible = async (entry: EntryRef, p: PatientTarget) => {
    if (!p.existing || seenExisting.has(p.id)) return;
    const row = await tx.selectFrom("patients").select("id").where("id", "=", p.id).executeTakeFirst();
    if (!row) throw new ImportEntryError(404, entry, "not-found", "The referenced Patient was not found.", "resource");
    seenExisting.add(p.id);
  };

  for (const p of plan.patients) {
    await forEntry(p.entry, async () => {
      const v = p.input;
      await tx
        .insertInto("patients")
        .values({
          id: p.id,
          created_by: uid,
          first_name: v.first_name,
          last_name: v.last_name,
          date_of_birth: v.date_of_birth,
          gender: v.gender,
          blood_type: v.blood_type ?? null,
          allergies: v.allergies,
          address: v.address ?? null,
          emergency_contact: v.emergency_contact ? JSON.stringify(v.emergency_contact) : null,
          insurance: null,
          ...(v.mrn ? { mrn: v.mrn } : {}),
        } as never)
        .execute();
    });
    locations.set(p.entry.index, `Patient/${p.id}`);
  }

  // Allergies of patients already on file: added to their list (case-insensitively once).
  for (const a of plan.allergies) {
    await assertVisible(a.entry, a.patient);
    if (a.patient.existing && a.allergy) {
      await forEntry(a.entry, async () => {
        const r = await tx
          .updateTable("patients")
          .set({ allergies: sql`case when exists (select 1 from unnest(allergies) x where lower(x) = lower(${a.allergy})) then allergies else array_append(allergies, ${a.allergy}::text) end` as never })
          .where("id", "=", a.patient.id)
          .executeTakeFirst();
        if (Number(r.numUpdatedRows) === 0) throw new ForbiddenError();
      });
    }
    locations.set(a.entry.index, a.allergy ? `AllergyIntolerance/${allergyIdFor(a.patient.id, a.allergy)}` : `Patient/${a.patient.id}`);
  }

  for (const v of plan.visits) {
    await assertVisible(v.entry, v.patient);
    await forEntry(v.entry, () =>
      tx
        .insertInto("visits")
        .values({
          id: v.id,
          patient_id: v.patient.id,
          provider_id: uid,
          visit_date: v.visitDate,
          chief_complaint: v.chiefComplaint,
          diagnosis: v.diagnoses.length ? v.diagnoses.join("; ") : null,
          notes: null,
          vitals: Object.keys(v.vitals).length ? JSON.stringify(v.vitals) : null,
        })
        .execute(),
    );
    if (plan.entries.some((e) => e.entry.index === v.entry.index && e.type === "Encounter")) locations.set(v.entry.index, `Encounter/${v.id}`);
  }
  for (const c of plan.conditions) locations.set(c.entry.index, `Condition/${c.visitId}`);

  for (const o of plan.observations) {
    await assertVisible(o.entry, o.patient);
    if (o.visitId) {
      locations.set(o.entry.index, `Observation/${observationIdForVisit(o.visitId, o.field!)}`);
      continue;
    }
    const ids = await forEntry(o.entry, async () => {
      const { rows } = await sql<{ id: string }>`
        insert into public.vitals (patient_id, recorded_by, metric, value, unit, recorded_at)
        select ${o.patient.id}::uuid, ${uid}::uuid, s.metric, s.value, s.unit, s.recorded_at
          from unnest(${o.samples.map((s) => s.metric)}::text[], ${o.samples.map((s) => s.value)}::float8[],
                      ${o.samples.map((s) => s.unit)}::text[], ${o.samples.map((s) => s.recordedAt)}::timestamptz[])
               as s(metric, value, unit, recorded_at)
        returning id::text as id`.execute(tx);
      return rows.map((r) => r.id);
    });
    locations.set(o.entry.index, `Observation/${observationIdForSample(ids[0])}`);
  }

  for (const rx of plan.prescriptions) {
    await assertVisible(rx.entry, rx.patient);
    await forEntry(rx.entry, async () => {
      const patient = await tx.selectFrom("patients").select("allergies").where("id", "=", rx.patient.id).executeTakeFirstOrThrow();
      const conflicts = findAllergyConflicts(rx.medication, patient.allergies);
      // A prescription written in another system is history, not a new decision: the
      // allergy check is recorded (as the override it was there), never a reason to refuse.
      const override = conflicts.length ? "Imported from another system's record (FHIR transaction import)" : null;
      await tx
        .insertInto("prescriptions")
        .values({
          id: rx.id,
          patient_id: rx.patient.id,
          prescriber_id: uid,
          visit_id: rx.visitId,
          medication: rx.medication,
          dosage: rx.dosage,
          frequency: rx.frequency,
          start_date: rx.startDate,
          end_date: rx.endDate,
          allergy_override_reason: override,
        })
        .execute();
      if (rx.status !== "active") {
        const r = await tx.updateTable("prescriptions").set({ status: rx.status, status_reason: rx.statusReason }).where("id", "=", rx.id).executeTakeFirst();
        if (Number(r.numUpdatedRows) === 0) throw new ForbiddenError();
      }
      if (override) {
        await recordEvent(tx, {
          action: "prescription.allergy_override",
          patientId: rx.patient.id,
          details: { prescription_id: rx.id, allergies: conflicts.map((c) => c.allergy), reason: override },
        });
      }
    });
    locations.set(rx.entry.index, `MedicationRequest/${rx.id}`);
  }

  for (const a of plan.appointments) {
    await assertVisible(a.entry, a.patient);
    await forEntry(a.entry, async () => {
      await tx
        .insertInto("appointments")
        .values({ id: a.id, patient_id: a.patient.id, provider_id: uid, starts_at: a.startsAt, ends_at: a.endsAt, reason: a.reason, status: "requested", requested_by: uid })
        .execute();
      // The lifecycle is the database's (app.appointments_guard): walk it to the imported state.
      const path = a.status === "completed" ? ["confirmed", "completed"] : a.status === "requested" ? [] : [a.status];
      for (const status of path) {
        const r = await tx.updateTable("appointments").set({ status: status as never }).where("id", "=", a.id).executeTakeFirst();
        if (Number(r.numUpdatedRows) === 0) throw new ForbiddenError();
      }
    });
    locations.set(a.entry.index, `Appointment/${a.id}`);
  }

  for (const d of plan.documents) {
    await assertVisible(d.entry, d.patient);
    const key = `${d.patient.id}/${d.id}`;
    await forEntry(d.entry, async () => {
      await tx
        .insertInto("documents")
        .values({
          id: d.id,
          patient_id: d.patient.id,
          uploaded_by: uid,
          object_key: key,
          document_type: d.documentType,
          description: d.description,
          original_name: d.fileName,
          content_type: d.contentType,
          size_bytes: d.bytes.length,
          sha256: d.sha256,
        })
        .execute();
      await tx
        .insertInto("storage.objects")
        .values({
          bucket_id: BUCKET,
          name: key,
          owner: uid,
          metadata: JSON.stringify({ document_id: d.id, size: d.bytes.length, content_type: d.contentType, sha256: d.sha256 }),
        })
        .execute();
    });
    locations.set(d.entry.index, `DocumentReference/${d.id}`);
  }

  for (const e of plan.entries) if (!locations.has(e.entry.index)) throw invalid(e.entry, "The entry could not be placed.");
  return locations;
}
