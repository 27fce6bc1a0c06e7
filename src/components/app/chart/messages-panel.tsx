"use client";

import * as React from "react";
import { ArrowDownIcon, ArrowUpIcon, Loader2Icon, MessagesSquareIcon } from "lucide-react";
import { toast } from "sonner";
import { Button } from "@/components/ui/button";
import type { MessageView } from "@/core/messages/messages.types";
import { api } from "../api-client";
import { EmptyState } from "../empty-state";
import { LiveStatus } from "../realtime/live-status";
import { useTopic, type RealtimeEvent } from "../realtime/use-topic";
import { Composer } from "./message-composer";
import { MessageItem } from "./message-item";
import { initialThread, MESSAGES_PAGE_SIZE, messageFromRecord, threadReducer } from "./message-thread";
import { getUnread, setUnread, useUnread } from "./unread-store";
import { usePageVisible, useTabActive } from "./use-tab-visibility";

/**
 * The patient's care-team channel on the chart. Rendered (hidden) with the tab closed so
 * the unread count stays live; opening the tab marks the channel read on the server.
 */
export function MessagesPanel({
  patientId,
  viewerId,
  initial,
  unread,
  roles,
}: {
  patientId: string;
  viewerId: string;
  /** The newest page as the server rendered it (newest first, as the API answers). */
  initial: MessageView[];
  unread: number;
  /** Care-team role by provider id, to label senders. */
  roles: Record<string, string>;
}) {
  const [thread, dispatch] = React.useReducer(threadReducer, undefined, () => initialThread(initial, MESSAGES_PAGE_SIZE));
  const [announcement, setAnnouncement] = React.useState("");
  const [loadingOlder, setLoadingOlder] = React.useState(false);
  const rootRef = React.useRef<HTMLDivElement>(null);
  const scrollRef = React.useRef<HTMLDivElement>(null);
  const stickToBottom = React.useRef(true);
  // Messages that arrived below while the reader was scrolled up in the history.
  const [newBelow, setNewBelow] = React.useState(0);
  const active = useTabActive(rootRef);
  const visible = usePageVisible();
  const unreadCount = useUnread(patientId, unread);

  // The server's count at render is the truth for this page view.
  React.useEffect(() => {
    setUnread(patientId, unread);
  }, [patientId, unread]);

  // Seen: move the read marker on the server (the newest page read, one message long).
  const markReadTimer = React.useRef<number | null>(null);
  const markRead = React.useCallback(() => {
    setUnread(patientId, 0);
    if (markReadTimer.current !== null) return;
    markReadTimer.current = window.setTimeout(() => {
      markReadTimer.current = null;
      void api(`/api/v1/patients/${patientId}/messages?limit=1`);
    }, 500);
  }, [patientId]);
  React.useEffect(() => () => void (markReadTimer.current !== null && window.clearTimeout(markReadTimer.current)), []);

  const seeing = active && visible;
  React.useEffect(() => {
    if (seeing && unreadCount > 0) markRead();
  }, [seeing, unreadCount, markRead]);

  const seeingRef = React.useRef(seeing);
  React.useLayoutEffect(() => {
    seeingRef.current = seeing;
  }, [seeing]);
  const knownIds = React.useRef(new Set(initial.map((m) => m.id)));

  const onEvent = React.useCallback(
    (e: RealtimeEvent) => {
      dispatch({ type: "event", event: e.event, record: e.record });
      if (e.event !== "INSERT") return;
      const m = messageFromRecord(e.record);
      if (!m || knownIds.current.has(m.id)) return;
      knownIds.current.add(m.id);
      if (m.sender_id === viewerId) return;
      const who = m.sender_name ?? "a care team member";
      setAnnouncement(`New ${m.priority === "urgent" ? "urgent " : ""}message from ${who}: ${m.message.slice(0, 140)}`);
      if (!stickToBottom.current) setNewBelow((n) => n + 1);
      if (seeingRef.current) markRead();
      else {
        setUnread(patientId, (getUnread(patientId) ?? 0) + 1);
        if (m.priority === "urgent") toast.warning(`Urgent message from ${who}`, { description: "Open the Messages tab to read it." });
      }
    },
    [viewerId, patientId, markRead],
  );

  const reloadNewest = React.useCallback(async () => {
    const r = await api<{ data: MessageView[] }>(`/api/v1/patients/${patientId}/messages?limit=${MESSAGES_PAGE_SIZE}`);
    if (r.ok) {
      for (const m of r.data.data) knownIds.current.add(m.id);
      dispatch({ type: "newest", page: r.data.data });
    }
  }, [patientId]);

  const { status } = useTopic(`patient:${patientId}:messages`, onEvent, { onGap: () => void reloadNewest() });

  // Keep the newest message in view while the reader is at the bottom.
  const lastId = thread.messages.at(-1)?.id;
  React.useLayoutEffect(() => {
    const el = scrollRef.current;
    if (el && active && stickToBottom.current) el.scrollTop = el.scrollHeight;
  }, [lastId, active]);

  // A narrower window re-wraps the messages: stay at the newest one if the reader was there.
  const isEmpty = thread.messages.length === 0;
  React.useEffect(() => {
    const el = scrollRef.current;
    if (!el || typeof ResizeObserver === "undefined") return;
    const ro = new ResizeObserver(() => {
      if (stickToBottom.current) el.scrollTop = el.scrollHeight;
    });
    ro.observe(el);
    for (const child of Array.from(el.children)) ro.observe(child);
    return () => ro.disconnect();
  }, [isEmpty]);

  async function loadOlder() {
    const oldest = thread.messages.find((m) => !m.pending);
    if (!oldest) return;
    const el = scrollRef.current;
    const fromBottom = el ? el.scrollHeight - el.scrollTop : 0;
    setLoadingOlder(true);
    const r = await api<{ data: MessageView[] }>(`/api/v1/patients/${patientId}/messages?limit=${MESSAGES_PAGE_SIZE}&before_id=${oldest.id}`);
    setLoadingOlder(false);
    if (!r.ok) {
      toast.error("Could not load older messages.", { description: r.error.message });
      return;
    }
    for (const m of r.data.data) knownIds.current.add(m.id);
    dispatch({ type: "older", page: r.data.data, pageSize: MESSAGES_PAGE_SIZE });
    // Keep the reader's place: the new rows go above what they were looking at.
    requestAnimationFrame(() => {
      if (el) el.scrollTop = el.scrollHeight - fromBottom;
    });
  }

  const urgentCount = thread.messages.filter((m) => m.priority === "urgent").length;

  return (
    <div ref={rootRef} className="bg-card grid gap-0 rounded-lg border">
      <div className="flex flex-wrap items-center justify-between gap-2 border-b px-4 py-3">
        <div className="min-w-0">
          <h2 className="font-semibold">Care team messages</h2>
          <p className="text-muted-foreground text-xs">Visible to this patient&apos;s care team only, never to the patient.</p>
        </div>
        <LiveStatus status={status} label="Messages" />
      </div>

      <div className="relative">
        <div
          ref={scrollRef}
          onScroll={(e) => {
            const el = e.currentTarget;
            stickToBottom.current = el.scrollHeight - el.scrollTop - el.clientHeight < 48;
            if (stickToBottom.current) setNewBelow(0);
          }}
          className="max-h-[min(60vh,36rem)] min-h-40 overflow-y-auto px-3 py-3 sm:px-4"
          tabIndex={0}
          role="region"
          aria-label={`Message history${urgentCount ? `, ${urgentCount} urgent` : ""}`}
        >
          {thread.hasOlder ? (
            <div className="mb-3 flex justify-center">
              <Button type="button" variant="outline" size="sm" onClick={() => void loadOlder()} disabled={loadingOlder}>
                {loadingOlder ? <Loader2Icon className="animate-spin motion-reduce:animate-none" aria-hidden /> : <ArrowUpIcon aria-hidden />}
                {loadingOlder ? "Loading older messages…" : "Load older"}
              </Button>
            </div>
          ) : thread.messages.length > 0 ? (
            <p className="text-muted-foreground mb-3 text-center text-xs">Beginning of the conversation</p>
          ) : null}

          {thread.messages.length === 0 ? (
            <EmptyState icon={MessagesSquareIcon} title="No messages yet" className="border-none py-6">
              Write to the care team below. Mark a message urgent when it needs attention now.
            </EmptyState>
          ) : (
            <ol className="grid gap-2" aria-label="Messages, oldest first">
              {thread.messages.map((m) => (
                <MessageItem key={m.id} message={m} mine={m.sender_id === viewerId} role={roles[m.sender_id]} />
              ))}
            </ol>
          )}
        </div>
        {newBelow > 0 && (
          <Button
            type="button"
            size="sm"
            className="absolute bottom-2 left-1/2 -translate-x-1/2 shadow-md"
            onClick={() => {
              const el = scrollRef.current;
              stickToBottom.current = true;
              setNewBelow(0);
              if (el) el.scrollTop = el.scrollHeight;
            }}
          >
            <ArrowDownIcon aria-hidden />
            {newBelow} new message{newBelow === 1 ? "" : "s"}
          </Button>
        )}
      </div>

      <div className="sr-only" aria-live="polite" aria-atomic="true">
        {announcement}
      </div>

      <Composer
        patientId={patientId}
        viewerId={viewerId}
        dispatch={(a) => {
          // Sending brings the reader to the newest message (theirs).
          if (a.type === "pending") {
            stickToBottom.current = true;
            setNewBelow(0);
          }
          dispatch(a);
        }}
        onSent={(m) => knownIds.current.add(m.id)}
      />
    </div>
  );
}
