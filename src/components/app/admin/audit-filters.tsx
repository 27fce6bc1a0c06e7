"use client";

import * as React from "react";
import { useRouter } from "next/navigation";
import { FilterIcon, FilterXIcon } from "lucide-react";
import { Button } from "@/components/ui/button";
import { Input } from "@/components/ui/input";
import { Label } from "@/components/ui/label";
import { NativeSelect } from "@/components/ui/native-select";
import { AuditSubjectPicker, type AuditSubjectOption } from "./audit-subject-picker";
import { AUDIT_ACTIONS, PAGE_SIZES, actionLabel, auditSearch, exclusiveToInclusive, inclusiveToExclusive, tableLabel, tableOptions, type AuditFilterValues } from "./audit-query";

type Search = (input: { search: string }) => Promise<AuditSubjectOption[]>;

/**
 * The audit trail's filters. Applying them navigates to /admin/audit with ids, names of
 * actions and tables, and dates only (the typed names stay here). A new filter always
 * starts from the newest page.
 */
export function AuditFilters({
  initial,
  actor: initialActor,
  patient: initialPatient,
  findActors,
  findPatients,
  errors = {},
}: {
  initial: AuditFilterValues;
  actor: AuditSubjectOption | null;
  patient: AuditSubjectOption | null;
  findActors: Search;
  findPatients: Search;
  errors?: Record<string, string>;
}) {
  const router = useRouter();
  const [actor, setActor] = React.useState(initialActor);
  const [patient, setPatient] = React.useState(initialPatient);
  const [action, setAction] = React.useState(initial.action ?? "");
  const [table, setTable] = React.useState(initial.table ?? "");
  const [from, setFrom] = React.useState(initial.from && /^\d{4}-\d{2}-\d{2}$/.test(initial.from) ? initial.from : "");
  const [to, setTo] = React.useState(exclusiveToInclusive(initial.to));
  const [limit, setLimit] = React.useState(initial.limit && (PAGE_SIZES as readonly string[]).includes(initial.limit) ? initial.limit : "50");
  const [dateError, setDateError] = React.useState<string | undefined>();
  const [pending, startTransition] = React.useTransition();

  const actions = AUDIT_ACTIONS.some((a) => a.value === action) || !action ? AUDIT_ACTIONS : [...AUDIT_ACTIONS, { value: action, label: actionLabel(action) }];
  const tables = tableOptions();
  if (table && !tables.includes(table)) tables.push(table);

  function apply(e: React.FormEvent) {
    e.preventDefault();
    if (from && to && from > to) {
      setDateError("“To” must not be before “From”.");
      return;
    }
    setDateError(undefined);
    const query = auditSearch({
      actor: actor?.id,
      patient: patient?.id,
      action,
      table,
      from,
      to: to ? inclusiveToExclusive(to) : undefined,
      limit: limit === "50" ? undefined : limit,
    });
    startTransition(() => router.push(`/admin/audit${query}`));
  }

  const fieldError = (k: string) => errors[k];
  return (
    <form
      method="get"
      action="/admin/audit"
      role="search"
      aria-label="Filter the audit trail"
      onSubmit={apply}
      className="bg-card grid gap-4 rounded-lg border p-4 sm:grid-cols-2 lg:grid-cols-4"
    >
      <AuditSubjectPicker id="audit-actor" label="Actor" placeholder="Name or email" value={actor} onChange={setActor} search={findActors} error={fieldError("actor")} />
      <AuditSubjectPicker id="audit-patient" label="Patient" placeholder="Name or MRN" value={patient} onChange={setPatient} search={findPatients} error={fieldError("patient")} />
      <div className="grid content-start gap-1.5">
        <Label htmlFor="audit-action">Action</Label>
        <NativeSelect id="audit-action" value={action} onChange={(e) => setAction(e.target.value)} aria-invalid={fieldError("action") ? true : undefined}>
          <option value="">Any action</option>
          {actions.map((a) => (
            <option key={a.value} value={a.value}>{a.label}</option>
          ))}
        </NativeSelect>
      </div>
      <div className="grid content-start gap-1.5">
        <Label htmlFor="audit-table">Table or kind of record</Label>
        <NativeSelect id="audit-table" value={table} onChange={(e) => setTable(e.target.value)} aria-invalid={fieldError("table") ? true : undefined}>
          <option value="">Any</option>
          {tables.map((t) => (
            <option key={t} value={t}>{tableLabel(t)}</option>
          ))}
        </NativeSelect>
      </div>
      <div className="grid content-start gap-1.5">
        <Label htmlFor="audit-from">From (UTC date)</Label>
        <Input id="audit-from" type="date" value={from} onChange={(e) => setFrom(e.target.value)} aria-invalid={fieldError("from") ? true : undefined} />
      </div>
      <div className="grid content-start gap-1.5">
        <Label htmlFor="audit-to">To (UTC date, inclusive)</Label>
        <Input
          id="audit-to"
          type="date"
          value={to}
          onChange={(e) => setTo(e.target.value)}
          aria-invalid={dateError || fieldError("to") ? true : undefined}
          aria-describedby={dateError ? "audit-to-error" : undefined}
        />
        {dateError && <p id="audit-to-error" className="text-destructive text-xs font-medium">{dateError}</p>}
      </div>
      <div className="grid content-start gap-1.5">
        <Label htmlFor="audit-limit">Rows per page</Label>
        <NativeSelect id="audit-limit" value={limit} onChange={(e) => setLimit(e.target.value)}>
          {PAGE_SIZES.map((s) => (
            <option key={s} value={s}>{s}</option>
          ))}
        </NativeSelect>
      </div>
      <div className="flex items-end gap-2">
        <Button type="submit" disabled={pending}>
          <FilterIcon aria-hidden /> {pending ? "Applying…" : "Apply filters"}
        </Button>
        <Button
          type="button"
          variant="ghost"
          disabled={pending}
          onClick={() => {
            setActor(null);
            setPatient(null);
            setAction("");
            setTable("");
            setFrom("");
            setTo("");
            setLimit("50");
            setDateError(undefined);
            startTransition(() => router.push("/admin/audit"));
          }}
        >
          <FilterXIcon aria-hidden /> Clear
        </Button>
      </div>
    </form>
  );
}
