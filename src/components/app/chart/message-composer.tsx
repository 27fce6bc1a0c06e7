"use client";

import * as React from "react";
import { AlertTriangleIcon, Loader2Icon, SendIcon } from "lucide-react";
import { toast } from "sonner";
import { Button } from "@/components/ui/button";
import { Label } from "@/components/ui/label";
import { Textarea } from "@/components/ui/textarea";
import { cn } from "@/lib/utils";
import { ZPostMessageRequest, type MessageView } from "@/core/messages/messages.types";
import { api, type ApiResult } from "../api-client";
import { zodFieldErrors } from "../form";
import type { threadReducer } from "./message-thread";

let tempCounter = 0;

/** The message box: optimistic send (the text comes back on failure), Enter sends, urgent or normal. */
export function Composer({
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
