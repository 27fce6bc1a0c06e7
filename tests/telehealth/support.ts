import { asService } from "@/core/db/with-user";
import { sql } from "kysely";
import { addToCareTeam, createPatient, createUser, type TestUser } from "../support/seed";

export interface CallWorld {
  provider: TestUser;
  nurse: TestUser;
  offTeam: TestUser;
  patient: TestUser;
  secondPatient: TestUser;
  patientId: string;
  appointmentId: string;
}

/** A telehealth appointment of a patient with their attending, a nurse on the team, an off-team provider, and a second patient. */
export async function seedCall(startsInMinutes = 0): Promise<CallWorld> {
  const provider = await createUser("provider", { fullName: "Dr. Video Attending" });
  const nurse = await createUser("provider", { fullName: "Nurse Video", credential: "registered_nurse" });
  const offTeam = await createUser("provider", { fullName: "Dr. Elsewhere" });
  const patient = await createUser("patient", { fullName: "Vera Video" });
  const secondPatient = await createUser("patient", { fullName: "Other Patient" });
  const patientId = await createPatient({ createdBy: provider.id, userId: patient.id });
  await createPatient({ createdBy: offTeam.id, userId: secondPatient.id });
  await addToCareTeam(patientId, nurse.id, "nurse");
  const appointmentId = await bookTelehealth(patientId, provider.id, startsInMinutes);
  return { provider, nurse, offTeam, patient, secondPatient, patientId, appointmentId };
}

export async function bookTelehealth(patientId: string, providerId: string, startsInMinutes = 0, offsetMinutes = 0): Promise<string> {
  return asService("test seeding", async (tx) => {
    const { rows } = await sql<{ id: string }>`
      insert into public.appointments (patient_id, provider_id, starts_at, ends_at, reason, requested_by, status, visit_type)
      values (${patientId}, ${providerId}, now() + make_interval(mins => ${startsInMinutes + offsetMinutes}),
              now() + make_interval(mins => ${startsInMinutes + offsetMinutes + 20}), 'Follow-up on blood pressure', ${providerId}, 'confirmed', 'telehealth')
      returning id`.execute(tx);
    return rows[0].id;
  });
}
