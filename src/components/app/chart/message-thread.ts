import type { MessageView } from "@/core/messages/messages.types";

/**
 * The messages panel's list, oldest first, as a pure reducer: server pages, live events
 * and the sender's own pending messages meet here, each message exactly once.
 */
/** Messages per page, on the chart's first render and for "Load older". */
export const MESSAGES_PAGE_SIZE = 30;

export interface ThreadMessage extends MessageView {
  /** Set while the sender's own message is on its way (a temporary id until the server answers). */
  pending?: boolean;
}

export interface ThreadState {
  messages: ThreadMessage[];
  /** More, older messages can be loaded. */
  hasOlder: boolean;
}

export type ThreadAction =
  | { type: "older"; page: MessageView[]; pageSize: number }
  | { type: "newest"; page: MessageView[] }
  | { type: "event"; event: "INSERT" | "UPDATE" | "DELETE"; record: Record<string, unknown> }
  | { type: "pending"; message: ThreadMessage }
  | { type: "sent"; tempId: string; message: MessageView }
  | { type: "failed"; tempId: string };

export function initialThread(newestFirst: MessageView[], pageSize: number): ThreadState {
  return { messages: sortChronologically(dedupe([...newestFirst].reverse())), hasOlder: newestFirst.length >= pageSize };
}

function byTime(a: ThreadMessage, b: ThreadMessage): number {
  // Pending messages stay last (their time is the browser's guess); ties keep server order by id.
  if (a.pending !== b.pending) return a.pending ? 1 : -1;
  const t = Date.parse(a.created_at) - Date.parse(b.created_at);
  return t !== 0 ? t : a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

function sortChronologically(list: ThreadMessage[]): ThreadMessage[] {
  return [...list].sort(byTime);
}

function dedupe(list: ThreadMessage[]): ThreadMessage[] {
  const seen = new Map<string, ThreadMessage>();
  for (const m of list) seen.set(m.id, m);
  return [...seen.values()];
}

/** A care message from an event record, or null when the record is not one. */
export function messageFromRecord(r: Record<string, unknown>): MessageView | null {
  if (typeof r.id !== "string" || typeof r.patient_id !== "string" || typeof r.sender_id !== "string" || typeof r.message !== "string") return null;
  const created = typeof r.created_at === "string" ? r.created_at : r.created_at instanceof Date ? r.created_at.toISOString() : null;
  if (!created || Number.isNaN(Date.parse(created))) return null;
  return {
    id: r.id,
    patient_id: r.patient_id,
    sender_id: r.sender_id,
    sender_name: typeof r.sender_name === "string" ? r.sender_name : null,
    message: r.message,
    priority: r.priority === "urgent" ? "urgent" : "normal",
    created_at: new Date(created).toISOString(),
  };
}

function upsert(messages: ThreadMessage[], m: MessageView): ThreadMessage[] {
  // The sender's own message may arrive over the socket before the POST answers: it
  // replaces the oldest pending message with the same text.
  let rest = messages.filter((x) => x.id !== m.id);
  const pendingTwin = rest.find((x) => x.pending && x.sender_id === m.sender_id && x.message === m.message && x.priority === m.priority);
  if (pendingTwin) rest = rest.filter((x) => x !== pendingTwin);
  return sortChronologically([...rest, m]);
}

export function threadReducer(state: ThreadState, action: ThreadAction): ThreadState {
  switch (action.type) {
    case "older": {
      const known = new Set(state.messages.map((m) => m.id));
      const added = action.page.filter((m) => !known.has(m.id));
      return { messages: sortChronologically([...added, ...state.messages]), hasOlder: action.page.length >= action.pageSize };
    }
    case "newest": {
      let messages = state.messages;
      for (const m of action.page) messages = upsert(messages, m);
      return { ...state, messages };
    }
    case "event": {
      if (action.event === "DELETE" || action.record.deleted === true) {
        const id = action.record.id;
        return typeof id === "string" ? { ...state, messages: state.messages.filter((m) => m.id !== id) } : state;
      }
      const m = messageFromRecord(action.record);
      return m ? { ...state, messages: upsert(state.messages, m) } : state;
    }
    case "pending":
      return { ...state, messages: sortChronologically([...state.messages, { ...action.message, pending: true }]) };
    case "sent": {
      const rest = state.messages.filter((m) => m.id !== action.tempId);
      // Already there from the socket: nothing else to do.
      if (rest.some((m) => m.id === action.message.id)) return { ...state, messages: rest };
      return { ...state, messages: sortChronologically([...rest, action.message]) };
    }
    case "failed":
      return { ...state, messages: state.messages.filter((m) => m.id !== action.tempId) };
  }
}

/**
 * The message time in the clinic's zone: the time alone (with the zone's abbreviation) today,
 * with the date otherwise. A fixed locale, so the server and the browser write the same text.
 */
export function formatMessageTime(iso: string, now: Date = new Date(), timeZone = "UTC"): string {
  const d = new Date(iso);
  const day = (x: Date) => x.toLocaleDateString("en-CA", { timeZone });
  const time = (zone?: "short") => d.toLocaleTimeString("en-US", { hour: "numeric", minute: "2-digit", timeZone, timeZoneName: zone }).replace(/[\u202f\u00a0]/g, " ");
  if (day(d) === day(now)) return time("short");
  const sameYear = d.toLocaleDateString("en-CA", { timeZone, year: "numeric" }) === now.toLocaleDateString("en-CA", { timeZone, year: "numeric" });
  return `${d.toLocaleDateString("en-US", { month: "short", day: "numeric", year: sameYear ? undefined : "numeric", timeZone })}, ${time()}`;
}
