import type { RawData } from "ws";
import { log } from "../log";
import { send, sendError, type Conn, type Connections } from "./connections";
import { overFrameLimit } from "./flood-limit";
import { ZClientFrame, parseTopic, type ClientFrame, type Topic } from "./protocol";
import { isCallTopic } from "./call-frames";
import type { CallRelay } from "./call-relay";

export interface FrameHandlerDeps {
  conns: Connections;
  maxFramesPer10s: number;
  subscribe(conn: Conn, topic: Topic, since: number | undefined): Promise<void>;
  calls: CallRelay;
}

/** One client frame: flood limit, JSON and shape checks, then subscribe / unsubscribe / ping. */
export function handleClientFrame(deps: FrameHandlerDeps, conn: Conn, data: RawData, isBinary: boolean): void {
  if (overFrameLimit(conn, deps.maxFramesPer10s)) {
    sendError(conn, "rate_limited", "Too many messages; the connection is closed.");
    deps.conns.close(conn, 1008, "rate limited");
    return;
  }
  if (isBinary) return sendError(conn, "invalid_message", "Send JSON text frames.");
  let parsed: unknown;
  try {
    parsed = JSON.parse(data.toString());
  } catch {
    return sendError(conn, "invalid_message", "The message is not valid JSON.");
  }
  const frame = ZClientFrame.safeParse(parsed);
  if (!frame.success) {
    return sendError(conn, "invalid_message", "Expected {\"type\":\"subscribe\"|\"unsubscribe\"|\"ping\"|\"signal\", ...}.");
  }
  const topic = frame.data.type === "ping" ? undefined : parseTopic(frame.data.topic)?.topic;
  dispatch(deps, conn, frame.data).catch((e: Error) => {
    log.error({ conn: conn.id, err: e.message }, "realtime frame failed");
    // with the topic, so a client can subscribe again later
    sendError(conn, "internal_error", "Something went wrong on our side.", topic);
  });
}

async function dispatch(deps: FrameHandlerDeps, conn: Conn, frame: ClientFrame): Promise<void> {
  if (frame.type === "ping") return send(conn, { type: "pong" });
  if (frame.type === "signal") return deps.calls.signal(conn, frame);
  if (isCallTopic(frame.topic)) return deps.calls.subscription(conn, frame.type, frame.topic);
  const topic = parseTopic(frame.topic);
  if (!topic) {
    return sendError(conn, "invalid_topic", "Topics look like patient:<uuid>:messages|vitals|chart.", frame.topic.slice(0, 200));
  }
  if (frame.type === "unsubscribe") {
    if (conn.subs.delete(topic.topic)) deps.conns.unindex(conn, topic.patientId);
    return send(conn, { type: "unsubscribed", topic: topic.topic });
  }
  await deps.subscribe(conn, topic, frame.since === undefined ? undefined : Number(frame.since));
}
