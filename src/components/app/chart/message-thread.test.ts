import { describe, expect, it } from "vitest";
import { formatMessageTime, initialThread, messageFromRecord, threadReducer, type ThreadState } from "./message-thread";
import type { MessageView } from "@/core/messages/messages.types";

const P = "11111111-1111-4111-8111-111111111111";
const NURSE = "22222222-2222-4222-8222-222222222222";
const ME = "33333333-3333-4333-8333-333333333333";
const msg = (id: string, at: string, over: Partial<MessageView> = {}): MessageView => ({
  id,
  patient_id: P,
  sender_id: NURSE,
  sender_name: "Nurse Joy",
  message: `text ${id}`,
  priority: "normal",
  created_at: at,
  ...over,
});
const ids = (s: ThreadState) => s.messages.map((m) => m.id);

describe("message thread", () => {
  it("shows the server's newest-first page oldest first and knows when older ones may exist", () => {
    const s = initialThread([msg("c", "2026-01-01T10:02:00Z"), msg("b", "2026-01-01T10:01:00Z")], 2);
    expect(ids(s)).toEqual(["b", "c"]);
    expect(s.hasOlder).toBe(true);
    expect(initialThread([msg("a", "2026-01-01T10:00:00Z")], 2).hasOlder).toBe(false);
  });

  it("prepends older pages without duplicates and stops when a page is short", () => {
    let s = initialThread([msg("c", "2026-01-01T10:02:00Z"), msg("b", "2026-01-01T10:01:00Z")], 2);
    s = threadReducer(s, { type: "older", page: [msg("b", "2026-01-01T10:01:00Z"), msg("a", "2026-01-01T10:00:00Z")], pageSize: 2 });
    expect(ids(s)).toEqual(["a", "b", "c"]);
    expect(s.hasOlder).toBe(true);
    s = threadReducer(s, { type: "older", page: [], pageSize: 2 });
    expect(s.hasOlder).toBe(false);
  });

  it("adds live messages once, in time order, and removes deleted ones", () => {
    let s = initialThread([msg("b", "2026-01-01T10:01:00Z")], 50);
    const live = { ...msg("c", "2026-01-01T10:02:00Z", { priority: "urgent" }) } as unknown as Record<string, unknown>;
    s = threadReducer(s, { type: "event", event: "INSERT", record: live });
    s = threadReducer(s, { type: "event", event: "INSERT", record: live });
    // A replayed older event lands in its place.
    s = threadReducer(s, { type: "event", event: "INSERT", record: msg("a", "2026-01-01T10:00:00Z") as unknown as Record<string, unknown> });
    expect(ids(s)).toEqual(["a", "b", "c"]);
    expect(s.messages[2].priority).toBe("urgent");
    s = threadReducer(s, { type: "event", event: "DELETE", record: { id: "b", patient_id: P, deleted: true } });
    expect(ids(s)).toEqual(["a", "c"]);
    // Not a message: ignored.
    expect(threadReducer(s, { type: "event", event: "INSERT", record: { id: "x" } })).toBe(s);
  });

  it("keeps a pending message last, then swaps it for the server's, whichever arrives first", () => {
    const base = initialThread([msg("b", "2026-01-01T10:01:00Z")], 50);
    const pending = msg("tmp-1", "2030-01-01T00:00:00Z", { sender_id: ME, message: "on my way" });
    const real = msg("r1", "2026-01-01T10:03:00Z", { sender_id: ME, message: "on my way" });
    // POST answers first.
    let s = threadReducer(base, { type: "pending", message: pending });
    expect(s.messages.at(-1)).toMatchObject({ id: "tmp-1", pending: true });
    s = threadReducer(s, { type: "sent", tempId: "tmp-1", message: real });
    s = threadReducer(s, { type: "event", event: "INSERT", record: real as unknown as Record<string, unknown> });
    expect(ids(s)).toEqual(["b", "r1"]);
    // The socket's echo first.
    s = threadReducer(base, { type: "pending", message: pending });
    s = threadReducer(s, { type: "event", event: "INSERT", record: real as unknown as Record<string, unknown> });
    expect(ids(s)).toEqual(["b", "r1"]);
    s = threadReducer(s, { type: "sent", tempId: "tmp-1", message: real });
    expect(ids(s)).toEqual(["b", "r1"]);
    // A failure removes it (the compose box gets the text back).
    s = threadReducer(threadReducer(base, { type: "pending", message: pending }), { type: "failed", tempId: "tmp-1" });
    expect(ids(s)).toEqual(["b"]);
  });

  it("reads event records defensively", () => {
    expect(messageFromRecord({ ...msg("a", "2026-01-01T10:00:00.123456Z"), priority: "weird" })).toMatchObject({ priority: "normal", created_at: "2026-01-01T10:00:00.123Z" });
    expect(messageFromRecord({ id: "a", patient_id: P, sender_id: NURSE, message: "x", created_at: "not a date" })).toBeNull();
  });

  it("formats times in the viewer's zone, with the date when not today", () => {
    const now = new Date("2026-03-10T12:00:00Z");
    expect(formatMessageTime("2026-03-10T09:05:00Z", now, "UTC")).toMatch(/9:05/);
    expect(formatMessageTime("2026-03-10T09:05:00Z", now, "UTC")).not.toMatch(/Mar/);
    expect(formatMessageTime("2026-03-09T09:05:00Z", now, "UTC")).toMatch(/Mar 9/);
    // 23:30 UTC on the 9th is already the 10th in Tokyo: "today" there.
    expect(formatMessageTime("2026-03-09T23:30:00Z", now, "Asia/Tokyo")).not.toMatch(/Mar/);
    expect(formatMessageTime("2025-12-31T09:05:00Z", now, "UTC")).toMatch(/2025/);
  });
});
