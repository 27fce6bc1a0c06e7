"use client";

import * as React from "react";
import { AlertTriangleIcon, ArrowDownIcon, ArrowUpIcon, Loader2Icon, MessagesSquareIcon, SendIcon } from "lucide-react";
import { toast } from "sonner";
import { Button } from "@/components/ui/button";
import { Label } from "@/components/ui/label";
import { TabsTrigger } from "@/components/ui/tabs";
import { Textarea } from "@/components/ui/textarea";
import { cn } from "@/lib/utils";
import { ZPostMessageRequest, type MessageView } from "@/core/messages/messages.types";
import { api, type ApiResult } from "../api-client";
import { EmptyState } from "../empty-state";
import { zodFieldErrors } from "../form";
import { titleCase } from "../format";
import { LiveStatus } from "../realtime/live-status";
import { useTopic, type RealtimeEvent } from "../realtime/use-topic";
import { formatDateTime } from "../format";
import { useTimeZone } from "../time-zone";
import { formatMessageTime, initialThread, MESSAGES_PAGE_SIZE, messageFromRecord, threadReducer, type ThreadMessage } from "./message-thread";


// ------------------------------------------------------------------ unread count, shared with the tab trigger

const unreadByPatient = new Map<string, number>();
const unreadListeners = new Set<() => void>();

function setUnread(patientId: string, n: number): void {
  if (unreadByPatient.get(patientId) === n) return;
  unreadByPatient.set(patientId, n);
  for (const fn of [...unreadListeners]) fn();
}

function subscribeUnread(fn: () => void): () => void {
  unreadListeners.add(fn);
  return () => unreadListeners.delete(fn);
}

function useUnread(patientId: string, initial: number): number {
  return React.useSyncExternalStore(
    subscribeUnread,
    () => unreadByPatient.get(patientId) ?? initial,
    () => initial,
  );
}

function UnreadBadge({ count, className }: { count: number; className?: string }) {
  if (count <= 0) return null;
  const label = `${count} unread message${count === 1 ? "" : "s"}`;
  return (
    <span
      className={cn("bg-primary text-primary-foreground inline-flex min-w-5 items-center justify-center rounded-full px-1.5 text-xs leading-5 font-semibold tabular-nums", className)}
    >
      <span aria-hidden="true">{count > 99 ? "99+" : count}</span>
      <span className="sr-only">{label}</span>
    </span>
  );
}

/** The chart's "Messages" tab trigger with the viewer's unread count (kept live by the panel). */
export function MessagesTabTrigger({ patientId, unread }: { patientId: string; unread: number }) {
  const count = useUnread(patientId, unread);
  return (
    <TabsTrigger value="messages">
      Messages
      <UnreadBadge count={count} />
    </TabsTrigger>
  );
}

// ------------------------------------------------------------------ the panel

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
        setUnread(patientId, (unreadByPatient.get(patientId) ?? 0) + 1);
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

function MessageItem({ message: m, mine, role }: { message: ThreadMessage; mine: boolean; role?: string }) {
  const urgent = m.priority === "urgent";
  return (
    <li
      data-priority={m.priority}
      data-pending={m.pending ? "true" : undefined}
      className={cn(
        "rounded-md border px-3 py-2 text-sm",
        urgent ? "border-destructive/40 bg-destructive/5 border-l-4 border-l-destructive" : mine ? "bg-muted/60" : "bg-card",
        m.pending && "opacity-70",
      )}
    >
      <div className="flex flex-wrap items-baseline gap-x-2 gap-y-0.5">
        {urgent && (
          <span className="text-destructive inline-flex items-center gap-1 text-xs font-semibold uppercase tracking-wide">
            <AlertTriangleIcon className="size-3.5" aria-hidden />
            Urgent
          </span>
        )}
        <span className="font-medium">{mine ? "You" : (m.sender_name ?? "Former team member")}</span>
        {role && <span className="text-muted-foreground text-xs">{titleCase(role)}</span>}
        <span className="text-muted-foreground ml-auto text-xs">
          {m.pending ? (
            <span className="inline-flex items-center gap-1">
              <Loader2Icon className="size-3 animate-spin motion-reduce:animate-none" aria-hidden />
              Sending…
            </span>
          ) : (
            <MessageTime value={m.created_at} />
          )}
        </span>
      </div>
      <p className="mt-1 break-words whitespace-pre-wrap">{m.message}</p>
    </li>
  );
}

/** The time in the clinic's zone (the same text on the server and in the browser). */
function MessageTime({ value }: { value: string }) {
  const timeZone = useTimeZone();
  const iso = new Date(value).toISOString();
  return (
    <time dateTime={iso} title={formatDateTime(value, timeZone)}>
      {formatMessageTime(value, new Date(), timeZone)}
    </time>
  );
}

// ------------------------------------------------------------------ compose

let tempCounter = 0;

function Composer({
  patientId,
  viewerId,
  dispatch,
  onSent,
}: {
  patientId: string;
  viewerId: string;
  dispatch: React.Dispatch<Parameters<typeof threadReducer>[1]>;
  onSent: (m: MessageView) => void;
}) {
  const [text, setText] = React.useState("");
  const [priority, setPriority] = React.useState<"normal" | "urgent">("normal");
  const [error, setError] = React.useState<string | undefined>();
  const [sending, setSending] = React.useState(0);
  const id = React.useId();

  async function send() {
    const parsed = ZPostMessageRequest.safeParse({ message: text, priority });
    if (!parsed.success) {
      const e = zodFieldErrors(parsed.error);
      setError(capitalise(e.message ?? e._ ?? "Check the message."));
      return;
    }
    setError(undefined);
    const body = parsed.data;
    const tempId = `pending-${++tempCounter}`;
    dispatch({
      type: "pending",
      message: { id: tempId, patient_id: patientId, sender_id: viewerId, sender_name: null, message: body.message, priority: body.priority, created_at: new Date().toISOString() },
    });
    // Optimistic: the box is free for the next message at once; a failure gives the text back.
    setText("");
    setPriority("normal");
    setSending((n) => n + 1);
    const path = `/api/v1/patients/${patientId}/messages`;
    // api() renews an expired access cookie once and resends.
    const r: ApiResult<MessageView> = await api<MessageView>(path, { body });
    setSending((n) => n - 1);
    if (r.ok) {
      onSent(r.data);
      dispatch({ type: "sent", tempId, message: r.data });
      return;
    }
    dispatch({ type: "failed", tempId });
    setText((cur) => (cur.trim() ? `${body.message}\n${cur}` : body.message));
    setPriority(body.priority);
    if (r.error.fields?.message) setError(capitalise(r.error.fields.message));
    toast.error("Message not sent", { description: `${r.error.message} Your text is back in the message box.` });
  }

  function onKeyDown(e: React.KeyboardEvent<HTMLTextAreaElement>) {
    if (e.key === "Enter" && !e.shiftKey && !e.altKey && !e.ctrlKey && !e.metaKey && !e.nativeEvent.isComposing) {
      e.preventDefault();
      void send();
    }
  }

  const errorId = `${id}-error`;
  const hintId = `${id}-hint`;
  return (
    <form
      className="grid gap-2 border-t px-3 py-3 sm:px-4"
      onSubmit={(e) => {
        e.preventDefault();
        void send();
      }}
      aria-label="New care team message"
    >
      <Label htmlFor={`${id}-message`}>Message</Label>
      <Textarea
        id={`${id}-message`}
        name="message"
        value={text}
        onChange={(e) => {
          setText(e.target.value);
          if (error) setError(undefined);
        }}
        onKeyDown={onKeyDown}
        rows={2}
        maxLength={5000}
        placeholder="Write to the care team…"
        aria-invalid={error ? true : undefined}
        aria-describedby={error ? `${errorId} ${hintId}` : hintId}
        className="max-h-48"
      />
      {error && (
        <p id={errorId} className="text-destructive text-xs font-medium">
          {error}
        </p>
      )}
      <div className="flex flex-wrap items-center justify-between gap-2">
        <fieldset className="flex items-center gap-1">
          <legend className="sr-only">Priority</legend>
          <PriorityOption name={`${id}-priority`} value="normal" checked={priority === "normal"} onChange={setPriority}>
            Normal
          </PriorityOption>
          <PriorityOption name={`${id}-priority`} value="urgent" checked={priority === "urgent"} onChange={setPriority}>
            <AlertTriangleIcon className="size-3.5" aria-hidden />
            Urgent
          </PriorityOption>
        </fieldset>
        <div className="flex items-center gap-2">
          <p id={hintId} className="text-muted-foreground hidden text-xs sm:block">
            Enter to send, Shift+Enter for a new line
          </p>
          <Button type="submit" size="sm">
            {sending > 0 ? <Loader2Icon className="animate-spin motion-reduce:animate-none" aria-hidden /> : <SendIcon aria-hidden />}
            Send
          </Button>
        </div>
      </div>
    </form>
  );
}

function PriorityOption({
  name,
  value,
  checked,
  onChange,
  children,
}: {
  name: string;
  value: "normal" | "urgent";
  checked: boolean;
  onChange: (v: "normal" | "urgent") => void;
  children: React.ReactNode;
}) {
  return (
    <label
      className={cn(
        "has-[:focus-visible]:ring-ring/50 inline-flex h-8 cursor-pointer items-center gap-1 rounded-md border px-2.5 text-xs font-medium has-[:focus-visible]:ring-[3px]",
        checked ? (value === "urgent" ? "border-destructive bg-destructive/10 text-destructive" : "border-primary bg-primary/10 text-foreground") : "text-muted-foreground",
      )}
    >
      <input type="radio" className="sr-only" name={name} value={value} checked={checked} onChange={() => onChange(value)} />
      {children}
    </label>
  );
}

function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

// ------------------------------------------------------------------ visibility

/** Whether the tab panel around `ref` is the selected one (Radix sets data-state). */
function useTabActive(ref: React.RefObject<HTMLElement | null>): boolean {
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

function usePageVisible(): boolean {
  return React.useSyncExternalStore(
    (fn) => {
      document.addEventListener("visibilitychange", fn);
      return () => document.removeEventListener("visibilitychange", fn);
    },
    () => document.visibilityState === "visible",
    () => true,
  );
}
