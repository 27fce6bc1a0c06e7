import { Suspense } from "react";
import { InboxIcon, MailWarningIcon } from "lucide-react";
import { Alert, AlertDescription, AlertTitle } from "@/components/ui/alert";
import { Badge } from "@/components/ui/badge";
import { Table, TableBody, TableCaption, TableCell, TableHead, TableHeader, TableRow } from "@/components/ui/table";
import { EmptyState } from "@/components/app/empty-state";
import { LocalTime } from "@/components/app/local-time";
import { TableSkeleton } from "@/components/app/skeletons";
import { listOutbox, type OutboxEntry } from "@/core/mail/list-outbox";
import { pageViewer } from "../../_lib/viewer";
import { MfaRequired } from "../_mfa-gate";
import { adminMetadata, adminOnly } from "../_admin-only";

export const generateMetadata = adminMetadata("Outbox");

export default async function OutboxPage() {
  await adminOnly(); // before anything of the page renders
  return (
    <div className="grid min-w-0 gap-6">
      <div>
        <h1 className="text-2xl font-semibold tracking-tight">Outbox</h1>
        <p className="text-muted-foreground text-sm">Mail the portal sends: password resets and security notices. Mail never carries clinical details.</p>
      </div>
      <Suspense fallback={<TableSkeleton />}>
        <Outbox />
      </Suspense>
    </div>
  );
}

const STATUS: Record<OutboxEntry["status"], { label: string; variant: "success" | "secondary" | "destructive" | "outline" }> = {
  sent: { label: "Sent", variant: "success" },
  pending: { label: "Waiting to send", variant: "secondary" },
  held: { label: "Held (not sent)", variant: "outline" },
  failed: { label: "Failed", variant: "destructive" },
};

const KIND: Record<OutboxEntry["kind"], string> = {
  password_reset: "Password reset link",
  password_changed: "Password changed",
  mfa_enabled: "Two-factor sign-in turned on",
  mfa_reset: "Two-factor sign-in reset",
  sign_up_duplicate: "Sign-up with a registered address",
  verify_email: "Email confirmation link",
  staff_invite: "Staff invitation",
  patient_invite: "Patient portal invitation",
  emergency_access: "Emergency access (care team notice)",
  appointment_booked: "Appointment booked (notice)",
  appointment_changed: "Appointment changed (notice)",
  appointment_cancelled: "Appointment cancelled (notice)",
  appointment_reminder: "Appointment reminder",
  document_added: "New document (notice)",
};

async function Outbox() {
  const { session, viewer, context } = await pageViewer(["admin"]);
  if (session.aal !== "aal2") return <MfaRequired enabled={viewer.mfaEnabled} />;
  const { delivery, entries } = await listOutbox(session, context);
  return (
    <>
      {delivery === "held" && (
        <Alert data-testid="outbox-held">
          <MailWarningIcon aria-hidden />
          <AlertTitle>Mail is not being sent</AlertTitle>
          <AlertDescription>
            No mail server is set up (SMTP_URL), so mail is kept here instead of being sent. People who ask for a password reset
            will not receive the link. Ask whoever runs the server to set SMTP_URL and MAIL_FROM (see docs/mail.md).
          </AlertDescription>
        </Alert>
      )}
      {entries.length === 0 ? (
        <EmptyState icon={InboxIcon} title="No mail yet">Password resets and security notices will be listed here.</EmptyState>
      ) : (
        <Table>
          <TableCaption>
            {entries.length === 1 ? "The newest mail." : `The newest ${entries.length} mails.`} The content of a mail is never shown here.
          </TableCaption>
          <TableHeader>
            <TableRow>
              <TableHead scope="col">Created</TableHead>
              <TableHead scope="col">To</TableHead>
              <TableHead scope="col">Mail</TableHead>
              <TableHead scope="col">Status</TableHead>
              <TableHead scope="col">Attempts</TableHead>
              <TableHead scope="col">Last problem</TableHead>
            </TableRow>
          </TableHeader>
          <TableBody>
            {entries.map((m) => (
              <TableRow key={m.id} data-testid="outbox-row">
                <TableCell><LocalTime value={m.created_at} /></TableCell>
                <TableCell className="break-all">{m.to_address}</TableCell>
                <TableCell>{KIND[m.kind]}</TableCell>
                <TableCell>
                  <Badge variant={STATUS[m.status].variant}>{STATUS[m.status].label}</Badge>
                  {m.status === "sent" && m.sent_at && <span className="text-muted-foreground block text-xs"><LocalTime value={m.sent_at} /></span>}
                  {m.status === "pending" && m.attempts > 0 && (
                    <span className="text-muted-foreground block text-xs">next try <LocalTime value={m.next_attempt_at} /></span>
                  )}
                </TableCell>
                <TableCell>{m.attempts}</TableCell>
                <TableCell className="text-muted-foreground max-w-xs text-xs break-words">{m.last_error ?? "—"}</TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      )}
    </>
  );
}
