import { FileDownIcon, FileJson2Icon } from "lucide-react";
import { Button } from "@/components/ui/button";

/**
 * "Download my record": the whole record as a FHIR file (for another clinic or an app) and
 * a readable PDF summary. Plain links: the browser downloads with the session cookie.
 */
export function DownloadMyRecord() {
  return (
    <div role="group" aria-label="Download my record" className="flex flex-wrap gap-2">
      <Button asChild variant="outline" size="sm">
        <a href="/my-records/download/pdf" download="my-record-summary.pdf">
          <FileDownIcon aria-hidden />
          Record summary (PDF)
        </a>
      </Button>
      <Button asChild variant="outline" size="sm">
        <a href="/my-records/download/fhir" download="my-record.json">
          <FileJson2Icon aria-hidden />
          Full record (FHIR file)
        </a>
      </Button>
    </div>
  );
}
