import Link from "next/link";
import { HeartPulseIcon } from "lucide-react";

/** The public verification pages' frame: no portal navigation, no account. */
export function Shell({ children }: { children: React.ReactNode }) {
  return (
    <div className="flex min-h-dvh flex-col items-center px-4 py-10">
      <Link href="/" className="mb-8 flex items-center gap-2 text-lg font-semibold">
        <HeartPulseIcon aria-hidden className="text-primary size-6" />
        Carebase
      </Link>
      <main id="main" className="w-full max-w-lg">
        {children}
      </main>
    </div>
  );
}
