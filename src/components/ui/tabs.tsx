"use client";

import * as React from "react";
import { Tabs as TabsPrimitive } from "radix-ui";
import { cn } from "@/lib/utils";

function Tabs({ className, ...props }: React.ComponentProps<typeof TabsPrimitive.Root>) {
  return <TabsPrimitive.Root data-slot="tabs" className={cn("flex flex-col gap-3", className)} {...props} />;
}
/**
 * Scrolls the list sideways (only: never the page) so the active trigger is in view. At
 * 360 px a chart's tabs overflow, and the active one could otherwise sit out of sight.
 */
function revealActiveTab(list: HTMLElement) {
  if (list.scrollWidth <= list.clientWidth) return;
  const active = list.querySelector<HTMLElement>('[role="tab"][data-state="active"]');
  if (!active) return;
  const box = list.getBoundingClientRect();
  const tab = active.getBoundingClientRect();
  const margin = 4; // keeps the trigger's focus ring inside the visible part
  if (tab.left < box.left + margin) list.scrollLeft -= box.left + margin - tab.left;
  else if (tab.right > box.right - margin) list.scrollLeft += tab.right - (box.right - margin);
}

function TabsList({ className, ref, ...props }: React.ComponentProps<typeof TabsPrimitive.List>) {
  const listRef = React.useRef<HTMLDivElement>(null);
  React.useImperativeHandle(ref, () => listRef.current as HTMLDivElement, []);
  React.useEffect(() => {
    const list = listRef.current;
    if (!list) return;
    revealActiveTab(list);
    // The active trigger changes (click, arrow keys, a parent's value) and the list's width
    // changes (rotation, window resize): both can hide it.
    const onChange = () => revealActiveTab(list);
    const mutations = new MutationObserver(onChange);
    mutations.observe(list, { subtree: true, attributes: true, attributeFilter: ["data-state"] });
    const resize = typeof ResizeObserver === "undefined" ? undefined : new ResizeObserver(onChange);
    resize?.observe(list);
    return () => {
      mutations.disconnect();
      resize?.disconnect();
    };
  }, []);
  return (
    <TabsPrimitive.List
      ref={listRef}
      data-slot="tabs-list"
      className={cn("bg-muted text-muted-foreground inline-flex h-auto w-full max-w-full items-center justify-start overflow-x-auto rounded-lg p-[3px] sm:w-fit", className)}
      {...props}
    />
  );
}
function TabsTrigger({ className, ...props }: React.ComponentProps<typeof TabsPrimitive.Trigger>) {
  return (
    <TabsPrimitive.Trigger
      data-slot="tabs-trigger"
      className={cn(
        "data-[state=active]:bg-card data-[state=active]:text-foreground focus-visible:border-ring focus-visible:ring-ring/50 text-foreground/70 inline-flex h-8 flex-none items-center justify-center gap-1.5 rounded-md border border-transparent px-3 py-1 text-sm font-medium whitespace-nowrap transition-[color,box-shadow] focus-visible:ring-[3px] disabled:pointer-events-none disabled:opacity-50 data-[state=active]:shadow-sm [&_svg]:size-4",
        className,
      )}
      {...props}
    />
  );
}
function TabsContent({ className, ...props }: React.ComponentProps<typeof TabsPrimitive.Content>) {
  return <TabsPrimitive.Content data-slot="tabs-content" className={cn("flex-1 outline-none", className)} {...props} />;
}

export { Tabs, TabsList, TabsTrigger, TabsContent };
