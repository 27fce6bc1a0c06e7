import { Suspense } from "react";
import { CalendarCheckIcon, FileClockIcon, PillIcon, UsersIcon } from "lucide-react";
import { Card, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { CardsSkeleton, TableSkeleton } from "@/components/app/skeletons";
import { NewPatientDialog } from "@/components/app/new-patient-dialog";
import { PatientsTable, type PatientSort } from "@/components/app/patients-table";
import { listPatients } from "@/core/clinical/patients";
import { PATIENT_SORTS } from "@/core/clinical/patients.types";
import { getDashboardSummary } from "@/core/portal/dashboard-summary";
import { TodayAppointmentsCard } from "@/components/app/today/today-card";
import { pageViewer, type PageViewer } from "../_lib/viewer";
import { searchPatients } from "./actions";

export const metadata = { title: "Patients" };

const PAGE_SIZE = 25;

type SP = Promise<{ sort?: string; page?: string }>;

export default function PatientsPage({ searchParams }: { searchParams: SP }) {
  return (
    <div className="grid gap-6">
      <Suspense fallback={<><CardsSkeleton /><TableSkeleton /></>}>
        <Dashboard searchParams={searchParams} />
      </Suspense>
    </div>
  );
}

async function Dashboard({ searchParams }: { searchParams: SP }) {
  const pv = await pageViewer(["provider", "admin"]);
  const sp = await searchParams;
  // Only non-PHI values come from the URL: a known sort key and a page number.
  const sort: PatientSort = (PATIENT_SORTS as readonly string[]).includes(sp.sort ?? "") ? (sp.sort as PatientSort) : "name";
  const page = Math.min(40_000, Math.max(1, Math.floor(Number(sp.page) || 1)));
  return (
    <>
      <div className="flex flex-wrap items-center justify-between gap-3">
        <div>
          <h1 className="text-2xl font-semibold tracking-tight">Patients</h1>
          <p className="text-muted-foreground text-sm">
            {pv.viewer.role === "admin" ? "Every patient of the clinic." : "The patients of your care teams."}
          </p>
        </div>
        <NewPatientDialog />
      </div>
      <Suspense fallback={<CardsSkeleton />}>
        <SummaryCards pv={pv} />
      </Suspense>
      {pv.viewer.role === "provider" && (
        <Suspense fallback={<CardsSkeleton count={1} />}>
          <TodayAppointmentsCard session={pv.session} context={pv.context} />
        </Suspense>
      )}
      <Suspense fallback={<TableSkeleton />}>
        <PatientsList pv={pv} sort={sort} page={page} />
      </Suspense>
    </>
  );
}

async function SummaryCards({ pv }: { pv: PageViewer }) {
  const s = await getDashboardSummary(pv.session, pv.context);
  const cards = [
    { title: "Total Patients", value: s.totalPatients, icon: UsersIcon },
    { title: "Visits This Week", value: s.visitsThisWeek, icon: CalendarCheckIcon },
    { title: "Active Prescriptions", value: s.activePrescriptions, icon: PillIcon },
    { title: "Pending Documents", value: s.pendingDocuments, icon: FileClockIcon },
  ];
  return (
    <section aria-label="Summary" className="grid gap-4 sm:grid-cols-2 lg:grid-cols-4">
      {cards.map((c) => (
        <Card key={c.title} className="gap-2 py-4">
          <CardHeader className="px-4">
            <CardDescription className="flex items-center justify-between">
              {c.title}
              <c.icon aria-hidden className="text-primary size-4" />
            </CardDescription>
            <CardTitle className="text-3xl tabular-nums">{c.value.toLocaleString("en-US")}</CardTitle>
          </CardHeader>
        </Card>
      ))}
    </section>
  );
}

async function PatientsList({ pv, sort, page }: { pv: PageViewer; sort: PatientSort; page: number }) {
  const initial = await listPatients(pv.session, { sort, limit: PAGE_SIZE, offset: (page - 1) * PAGE_SIZE }, pv.context, { unreadMessages: true });
  return <PatientsTable initial={initial} initialSort={sort} initialPage={page} pageSize={PAGE_SIZE} search={searchPatients} />;
}
