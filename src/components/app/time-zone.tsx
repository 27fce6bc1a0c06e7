"use client";

import * as React from "react";

const TimeZoneContext = React.createContext<string>("UTC");

/**
 * The clinic's time zone for every client component below the root layout, which reads
 * CLINIC_TIME_ZONE on the server. Times are formatted in this zone on both sides, never in
 * the browser's own zone, so the server's HTML and the first client render agree.
 */
export function TimeZoneProvider({ timeZone, children }: { timeZone: string; children: React.ReactNode }) {
  return <TimeZoneContext.Provider value={timeZone}>{children}</TimeZoneContext.Provider>;
}

/** The clinic's IANA time zone ("UTC" outside a provider, e.g. in unit tests). */
export function useTimeZone(): string {
  return React.useContext(TimeZoneContext);
}
