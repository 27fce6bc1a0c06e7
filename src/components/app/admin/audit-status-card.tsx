import { ShieldAlertIcon, ShieldCheckIcon, ShieldQuestionIcon } from "lucide-react";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import type { AuditStatus } from "@/core/audit/audit-status";
import { LocalTime } from "../local-time";

/** The core's quick check of the trail, as getAuditStatus answers it. */
export type AuditStatusView = AuditStatus;

const n = (x: number) => x.toLocaleString("en-US");

/**
 * The integrity card: the quick check the page can afford (the newest signed checkpoint of
 * each chain and the guard triggers) and how to run the full walk.
 */
export function AuditStatusCard({ status }: { status: AuditStatusView }) {
  const broken = status.problems.length > 0;
  const unsigned = status.lastCheckpointAt === null;
  const Icon = broken ? ShieldAlertIcon : unsigned ? ShieldQuestionIcon : ShieldCheckIcon;
  const title = broken ? "Integrity problem found" : unsigned ? "No checkpoint signed yet" : "Checkpoints intact";
  return (
    <Card className={broken ? "border-destructive gap-3" : "gap-3"} aria-labelledby="audit-status-title" data-testid="audit-status">
      <CardHeader>
        <div className="flex items-center gap-3">
          <Icon aria-hidden className={broken ? "text-destructive size-6" : unsigned ? "text-muted-foreground size-6" : "text-success size-6"} />
          <div>
            <CardTitle><h2 id="audit-status-title">{title}</h2></CardTitle>
            <CardDescription>
              {unsigned ? (
                "The server signs the chain heads every minute; the first checkpoint appears shortly after the first records."
              ) : (
                <>
                  Last checkpoint <LocalTime value={status.lastCheckpointAt!} />, {n(status.chainsSigned)} of {n(status.chainsInUse)} chains signed.
                </>
              )}
            </CardDescription>
          </div>
        </div>
      </CardHeader>
      <CardContent className="grid gap-3 text-sm">
        <dl className="grid grid-cols-2 gap-x-6 gap-y-1 sm:flex sm:flex-wrap">
          <div>
            <dt className="text-muted-foreground">Records in the trail</dt>
            <dd className="font-medium tabular-nums">{n(status.records)}</dd>
          </div>
          <div>
            <dt className="text-muted-foreground">Not yet checkpointed</dt>
            <dd className="font-medium tabular-nums">{n(status.recordsSinceCheckpoint)}</dd>
          </div>
        </dl>
        {broken && (
          <ul className="text-destructive grid list-disc gap-1 pl-5" aria-label="Problems found">
            {status.problems.map((p) => (
              <li key={p}>{p}</li>
            ))}
          </ul>
        )}
        <p className="text-muted-foreground">
          This card checks each chain&apos;s newest signed checkpoint and the append-only triggers. The full check recomputes
          every record&apos;s hash and link: run <code className="bg-muted rounded px-1 py-0.5 font-mono text-xs">npm run audit:verify</code> on
          the server (stop the server first on the embedded database); it exits 0 when the trail is intact and names the first
          broken record otherwise.
        </p>
      </CardContent>
    </Card>
  );
}
