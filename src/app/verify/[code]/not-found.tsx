import { SearchXIcon } from "lucide-react";
import { Card, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { Shell } from "./verify-shell";

export const metadata = { title: "Prescription not found" };

/** One answer for an unknown code and a malformed one: nothing tells them apart. */
export default function VerifyNotFound() {
  return (
    <Shell>
      <Card data-testid="verify-not-found">
        <CardHeader>
          <CardTitle className="flex items-center gap-2 text-xl">
            <SearchXIcon aria-hidden className="text-muted-foreground size-6 shrink-0" />
            <h1>No prescription matches this code</h1>
          </CardTitle>
          <CardDescription>
            Check the code printed under the QR code on the prescription (12 letters and digits, such as 7K2M-9QXD-4HTB). If it still does not match, the paper may not come from this clinic: contact the clinic before dispensing.
          </CardDescription>
        </CardHeader>
      </Card>
    </Shell>
  );
}
