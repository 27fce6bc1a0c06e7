"use client";

import { TabsTrigger } from "@/components/ui/tabs";
import { UnreadBadge } from "./unread-badge";
import { useUnread } from "./unread-store";

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
