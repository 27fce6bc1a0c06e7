"use client";

import * as React from "react";
import { useRouter } from "next/navigation";
import { Trash2Icon, UserPlusIcon, UsersIcon } from "lucide-react";
import { toast } from "sonner";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { NativeSelect } from "@/components/ui/native-select";
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from "@/components/ui/table";
import { CARE_TEAM_ROLES, ZAddCareTeamMemberRequest } from "@/core/clinical/care-team.types";
import { CREDENTIAL_LABELS, type TProviderCredential } from "@/core/auth/provider-credentials";
import { useApiAction } from "../use-api-action";
import { EmptyState } from "../empty-state";
import { Field, FormError } from "../form";
import { titleCase } from "../format";
import { useJsonForm } from "../use-json-form";

export interface CareTeamMemberView {
  provider_id: string;
  full_name: string;
  role: string;
  specialty: string | null;
  credential?: string | null;
}

/**
 * Members, roles and credentials; admins and the patient's attending add and remove (the
 * database refuses everyone else). An attending (`selfId`) does not remove themselves and
 * does not seat an 'admin' member.
 */
export function CareTeamPanel({
  patientId,
  members,
  canManage,
  providers,
  selfId,
}: {
  patientId: string;
  members: CareTeamMemberView[];
  canManage: boolean;
  providers: { user_id: string; full_name: string; specialty: string }[];
  selfId?: string;
}) {
  const roles = selfId ? CARE_TEAM_ROLES.filter((r) => r !== "admin") : CARE_TEAM_ROLES;
  const router = useRouter();
  const { busy, run } = useApiAction();
  const f = useJsonForm({ provider_id: "", role: "nurse" });
  const available = providers.filter((p) => !members.some((m) => m.provider_id === p.user_id));

  const remove = (id: string) => run(id, `/api/v1/patients/${patientId}/care-team/${id}`, { method: "DELETE" }, "Removed from the care team.");

  async function add(e: React.FormEvent) {
    e.preventDefault();
    const r = await f.submit(ZAddCareTeamMemberRequest, f.values, `/api/v1/patients/${patientId}/care-team`);
    if (r?.ok) {
      toast.success("Added to the care team.");
      f.setValues({ provider_id: "", role: "nurse" });
      router.refresh();
    } else if (r && !r.ok) toast.error(r.error.message);
  }

  return (
    <div className="grid gap-4">
      {members.length === 0 ? (
        <EmptyState icon={UsersIcon} title="No one is on this care team">An administrator assigns providers here.</EmptyState>
      ) : (
        <div className="bg-card rounded-lg border">
          <Table>
            <TableHeader>
              <TableRow>
                <TableHead>Provider</TableHead>
                <TableHead>Role</TableHead>
                <TableHead>Specialty</TableHead>
                <TableHead>Credential</TableHead>
                {canManage && <TableHead><span className="sr-only">Actions</span></TableHead>}
              </TableRow>
            </TableHeader>
            <TableBody>
              {members.map((m) => (
                <TableRow key={m.provider_id}>
                  <TableCell className="font-medium">{m.full_name}</TableCell>
                  <TableCell><Badge variant="secondary" className="capitalize">{m.role}</Badge></TableCell>
                  <TableCell>{m.specialty ?? "—"}</TableCell>
                  <TableCell>{m.credential ? CREDENTIAL_LABELS[m.credential as TProviderCredential] ?? m.credential : "—"}</TableCell>
                  {canManage && (
                    <TableCell className="text-right">
                      {m.provider_id !== selfId && <Button variant="ghost" size="sm" disabled={busy === m.provider_id} onClick={() => void remove(m.provider_id)} aria-label={`Remove ${m.full_name}`}>
                        <Trash2Icon aria-hidden />
                        Remove
                      </Button>}
                    </TableCell>
                  )}
                </TableRow>
              ))}
            </TableBody>
          </Table>
        </div>
      )}
      {canManage && (
        <form method="post" onSubmit={add} noValidate className="bg-card grid gap-3 rounded-lg border p-4 sm:grid-cols-[1fr_12rem_auto] sm:items-end">
          <div className="sm:col-span-3">
            <FormError message={f.formError} />
          </div>
          <Field id="ct-provider_id" label="Provider" error={f.errors.provider_id}>
            <NativeSelect {...f.bind("provider_id")}>
              <option value="">Choose a verified provider…</option>
              {available.map((p) => (
                <option key={p.user_id} value={p.user_id}>
                  {p.full_name} — {p.specialty}
                </option>
              ))}
            </NativeSelect>
          </Field>
          <Field id="ct-role" label="Role" error={f.errors.role}>
            <NativeSelect {...f.bind("role")}>
              {roles.map((r) => (
                <option key={r} value={r}>{titleCase(r)}</option>
              ))}
            </NativeSelect>
          </Field>
          <Button type="submit" disabled={f.busy}>
            <UserPlusIcon aria-hidden />
            Add
          </Button>
        </form>
      )}
    </div>
  );
}
