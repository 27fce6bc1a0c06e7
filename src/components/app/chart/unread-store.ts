"use client";

import * as React from "react";

// The viewer's unread care-team messages per patient, shared by the chart's Messages tab
// trigger and the panel (which keeps it live). One store per browser tab.

const unreadByPatient = new Map<string, number>();
const unreadListeners = new Set<() => void>();

export function getUnread(patientId: string): number | undefined {
  return unreadByPatient.get(patientId);
}

export function setUnread(patientId: string, n: number): void {
  if (unreadByPatient.get(patientId) === n) return;
  unreadByPatient.set(patientId, n);
  for (const fn of [...unreadListeners]) fn();
}

function subscribeUnread(fn: () => void): () => void {
  unreadListeners.add(fn);
  return () => unreadListeners.delete(fn);
}

/** The unread count of one patient's channel; `initial` (the server's count) until the store knows better. */
export function useUnread(patientId: string, initial: number): number {
  return React.useSyncExternalStore(
    subscribeUnread,
    () => unreadByPatient.get(patientId) ?? initial,
    () => initial,
  );
}
