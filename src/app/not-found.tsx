import Link from "next/link";
import { FileQuestionIcon } from "lucide-react";
import { Button } from "@/components/ui/button";

export const metadata = { title: "Not found" };

/**
 * One page for "does not exist" and "not yours to see": the two must look the same,
 * so it never names what was asked for.
 */
export default function NotFound() {
  return (
    <div className="flex min-h-[60dvh] flex-col items-center justify-center gap-4 px-4 text-center" data-testid="not-found">
      <FileQuestionIcon aria-hidden className="text-muted-foreground size-10" />
      <h1 className="text-2xl font-semibold">Page not found</h1>
      <p className="text-muted-foreground max-w-md">
        This page does not exist, or you do not have access to it. If you think you should, ask your clinic&apos;s administrator.
      </p>
      <Button asChild variant="outline">
        <Link href="/">Go to the start page</Link>
      </Button>
    </div>
  );
}
