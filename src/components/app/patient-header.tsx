import { AlertTriangleIcon } from "lucide-react";
import { Badge } from "@/components/ui/badge";
import { Card, CardContent } from "@/components/ui/card";
import { ageFrom, formatDate, isoDate, titleCase } from "./format";

export interface PatientHeaderData {
  first_name: string;
  last_name: string;
  date_of_birth: string | Date;
  gender: string;
  blood_type: string | null;
  allergies: string[];
  mrn?: string;
}

/** Name, date of birth and age, gender, blood type, and allergies as prominent badges. */
export function PatientHeader({ patient, actions }: { patient: PatientHeaderData; actions?: React.ReactNode }) {
  const dob = isoDate(patient.date_of_birth);
  return (
    <Card className="py-5">
      <CardContent className="grid gap-3">
        <div className="flex flex-wrap items-start justify-between gap-3">
          <div>
            <h1 className="text-2xl font-semibold tracking-tight" data-testid="patient-name">
              {patient.first_name} {patient.last_name}
            </h1>
            <dl className="text-muted-foreground mt-1 flex flex-wrap gap-x-4 gap-y-1 text-sm">
              <div className="flex gap-1">
                <dt>Born</dt>
                <dd className="text-foreground">
                  {formatDate(dob)} ({ageFrom(dob)} y)
                </dd>
              </div>
              <div className="flex gap-1">
                <dt>Gender</dt>
                <dd className="text-foreground">{titleCase(patient.gender)}</dd>
              </div>
              <div className="flex gap-1">
                <dt>Blood type</dt>
                <dd className="text-foreground">{patient.blood_type ?? "Unknown"}</dd>
              </div>
              {patient.mrn && (
                <div className="flex gap-1">
                  <dt>MRN</dt>
                  <dd className="text-foreground font-mono">{patient.mrn}</dd>
                </div>
              )}
            </dl>
          </div>
          {actions && <div className="flex flex-wrap gap-2">{actions}</div>}
        </div>
        <div className="flex flex-wrap items-center gap-2" aria-label="Allergies">
          <span className="flex items-center gap-1 text-sm font-medium">
            <AlertTriangleIcon aria-hidden className="text-destructive size-4" />
            Allergies:
          </span>
          {patient.allergies.length ? (
            patient.allergies.map((a) => (
              <Badge key={a} variant="allergy" className="text-sm">
                {a}
              </Badge>
            ))
          ) : (
            <span className="text-muted-foreground text-sm">None known</span>
          )}
        </div>
      </CardContent>
    </Card>
  );
}
