"use client";

import * as React from "react";
import { RealtimeClient, realtimeUrl, type RealtimeEvent, type RealtimeStatus, type SocketLike } from "./realtime-client";
import { checkBrowserSession } from "./session-check";

export type { RealtimeEvent, RealtimeStatus } from "./realtime-client";

/**
 * The tab's one realtime connection (docs/realtime.md). Created on first use in the
 * browser; lives as long as the page. Client pings every 25 s (a dead link is noticed
 * within 35 s even when the server's own pings get lost), and the socket is kept 10 s after
 * the last topic goes so moving between charts does not reconnect.
 */
let client: RealtimeClient | null = null;

function getClient(): RealtimeClient {
  if (client) return client;
  const c = new RealtimeClient({
    url: realtimeUrl(window.location),
    // The DOM's handler types name the DOM's event classes; SocketLike reads only .data and .code of them.
    createSocket: (url) => new WebSocket(url) as unknown as SocketLike,
    setTimeout: (fn, ms) => window.setTimeout(fn, ms),
    clearTimeout: (h) => window.clearTimeout(h as number),
    checkSession: checkBrowserSession,
    pingIntervalMs: 25_000,
    pongTimeoutMs: 10_000,
    idleCloseMs: 10_000,
  });
  window.addEventListener("online", () => c.nudge());
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") c.nudge();
  });
  client = c;
  return c;
}

const noop = () => () => {};

export interface UseTopicOptions {
  /** The server could not replay what this tab missed while disconnected: reload it over HTTP. */
  onGap?: () => void;
}

/**
 * Subscribes to a realtime topic (`patient:<id>:messages|vitals|chart`) while mounted;
 * `null` subscribes to nothing. `onEvent` may change every render (the latest is used).
 * Components on the same topic share one subscription.
 */
export function useTopic(topic: string | null, onEvent: (e: RealtimeEvent) => void, options?: UseTopicOptions): { status: RealtimeStatus } {
  const onEventRef = React.useRef(onEvent);
  const onGapRef = React.useRef(options?.onGap);
  React.useLayoutEffect(() => {
    onEventRef.current = onEvent;
    onGapRef.current = options?.onGap;
  });

  React.useEffect(() => {
    if (!topic) return;
    return getClient().subscribe(topic, {
      onEvent: (e) => onEventRef.current(e),
      onGap: () => onGapRef.current?.(),
    });
  }, [topic]);

  const subscribe = React.useCallback((fn: () => void) => (topic ? getClient().onChange(fn) : noop()), [topic]);
  const status = React.useSyncExternalStore<RealtimeStatus>(
    subscribe,
    () => (topic ? getClient().topicStatus(topic) : "offline"),
    () => (topic ? "connecting" : "offline"),
  );
  return { status };
}
