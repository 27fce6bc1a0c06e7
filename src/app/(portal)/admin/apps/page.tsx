import { Suspense } from "react";
import { BlocksIcon } from "lucide-react";
import { Badge } from "@/components/ui/badge";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { Table, TableBody, TableCaption, TableCell, TableHead, TableHeader, TableRow } from "@/components/ui/table";
import { EmptyState } from "@/components/app/empty-state";
import { LocalTime } from "@/components/app/local-time";
import { TableSkeleton } from "@/components/app/skeletons";
import { listApps } from "@/core/smart/list-apps";
import { pageViewer } from "../../_lib/viewer";
import { MfaRequired } from "../_mfa-gate";
import { adminMetadata, adminOnly } from "../_admin-only";
import { AppToggle, RegisterAppForm } from "./app-forms";

export const generateMetadata = adminMetadata("Outside apps");

export default async function AppsPage() {
  await adminOnly(); // before anything of the page renders
  return (
    <div className="grid min-w-0 gap-6">
      <div>
        <h1 className="text-2xl font-semibold tracking-tight">Outside apps</h1>
        <p className="text-muted-foreground text-sm">
          Apps patients and staff may connect to their record through SMART on FHIR. An app reads only what its user may read,
          narrowed to the scopes the user approves.
        </p>
      </div>
      <Suspense fallback={<TableSkeleton />}>
        <Apps />
      </Suspense>
    </div>
  );
}

async function Apps() {
  const { session, viewer, context } = await pageViewer(["admin"]);
  if (session.aal !== "aal2") return <MfaRequired enabled={viewer.mfaEnabled} />;
  const apps = await listApps(session, context);
  return (
    <>
      {apps.length === 0 ? (
        <EmptyState icon={BlocksIcon} title="No apps registered">Register an app below to let people connect it.</EmptyState>
      ) : (
        <Table>
          <TableCaption>Registered apps, newest first.</TableCaption>
          <TableHeader>
            <TableRow>
              <TableHead scope="col">App</TableHead>
              <TableHead scope="col">Client id</TableHead>
              <TableHead scope="col">Redirect URIs</TableHead>
              <TableHead scope="col">Allowed scopes</TableHead>
              <TableHead scope="col">Status</TableHead>
              <TableHead scope="col"><span className="sr-only">Actions</span></TableHead>
            </TableRow>
          </TableHeader>
          <TableBody>
            {apps.map((a) => (
              <TableRow key={a.client_id} data-testid="app-row">
                <TableCell>
                  <span className="font-medium">{a.name}</span>
                  <span className="text-muted-foreground block text-xs">
                    {a.confidential ? "Confidential" : "Public"} · registered <LocalTime value={a.created_at} />
                  </span>
                </TableCell>
                <TableCell className="font-mono text-xs break-all">{a.client_id}</TableCell>
                <TableCell className="text-xs break-all">{a.redirect_uris.join(", ")}</TableCell>
                <TableCell className="max-w-xs font-mono text-xs break-words">{a.scopes.join(" ")}</TableCell>
                <TableCell>
                  <Badge variant={a.disabled ? "outline" : "success"}>{a.disabled ? "Disabled" : "Enabled"}</Badge>
                </TableCell>
                <TableCell>
                  <AppToggle clientId={a.client_id} name={a.name} disabled={a.disabled} />
                </TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      )}
      <Card>
        <CardHeader>
          <CardTitle>
            <h2>Register an app</h2>
          </CardTitle>
          <CardDescription>The app&apos;s developer gives you its name and redirect URIs. A confidential app gets a secret, shown once.</CardDescription>
        </CardHeader>
        <CardContent>
          <RegisterAppForm />
        </CardContent>
      </Card>
    </>
  );
}
