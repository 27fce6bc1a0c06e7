import Link from "next/link";
import { HeartPulseIcon } from "lucide-react";

/** The pages of the OAuth flow an outside app sends the user through (the consent page). */
export default function OAuthLayout({ children }: { children: React.ReactNode }) {
  return (
    <div className="flex min-h-dvh flex-col items-center px-4 py-10">
      <Link href="/" className="mb-8 flex items-center gap-2 text-lg font-semibold">
        <HeartPulseIcon aria-hidden className="text-primary size-6" />
        Carebase
      </Link>
      <main id="main" className="w-full max-w-md">
        {children}
      </main>
    </div>
  );
}
