import Link from "next/link";
import { HeartPulseIcon } from "lucide-react";
import { ShareViewer } from "@/components/app/sharing/share-viewer";

export const metadata = { title: "Shared record", referrer: "no-referrer" };

/**
 * The recipient's page for a patient's sharing link (docs/sharing.md). No account: the link's
 * token is read from the fragment (never sent in a URL), the code is typed here, and both go
 * to POST /api/v1/shares/open. Nothing else in Carebase is reachable with them.
 */
export default function SharePage() {
  return (
    <div className="flex min-h-dvh flex-col items-center px-4 py-10">
      <Link href="/" prefetch={false} className="mb-8 flex items-center gap-2 text-lg font-semibold">
        <HeartPulseIcon aria-hidden className="text-primary size-6" />
        Carebase
      </Link>
      <main id="main" className="w-full max-w-3xl">
        <ShareViewer />
      </main>
    </div>
  );
}
