"use client";

import * as React from "react";
import type { z } from "zod";
import { Label } from "@/components/ui/label";
import { issueFields } from "@/core/http/issue-messages";
import { cn } from "@/lib/utils";

export type FieldErrors = Record<string, string | undefined>;

/** One sentence per field path ("emergency_contact.phone"), worded as the server words them. */
export function zodFieldErrors(error: z.ZodError): FieldErrors {
  return issueFields(error);
}

/**
 * A labelled form control with its validation message. The control gets the id, the
 * aria-invalid flag and aria-describedby pointing at the message, so screen readers
 * read the error with the field.
 */
export function Field({
  id,
  label,
  error,
  hint,
  className,
  required,
  children,
}: {
  id: string;
  label: React.ReactNode;
  error?: string;
  hint?: React.ReactNode;
  className?: string;
  required?: boolean;
  children: React.ReactElement<Record<string, unknown>>;
}) {
  const errorId = `${id}-error`;
  const hintId = `${id}-hint`;
  const describedBy = [error ? errorId : null, hint ? hintId : null].filter(Boolean).join(" ") || undefined;
  const control = React.cloneElement(children, {
    id,
    "aria-invalid": error ? true : undefined,
    "aria-describedby": describedBy,
    "aria-required": required || undefined,
  });
  return (
    <div className={cn("grid gap-1.5", className)}>
      <Label htmlFor={id}>
        {label}
        {required && <span aria-hidden className="text-destructive">*</span>}
      </Label>
      {control}
      {hint && !error && (
        <p id={hintId} className="text-muted-foreground text-xs">
          {hint}
        </p>
      )}
      {error && (
        <p id={errorId} className="text-destructive text-xs font-medium">
          {capitalise(error)}
        </p>
      )}
    </div>
  );
}

export function FormError({ message }: { message?: string }) {
  if (!message) return null;
  return (
    <p role="alert" className="border-destructive/30 bg-destructive/5 text-destructive rounded-md border px-3 py-2 text-sm">
      {message}
    </p>
  );
}

function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
