import { PublicShell } from "@/components/app/public-shell";

/** The pages of the OAuth flow an outside app sends the user through (the consent page): the public frame. */
export default function OAuthLayout({ children }: { children: React.ReactNode }) {
  return <PublicShell>{children}</PublicShell>;
}
