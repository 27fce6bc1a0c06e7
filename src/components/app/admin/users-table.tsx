"use client";

import * as React from "react";
import { BadgeCheckIcon, LockOpenIcon, MailIcon, UserCheckIcon, UsersIcon, UserXIcon } from "lucide-react";
import { createColumnHelper, rowSortingFeature, tableFeatures, useTable, type SortingState } from "@tanstack/react-table";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { NativeSelect } from "@/components/ui/native-select";
import { CREDENTIAL_LABELS, PRESCRIBING_CREDENTIALS, PROVIDER_CREDENTIALS, type TProviderCredential } from "@/core/auth/provider-credentials";
import { ZDeactivateUserForm } from "@/core/auth/deactivate-user.types";
import { Table, TableBody, TableCell, TableRow } from "@/components/ui/table";
import { SortableHeaderRows, sortingOf, sortParamOf } from "../data-table";
import { useApiAction } from "../use-api-action";
import { EmptyState } from "../empty-state";
import { formatDate } from "../format";
import { ReasonDialog } from "../reason-dialog";
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
  /** The owner followed a link mailed to the address. */
  email_confirmed?: boolean;
  /** Invited by mail, no password chosen yet. */
  invited?: boolean;
  /** Locked after failed sign-ins until then. */
  locked_until?: string | null;
}

export type UserSort = "name" | "-name" | "email" | "-email" | "created" | "-created";

const features = tableFeatures({ rowSortingFeature });
const col = createColumnHelper<typeof features, UserRowView>();
const SORT_KEY: Record<string, "name" | "email" | "created"> = { full_name: "name", email: "email", created_at: "created" };

const toSorting = (sort: UserSort) => sortingOf(sort, SORT_KEY, "created_at");
const fromSorting = (s: SortingState) => sortParamOf<UserSort>(s, SORT_KEY, "-created", "created");

/**
 * Accounts for admins: record a provider's credential (which decides prescribing), verify
 * pending providers, send an invitation again, unlock an account locked by failed sign-ins,
 * reset another account's 2FA, deactivate with a reason (sessions die at once) or
 * reactivate. Sortable by name, email and creation when `onSort` is given (the server sorts).
 */
export function UsersTable({
  users,
  selfId,
  emptyHint,
  sort = "-created",
  onSort,
  caption,
}: {
  users: UserRowView[];
  selfId: string;
  emptyHint?: string;
  sort?: UserSort;
  onSort?: (sort: UserSort) => void;
  caption?: string;
}) {
  const { busy, run } = useApiAction();
  const act = React.useCallback((u: UserRowView, path: string, done: string) => run(u.id, path, { method: "POST", body: {} }, done), [run]);
  const setCredential = React.useCallback(
    (u: UserRowView, credential: TProviderCredential) =>
      run(u.id, `/api/v1/admin/providers/${u.id}/credential`, { method: "PUT", body: { credential } }, `${u.full_name}'s credential is now ${CREDENTIAL_LABELS[credential].toLowerCase()}.`),
    [run],
  );

  const columns = React.useMemo(
    () =>
      col.columns([
        col.accessor("full_name", { header: "Name", cell: (i) => <span className="font-medium">{i.getValue()}</span> }),
        col.accessor("email", { header: "Email", cell: (i) => <span className="break-all">{i.getValue()}</span> }),
        col.accessor("role", { header: "Role", enableSorting: false, cell: (i) => <Badge variant="secondary" className="capitalize">{i.getValue()}</Badge> }),
        col.accessor("email_confirmed", {
          header: "Email confirmed",
          enableSorting: false,
          cell: (i) => (i.getValue() ? <span>Yes</span> : <span className="text-muted-foreground">No</span>),
        }),
        col.accessor("credential", {
          header: "Credential",
          enableSorting: false,
          cell: (i) => {
            const u = i.row.original;
            if (u.role !== "provider" || !u.credential) return "—";
            return (
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
            );
          },
        }),
        col.accessor((u) => (u.role === "provider" ? `${u.license_number ?? "—"} · ${u.specialty ?? "—"}` : "—"), { id: "license", header: "License · specialty", enableSorting: false }),
        col.accessor("is_active", {
          header: "Status",
          enableSorting: false,
          cell: (i) => {
            const u = i.row.original;
            return (
              <div className="flex flex-wrap gap-1">
                {u.is_active ? <Badge variant="success">Active</Badge> : <Badge variant="muted">Deactivated</Badge>}
                {u.invited && <Badge variant="secondary">Invited</Badge>}
                {u.locked_until && <Badge variant="destructive">Locked</Badge>}
                {u.role === "provider" && !u.verified && <Badge variant="secondary">Pending verification</Badge>}
                {u.mfa_enabled && <Badge variant="outline">2FA</Badge>}
              </div>
            );
          },
        }),
        col.accessor("created_at", { header: "Created", cell: (i) => formatDate(i.getValue()) }),
        col.display({
          id: "actions",
          header: () => <span className="sr-only">Actions</span>,
          cell: (i) => {
            const u = i.row.original;
            return (
              <div className="flex flex-wrap justify-end gap-1">
                {u.role === "provider" && !u.verified && u.is_active && (
                  <Button size="sm" disabled={busy === u.id} onClick={() => void act(u, `/api/v1/admin/providers/${u.id}/verify`, `${u.full_name} is verified.`)}>
                    <BadgeCheckIcon aria-hidden />
                    Verify
                  </Button>
                )}
                {u.invited && u.is_active && (
                  <Button size="sm" variant="outline" aria-label={`Send the invitation to ${u.full_name} again`} disabled={busy === u.id} onClick={() => void act(u, `/api/v1/admin/users/${u.id}/invite`, `A new invitation is on its way to ${u.email}; the earlier link no longer works.`)}>
                    <MailIcon aria-hidden />
                    Resend invite
                  </Button>
                )}
                {u.locked_until && (
                  <Button size="sm" variant="outline" aria-label={`Unlock ${u.full_name}`} disabled={busy === u.id} onClick={() => void act(u, `/api/v1/admin/users/${u.id}/unlock`, `${u.full_name} can sign in again.`)}>
                    <LockOpenIcon aria-hidden />
                    Unlock
                  </Button>
                )}
                {u.id !== selfId && u.mfa_enabled && <ResetMfaDialog userId={u.id} name={u.full_name} />}
                {u.id !== selfId &&
                  (u.is_active ? (
                    <ReasonDialog
                      trigger={
                        <Button size="sm" variant="outline" aria-label={`Deactivate ${u.full_name}`}>
                          <UserXIcon aria-hidden />
                          Deactivate
                        </Button>
                      }
                      title={`Deactivate ${u.full_name}?`}
                      description="They are signed out everywhere at once and cannot sign in until an administrator reactivates the account. Nothing is deleted. Your reason is kept in the audit trail."
                      fieldId={`deactivate-reason-${u.id}`}
                      hint="For example: “Left the clinic on 30 November”."
                      maxLength={500}
                      rows={2}
                      schema={ZDeactivateUserForm}
                      path={`/api/v1/admin/users/${u.id}/deactivate`}
                      method="POST"
                      confirmLabel="Deactivate"
                      busyLabel="Deactivating…"
                      successMessage={`${u.full_name} is deactivated and signed out.`}
                    />
                  ) : (
                    <Button size="sm" variant="outline" aria-label={`Reactivate ${u.full_name}`} disabled={busy === u.id} onClick={() => void act(u, `/api/v1/admin/users/${u.id}/activate`, `${u.full_name} is active again.`)}>
                      <UserCheckIcon aria-hidden />
                      Reactivate
                    </Button>
                  ))}
              </div>
            );
          },
        }),
      ]),
    [busy, act, setCredential, selfId],
  );

  const sorting = React.useMemo(() => toSorting(sort), [sort]);
  const table = useTable({
    features,
    columns,
    data: users,
    manualSorting: true,
    enableSortingRemoval: false,
    enableSorting: !!onSort,
    state: { sorting },
    onSortingChange: (updater) => {
      const next = typeof updater === "function" ? updater(sorting) : updater;
      onSort?.(fromSorting(next));
    },
    getRowId: (r) => r.id,
  });

  if (users.length === 0) {
    return <EmptyState icon={UsersIcon} title="No accounts match">{emptyHint ?? "Providers appear here when they sign up; patients when they accept an invitation."}</EmptyState>;
  }

  return (
    <div className="bg-card rounded-lg border">
      <Table>
        {caption && <caption className="sr-only">{caption}</caption>}
        <SortableHeaderRows groups={table.getHeaderGroups()} sortable={!!onSort} render={(header) => <table.FlexRender header={header} />} />
        <TableBody>
          {table.getRowModel().rows.map((row) => (
            <TableRow key={row.id} data-testid={`user-${row.original.email}`}>
              {row.getAllCells().map((cell) => (
                <TableCell key={cell.id}>
                  <table.FlexRender cell={cell} />
                </TableCell>
              ))}
            </TableRow>
          ))}
        </TableBody>
      </Table>
    </div>
  );
}
