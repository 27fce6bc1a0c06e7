import { PublicShell } from "@/components/app/public-shell";

/** The public verification pages' frame: no portal navigation, no account. */
export function Shell({ children }: { children: React.ReactNode }) {
  return <PublicShell width="lg">{children}</PublicShell>;
}
