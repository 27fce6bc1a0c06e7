"use client";

import { BadgeCheckIcon, UserXIcon, UserCheckIcon, UsersIcon } from "lucide-react";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { NativeSelect } from "@/components/ui/native-select";
import { CREDENTIAL_LABELS, PRESCRIBING_CREDENTIALS, PROVIDER_CREDENTIALS, type TProviderCredential } from "@/core/auth/provider-credentials";
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from "@/components/ui/table";
import { useApiAction } from "../use-api-action";
import { EmptyState } from "../empty-state";
import { formatDate } from "../format";
import { useTimeZone } from "../time-zone";
import { ResetMfaDialog } from "./reset-mfa-dialog";

export interface UserRowView {
  id: string;
  email: string;
  role: string;
  full_name: string;
  is_active: boolean;
  verified: boolean;
  mfa_enabled: boolean;
  credential?: TProviderCredential | null;
  license_number: string | null;
  specialty: string | null;
  created_at: string;
}

/** Accounts for admins: record a provider's credential (which decides prescribing), verify pending providers, reset another account's 2FA, deactivate (sessions die at once) or reactivate. */
export function UsersTable({ users, selfId, emptyHint }: { users: UserRowView[]; selfId: string; emptyHint?: string }) {
  const { busy, run } = useApiAction();
  const timeZone = useTimeZone();
  if (users.length === 0) {
    return <EmptyState icon={UsersIcon} title="No accounts match">{emptyHint ?? "Providers appear here when they sign up; patients when they accept an invitation."}</EmptyState>;
  }

  const act = (u: UserRowView, path: string, done: string) => run(u.id, path, { method: "POST", body: {} }, done);
  const setCredential = (u: UserRowView, credential: TProviderCredential) =>
    run(u.id, `/api/v1/admin/providers/${u.id}/credential`, { method: "PUT", body: { credential } }, `${u.full_name}'s credential is now ${CREDENTIAL_LABELS[credential].toLowerCase()}.`);

  return (
    <div className="bg-card rounded-lg border">
      <Table>
        <TableHeader>
          <TableRow>
            <TableHead>Name</TableHead>
            <TableHead>Email</TableHead>
            <TableHead>Role</TableHead>
            <TableHead>Credential</TableHead>
            <TableHead>License · specialty</TableHead>
            <TableHead>Status</TableHead>
            <TableHead>Created</TableHead>
            <TableHead><span className="sr-only">Actions</span></TableHead>
          </TableRow>
        </TableHeader>
        <TableBody>
          {users.map((u) => (
            <TableRow key={u.id} data-testid={`user-${u.email}`}>
              <TableCell className="font-medium">{u.full_name}</TableCell>
              <TableCell>{u.email}</TableCell>
              <TableCell><Badge variant="secondary" className="capitalize">{u.role}</Badge></TableCell>
              <TableCell>
                {u.role === "provider" && u.credential ? (
                  <NativeSelect
                    aria-label={`Credential of ${u.full_name}`}
                    value={u.credential}
                    disabled={busy === u.id}
                    onChange={(e) => void setCredential(u, e.target.value as TProviderCredential)}
                    className="min-w-44"
                  >
                    {PROVIDER_CREDENTIALS.map((c) => (
                      <option key={c} value={c}>
                        {CREDENTIAL_LABELS[c]}{PRESCRIBING_CREDENTIALS.includes(c) ? " (prescribes)" : ""}
                      </option>
                    ))}
                  </NativeSelect>
                ) : (
                  "—"
                )}
              </TableCell>
              <TableCell>{u.role === "provider" ? `${u.license_number ?? "—"} · ${u.specialty ?? "—"}` : "—"}</TableCell>
              <TableCell>
                <div className="flex flex-wrap gap-1">
                  {u.is_active ? <Badge variant="success">Active</Badge> : <Badge variant="muted">Deactivated</Badge>}
                  {u.role === "provider" && !u.verified && <Badge variant="secondary">Pending verification</Badge>}
                  {u.mfa_enabled && <Badge variant="outline">2FA</Badge>}
                </div>
              </TableCell>
              <TableCell>{formatDate(u.created_at, timeZone)}</TableCell>
              <TableCell>
                <div className="flex flex-wrap justify-end gap-1">
                  {u.role === "provider" && !u.verified && u.is_active && (
                    <Button size="sm" disabled={busy === u.id} onClick={() => void act(u, `/api/v1/admin/providers/${u.id}/verify`, `${u.full_name} is verified.`)}>
                      <BadgeCheckIcon aria-hidden />
                      Verify
                    </Button>
                  )}
                  {u.id !== selfId && u.mfa_enabled && <ResetMfaDialog userId={u.id} name={u.full_name} />}
                  {u.id !== selfId &&
                    (u.is_active ? (
                      <Button size="sm" variant="outline" disabled={busy === u.id} onClick={() => void act(u, `/api/v1/admin/users/${u.id}/deactivate`, `${u.full_name} is deactivated and signed out.`)}>
                        <UserXIcon aria-hidden />
                        Deactivate
                      </Button>
                    ) : (
                      <Button size="sm" variant="outline" disabled={busy === u.id} onClick={() => void act(u, `/api/v1/admin/users/${u.id}/activate`, `${u.full_name} is active again.`)}>
                        <UserCheckIcon aria-hidden />
                        Reactivate
                      </Button>
                    ))}
                </div>
              </TableCell>
            </TableRow>
          ))}
        </TableBody>
      </Table>
    </div>
  );
}
