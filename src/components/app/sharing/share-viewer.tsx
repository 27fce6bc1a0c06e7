"use client";

import * as React from "react";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { Input } from "@/components/ui/input";
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from "@/components/ui/table";
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
      <div className="overflow-x-auto">{children}</div>
    </section>
  );
}

function SharedRecordView({ record }: { record: SharedRecord }) {
  const p = record.patient;
  return (
    <div className="grid gap-6" data-testid="shared-record">
      <div>
        <h1 className="text-2xl font-semibold tracking-tight">{p.first_name} {p.last_name}</h1>
        <p className="text-muted-foreground text-sm">
          Born {p.date_of_birth}. Shared with {record.share.recipient_label}, read-only, until <LocalTime value={record.share.expires_at} />. This view is recorded and the patient can see it.
        </p>
      </div>
      {record.visits && (
        <Section title="Visits">
          {record.visits.length === 0 ? <p className="text-sm">No visits.</p> : (
            <Table>
              <TableHeader><TableRow><TableHead>Date</TableHead><TableHead>Reason</TableHead><TableHead>Diagnosis</TableHead><TableHead>Notes</TableHead></TableRow></TableHeader>
              <TableBody>
                {record.visits.map((v) => (
                  <TableRow key={v.id}>
                    <TableCell><LocalTime value={v.visit_date} /></TableCell>
                    <TableCell className="whitespace-normal">{v.chief_complaint}</TableCell>
                    <TableCell className="whitespace-normal">{v.diagnosis ?? "—"}</TableCell>
                    <TableCell className="whitespace-normal">{v.notes ?? "—"}</TableCell>
                  </TableRow>
                ))}
              </TableBody>
            </Table>
          )}
        </Section>
      )}
      {record.prescriptions && (
        <Section title="Prescriptions">
          {record.prescriptions.length === 0 ? <p className="text-sm">No prescriptions.</p> : (
            <Table>
              <TableHeader><TableRow><TableHead>Medication</TableHead><TableHead>Dose</TableHead><TableHead>How often</TableHead><TableHead>From</TableHead><TableHead>Status</TableHead></TableRow></TableHeader>
              <TableBody>
                {record.prescriptions.map((r) => (
                  <TableRow key={r.id}>
                    <TableCell>{r.medication}</TableCell>
                    <TableCell>{r.dosage}</TableCell>
                    <TableCell className="whitespace-normal">{r.frequency}</TableCell>
                    <TableCell>{r.start_date}</TableCell>
                    <TableCell>{r.status}</TableCell>
                  </TableRow>
                ))}
              </TableBody>
            </Table>
          )}
        </Section>
      )}
      {record.documents && (
        <Section title="Documents">
          {record.documents.length === 0 ? <p className="text-sm">No documents.</p> : (
            <ul className="grid gap-1 text-sm">
              {record.documents.map((d) => (
                <li key={d.id}>{d.document_type.replace(/_/g, " ")}{d.description ? `: ${d.description}` : ""} (<LocalTime value={d.uploaded_at} />)</li>
              ))}
            </ul>
          )}
        </Section>
      )}
      {record.vitals && (
        <Section title="Vitals">
          {record.vitals.length === 0 ? <p className="text-sm">No vitals.</p> : (
            <Table>
              <TableHeader><TableRow><TableHead>When</TableHead><TableHead>Measure</TableHead><TableHead>Value</TableHead></TableRow></TableHeader>
              <TableBody>
                {record.vitals.map((v, i) => (
                  <TableRow key={i}>
                    <TableCell><LocalTime value={v.recorded_at} /></TableCell>
                    <TableCell>{v.metric.replace(/_/g, " ")}</TableCell>
                    <TableCell>{v.value} {v.unit}</TableCell>
                  </TableRow>
                ))}
              </TableBody>
            </Table>
          )}
        </Section>
      )}
    </div>
  );
}
