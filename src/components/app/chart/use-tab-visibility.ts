"use client";

import * as React from "react";

/** Whether the tab panel around `ref` is the selected one (Radix sets data-state). */
export function useTabActive(ref: React.RefObject<HTMLElement | null>): boolean {
  const [active, setActive] = React.useState(false);
  React.useEffect(() => {
    const panel = ref.current?.closest<HTMLElement>('[role="tabpanel"]');
    if (!panel) {
      setActive(true);
      return;
    }
    const read = () => setActive(panel.dataset.state === "active");
    read();
    const mo = new MutationObserver(read);
    mo.observe(panel, { attributes: true, attributeFilter: ["data-state"] });
    return () => mo.disconnect();
  }, [ref]);
  return active;
}

/** Whether the browser tab is visible (the Page Visibility API). */
export function usePageVisible(): boolean {
  return React.useSyncExternalStore(
    (fn) => {
      document.addEventListener("visibilitychange", fn);
      return () => document.removeEventListener("visibilitychange", fn);
    },
    () => document.visibilityState === "visible",
    () => true,
  );
}
