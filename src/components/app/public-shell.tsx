import Link from "next/link";
import { HeartPulseIcon } from "lucide-react";

/** The frame of the pages outside the portal (sign-in and its kin, public verification): the name, then the page; no navigation. */
export function PublicShell({ width = "md", children }: { width?: "md" | "lg"; children: React.ReactNode }) {
  return (
    <div className="flex min-h-dvh flex-col items-center px-4 py-10">
      <Link href="/" className="mb-8 flex items-center gap-2 text-lg font-semibold">
        <HeartPulseIcon aria-hidden className="text-primary size-6" />
        Carebase
      </Link>
      <main id="main" className={width === "lg" ? "w-full max-w-lg" : "w-full max-w-md"}>
        {children}
      </main>
    </div>
  );
}
