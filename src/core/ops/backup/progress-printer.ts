import type { RestoreProgress } from "./restore-backup";
import type { BackupProgress } from "./write-backup";

const MB = 1024 * 1024;
const mb = (n: number) => `${(n / MB).toFixed(1)} MB`;
const count = (n: number) => n.toLocaleString("en-US");

export function describeBackupProgress(p: BackupProgress): string {
  const objects = `objects ${count(p.objects)}${p.objectsListed ? `/${count(p.objectsListed)}+` : ""} (${mb(p.objectBytes)})`;
  const db = p.tables ? `tables ${p.tablesDone}/${p.tables}, ${count(p.rows)} rows${p.table ? ` (${p.table})` : ""}` : "tables not yet";
  return `${p.phase}: ${objects}; ${db}; ${mb(p.bytes)} written`;
}

export function describeRestoreProgress(p: RestoreProgress): string {
  const db = p.tables ? `tables ${p.tablesDone}/${p.tables}, ${count(p.rows)} rows${p.table ? ` (${p.table})` : ""}` : "tables not yet";
  return `${p.phase}: objects ${count(p.objects)} (${mb(p.objectBytes)}); ${db}; ${mb(p.bytesRead)} read`;
}

/**
 * Progress of a long command on stderr (stdout may carry the backup itself): one line
 * rewritten in place on a terminal, otherwise a line at each phase and every 5 seconds.
 * Counts and sizes only, never names.
 */
export function progressPrinter<P extends { phase: string }>(label: string, describe: (p: P) => string, stream: NodeJS.WriteStream = process.stderr) {
  const tty = stream.isTTY === true;
  let last = 0;
  let phase = "";
  let shown = false;
  return {
    update(p: P): void {
      const now = Date.now();
      const changed = p.phase !== phase;
      if (!changed && now - last < (tty ? 200 : 5000)) return;
      phase = p.phase;
      last = now;
      const line = `${label}: ${describe(p)}`;
      if (tty) {
        stream.write(`\r\x1b[2K${line}`);
        shown = true;
      } else stream.write(`${line}\n`);
    },
    /** Ends the in-place line before other output. */
    end(): void {
      if (tty && shown) stream.write("\n");
      shown = false;
    },
  };
}
