"use client";

import * as React from "react";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { Input } from "@/components/ui/input";
import { Field, FormError } from "@/components/app/form";
import { LocalTime } from "@/components/app/local-time";
import { useJsonForm } from "@/components/app/use-json-form";
import { ZOpenShareRequest, type SharedRecord } from "@/core/sharing/sharing.types";

/** Reads the token from the link's fragment once, then takes it out of the address bar. Enter the code; see the shared parts. */
export function ShareViewer() {
  const [token, setToken] = React.useState<string | null | undefined>(undefined);
  const [record, setRecord] = React.useState<SharedRecord | null>(null);
  const [dead, setDead] = React.useState<string | null>(null);
  const f = useJsonForm({ code: "" });

  React.useEffect(() => {
    const t = window.location.hash.slice(1).replace(/^token=/, "");
    if (t) window.history.replaceState(null, "", window.location.pathname);
    setToken(/^[A-Za-z0-9_-]{43}$/.test(t) ? t : null);
  }, []);

  async function onSubmit(e: React.FormEvent) {
    e.preventDefault();
    const r = await f.submit<typeof ZOpenShareRequest, SharedRecord>(ZOpenShareRequest, { token, code: f.values.code.trim() }, "/api/v1/shares/open", "POST", {
      onError: (err) => {
        if (err.status === 404 || err.status === 423) {
          setDead(err.status === 423 ? err.message : "This link does not work any more: it may have expired or been revoked. Ask the patient for a new one.");
          return true;
        }
        return false;
      },
    });
    if (r?.ok) setRecord(r.data);
  }

  if (token === undefined) return <p className="text-muted-foreground text-sm">Reading your link…</p>;
  if (token === null) {
    return (
      <p role="alert" className="text-sm">
        This page needs the full sharing link the patient gave you, including the part after the # sign.
      </p>
    );
  }
  if (dead) return <p role="alert" data-testid="share-dead" className="text-sm">{dead}</p>;
  if (!record) {
    return (
      <Card className="mx-auto max-w-md">
        <CardHeader>
          <CardTitle><h1 className="text-xl">Open a shared record</h1></CardTitle>
          <CardDescription>Enter the 6-digit code the patient gave you with this link.</CardDescription>
        </CardHeader>
        <CardContent>
          <form onSubmit={onSubmit} noValidate className="grid gap-4">
            <FormError message={f.formError} />
            <Field id="share-code" label="Code" error={f.errors.code} required>
              <Input inputMode="numeric" autoComplete="one-time-code" maxLength={6} {...f.bind("code")} />
            </Field>
            <Button type="submit" disabled={f.busy}>{f.busy ? "Opening…" : "Open"}</Button>
          </form>
        </CardContent>
      </Card>
    );
  }
  return <SharedRecordView record={record} />;
}

function Section({ title, children }: { title: string; children: React.ReactNode }) {
  return (
    <section aria-labelledby={`shared-${title}`} className="grid gap-2">
      <h2 id={`shared-${title}`} className="text-lg font-semibold">{title}</h2>
      {children}
    </section>
  );
}

/** One entry as a small card: a heading line and label/value pairs (no wide tables: it reads at 360 px). */
function Entry({ title, rows }: { title: React.ReactNode; rows: [string, React.ReactNode][] }) {
  return (
    <li className="bg-card grid gap-1 rounded-lg border p-3 text-sm">
      <p className="font-medium break-words">{title}</p>
      <dl className="grid grid-cols-[auto_1fr] gap-x-3 gap-y-0.5">
        {rows.map(([k, v]) => (
          <React.Fragment key={k}>
            <dt className="text-muted-foreground">{k}</dt>
            <dd className="min-w-0 break-words">{v}</dd>
          </React.Fragment>
        ))}
      </dl>
    </li>
  );
}

function SharedRecordView({ record }: { record: SharedRecord }) {
  const p = record.patient;
  return (
    <div className="grid gap-6" data-testid="shared-record">
      <div>
        <h1 className="text-2xl font-semibold tracking-tight break-words">{p.first_name} {p.last_name}</h1>
        <p className="text-muted-foreground text-sm">
          Born {p.date_of_birth}. Shared with {record.share.recipient_label}, read-only, until <LocalTime value={record.share.expires_at} />. This view is recorded and the patient can see it.
        </p>
      </div>
      {record.visits && (
        <Section title="Visits">
          {record.visits.length === 0 ? <p className="text-sm">No visits.</p> : (
            <ul className="grid gap-2">
              {record.visits.map((v) => (
                <Entry key={v.id} title={<><LocalTime value={v.visit_date} />: {v.chief_complaint}</>} rows={[["Diagnosis", v.diagnosis ?? "—"], ["Notes", v.notes ?? "—"]]} />
              ))}
            </ul>
          )}
        </Section>
      )}
      {record.prescriptions && (
        <Section title="Prescriptions">
          {record.prescriptions.length === 0 ? <p className="text-sm">No prescriptions.</p> : (
            <ul className="grid gap-2">
              {record.prescriptions.map((r) => (
                <Entry key={r.id} title={`${r.medication} ${r.dosage}`} rows={[["How often", r.frequency], ["From", r.start_date], ["Until", r.end_date ?? "—"], ["Status", r.status]]} />
              ))}
            </ul>
          )}
        </Section>
      )}
      {record.documents && (
        <Section title="Documents">
          {record.documents.length === 0 ? <p className="text-sm">No documents.</p> : (
            <ul className="grid gap-2">
              {record.documents.map((d) => (
                <Entry key={d.id} title={d.document_type.replace(/_/g, " ")} rows={[["Description", d.description ?? "—"], ["Added", <LocalTime key="t" value={d.uploaded_at} />]]} />
              ))}
            </ul>
          )}
        </Section>
      )}
      {record.vitals && (
        <Section title="Vitals">
          {record.vitals.length === 0 ? <p className="text-sm">No vitals.</p> : (
            <ul className="grid gap-2">
              {record.vitals.map((v, i) => (
                <Entry key={i} title={`${v.metric.replace(/_/g, " ")}: ${v.value} ${v.unit}`} rows={[["When", <LocalTime key="t" value={v.recorded_at} />]]} />
              ))}
            </ul>
          )}
        </Section>
      )}
    </div>
  );
}
