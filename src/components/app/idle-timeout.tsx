"use client";

import * as React from "react";
import { Button } from "@/components/ui/button";
import { Dialog, DialogContent, DialogDescription, DialogFooter, DialogHeader, DialogTitle } from "@/components/ui/dialog";
import { api } from "./api-client";
import { signOut } from "./sign-out-button";

const STORAGE_KEY = "carebase.lastActivity";
const ACTIVITY_EVENTS = ["pointerdown", "keydown", "wheel", "touchstart", "scroll"] as const;

/**
 * Staff inactivity: after `minutes` without input the session is signed out; a dialog
 * warns one minute before. Activity in any tab of the portal counts (localStorage).
 * This is a UX guard: the server's session lifetime is the real limit.
 */
export function IdleTimeout({ minutes, warnSeconds: warnGiven = 60 }: { minutes: number; warnSeconds?: number }) {
  const limitMs = minutes * 60_000;
  // One minute's warning, or half the limit when the limit is shorter than two minutes.
  const warnSeconds = Math.min(warnGiven, limitMs / 2000);
  const [secondsLeft, setSecondsLeft] = React.useState<number | null>(null);
  const signingOut = React.useRef(false);

  React.useEffect(() => {
    let last = Date.now();
    const mark = () => {
      last = Date.now();
      try {
        localStorage.setItem(STORAGE_KEY, String(last));
      } catch {
        /* private mode */
      }
    };
    let lastMark = 0;
    const onActivity = () => {
      // Once the warning shows, only the dialog's button keeps the session.
      if (document.querySelector("[data-idle-warning]")) return;
      const now = Date.now();
      if (now - lastMark > 5_000) {
        lastMark = now;
        mark();
      } else last = now;
    };
    mark();
    for (const e of ACTIVITY_EVENTS) window.addEventListener(e, onActivity, { passive: true });
    const onStorage = (e: StorageEvent) => {
      if (e.key === STORAGE_KEY && e.newValue) last = Math.max(last, Number(e.newValue));
    };
    window.addEventListener("storage", onStorage);
    const tick = window.setInterval(() => {
      const remaining = limitMs - (Date.now() - last);
      if (remaining <= 0) {
        if (!signingOut.current) {
          signingOut.current = true;
          void signOut("idle");
        }
        return;
      }
      setSecondsLeft(remaining <= warnSeconds * 1000 ? Math.ceil(remaining / 1000) : null);
    }, 1000);
    (window as unknown as { __carebaseIdleMark?: () => void }).__carebaseIdleMark = mark;
    return () => {
      for (const e of ACTIVITY_EVENTS) window.removeEventListener(e, onActivity);
      window.removeEventListener("storage", onStorage);
      window.clearInterval(tick);
    };
  }, [limitMs, warnSeconds]);

  const stay = () => {
    (window as unknown as { __carebaseIdleMark?: () => void }).__carebaseIdleMark?.();
    setSecondsLeft(null);
    // Tell the server too: it ends sessions idle for as long (and the proxy refreshes the cookie).
    void api("/api/v1/auth/user");
  };

  return (
    <Dialog open={secondsLeft !== null} onOpenChange={(open) => !open && stay()}>
      <DialogContent data-idle-warning showCloseButton={false}>
        <DialogHeader>
          <DialogTitle>Are you still there?</DialogTitle>
          <DialogDescription>
            For patients&apos; privacy you will be signed out in {secondsLeft ?? 0} second{secondsLeft === 1 ? "" : "s"} because of inactivity.
          </DialogDescription>
        </DialogHeader>
        <DialogFooter>
          <Button variant="outline" onClick={() => void signOut()}>
            Sign out now
          </Button>
          <Button onClick={stay} autoFocus>
            Stay signed in
          </Button>
        </DialogFooter>
      </DialogContent>
    </Dialog>
  );
}
