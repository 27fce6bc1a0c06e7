import Link from "next/link";
import { Suspense } from "react";
import { BlocksIcon, MailIcon, ScrollTextIcon, SirenIcon, UsersIcon, UsersRoundIcon } from "lucide-react";
import { Card, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { PageSkeleton } from "@/components/app/skeletons";
import { countUnreviewedEmergencyGrants } from "@/core/emergency/emergency-access";
import { pageViewer } from "../_lib/viewer";
import { adminMetadata, adminOnly } from "./_admin-only";

export const generateMetadata = adminMetadata("Administration");

const SECTIONS = [
  { href: "/admin/users", title: "Users", text: "Verify providers, deactivate and reactivate accounts.", icon: UsersIcon },
  { href: "/patients", title: "Care teams", text: "Open a patient's chart, then its Care team tab, to add or remove providers.", icon: UsersRoundIcon },
  { href: "/admin/audit", title: "Audit trail", text: "Who read or changed which record, when and from where.", icon: ScrollTextIcon },
  { href: "/admin/outbox", title: "Outbox", text: "Password resets and security notices: sent, waiting, held or failed.", icon: MailIcon },
  { href: "/admin/apps", title: "Outside apps", text: "Register SMART on FHIR apps people may connect to their record; disable them.", icon: BlocksIcon },
];

export default async function AdminPage() {
  await adminOnly(); // before anything of the page renders
  return (
    <Suspense fallback={<PageSkeleton />}>
      <Admin />
    </Suspense>
  );
}

async function Admin() {
  const { session, context } = await pageViewer(["admin"]);
  // break-the-glass grants nobody has reviewed yet (admin pages need aal2; the count too)
  const unreviewed = session.aal === "aal2" ? await countUnreviewedEmergencyGrants(session, context) : null;
  const sections = [
    ...SECTIONS,
    {
      href: "/admin/emergency-access",
      title: "Emergency access",
      text: unreviewed === null ? "Break-the-glass accesses to review." : unreviewed === 0 ? "Nothing to review." : `${unreviewed} break-the-glass ${unreviewed === 1 ? "access" : "accesses"} to review.`,
      icon: SirenIcon,
    },
  ];
  return (
    <div className="grid gap-6">
      <h1 className="text-2xl font-semibold tracking-tight">Administration</h1>
      <ul className="grid gap-4 md:grid-cols-3">
        {sections.map((s) => (
          <li key={s.href}>
            <Link href={s.href} prefetch={false} className="block h-full rounded-xl focus-visible:outline-2">
              <Card className="hover:border-primary h-full transition-colors">
                <CardHeader>
                  <s.icon aria-hidden className="text-primary mb-2 size-6" />
                  <CardTitle><h2>{s.title}</h2></CardTitle>
                  <CardDescription>{s.text}</CardDescription>
                </CardHeader>
              </Card>
            </Link>
          </li>
        ))}
      </ul>
    </div>
  );
}
