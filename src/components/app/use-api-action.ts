"use client";

import * as React from "react";
import { useRouter } from "next/navigation";
import { toast } from "sonner";
import { api, type ApiInit } from "./api-client";

/**
 * A one-click API action on a row (stop, review, remove…): remembers which row is busy, and
 * answers with a toast — the success message, or the server's message — and, on success, a
 * refresh of the page's server data. `run` resolves true on success.
 */
export function useApiAction<K extends string = string>() {
  const router = useRouter();
  const [busy, setBusy] = React.useState<K | null>(null);

  async function run(key: K, path: string, init: ApiInit, success: string): Promise<boolean> {
    setBusy(key);
    const r = await api(path, init);
    setBusy(null);
    if (!r.ok) {
      toast.error(r.error.message);
      return false;
    }
    toast.success(success);
    router.refresh();
    return true;
  }

  return { busy, run };
}
