import type { CallRole, CallState } from "@/core/telehealth/call.types";
import { CLOSE_SESSION_ENDED } from "@/core/realtime/close-codes";
import { checkBrowserSession } from "../realtime/session-check";

/**
 * The browser side of a video visit (docs/telehealth.md): one WebSocket to /realtime/v1
 * for signaling, one RTCPeerConnection per other participant, media straight between the
 * browsers (or through TURN). Framework-free; the React page renders `view`.
 *
 * Who offers to whom is fixed, so two sides never offer at once: the higher role
 * (provider > member > patient) offers, ties by user id. A participant announces itself
 * with `join` (the patient waits there until the provider admits it) and, once admitted,
 * `hello`; whoever should offer then offers. ICE restarts are made by the offerer after a
 * blip; the other side asks for one with `hello`.
 */

export type Phase = "lobby" | "waiting" | "in_call" | "left" | "ended" | "unavailable";
export type Quality = "connecting" | "good" | "fair" | "poor";

export interface PeerView {
  userId: string;
  role: CallRole;
  stream: MediaStream | null;
  audio: boolean;
  video: boolean;
  screen: boolean;
  connection: string;
  quality: Quality;
  bytesReceived: number;
  rttMs: number | null;
  lossPercent: number | null;
}

export interface EngineView {
  phase: Phase;
  socket: "connecting" | "open" | "closed";
  peers: PeerView[];
  /** Patients in the waiting room (the provider's view). */
  waiting: string[];
}

interface Peer {
  view: PeerView;
  pc: RTCPeerConnection | null;
  nonce: string | null;
  pendingIce: RTCIceCandidateInit[];
  lastBytes: number;
  blipTimer?: ReturnType<typeof setTimeout>;
}

interface SignalIn {
  type: string;
  kind?: string;
  from?: string;
  from_role?: CallRole | null;
  to?: string;
  data?: Record<string, unknown>;
  code?: string;
  topic?: string;
}

const RANK: Record<CallRole, number> = { provider: 3, member: 2, patient: 1 };

export class CallEngine {
  readonly me: string;
  readonly role: CallRole;
  readonly topic: string;
  /** This page load: a peer seen with a new nonce reloaded, and gets a fresh connection. */
  readonly nonce = crypto.randomUUID();
  view: EngineView = { phase: "lobby", socket: "connecting", peers: [], waiting: [] };
  /** Signaling frames this page sent (the bench counts them). */
  sent = 0;
  received = 0;

  private ws: WebSocket | null = null;
  private peers = new Map<string, Peer>();
  private admitted: Set<string>;
  private joined = false;
  private closed = false;
  private backoff = 500;
  private statsTimer?: ReturnType<typeof setInterval>;
  private local: MediaStream | null = null;
  private screenTrack: MediaStreamTrack | null = null;
  private audioOn = true;
  private videoOn = true;

  constructor(
    private readonly state: CallState,
    private readonly onChange: (v: EngineView) => void,
    private readonly announce: (message: string) => void,
  ) {
    this.me = state.user_id;
    this.role = state.role;
    this.topic = state.topic;
    this.admitted = new Set(state.call && !state.call.ended_at ? state.call.admitted : []);
    if (state.appointment.status === "completed") this.view.phase = "ended";
  }

  // ------------------------------------------------------------------ lifecycle

  connect(): void {
    if (this.closed) return;
    const proto = location.protocol === "https:" ? "wss" : "ws";
    const ws = new WebSocket(`${proto}://${location.host}/realtime/v1`);
    this.ws = ws;
    this.update({ socket: "connecting" });
    ws.onopen = () => {
      this.backoff = 500;
      this.update({ socket: "open" });
      ws.send(JSON.stringify({ type: "subscribe", topic: this.topic }));
    };
    ws.onmessage = (e) => {
      try {
        void this.onFrame(JSON.parse(String(e.data)) as SignalIn);
      } catch {
        /* not JSON: ignore */
      }
    };
    ws.onclose = (e) => {
      if (this.ws !== ws) return;
      this.ws = null;
      this.update({ socket: "closed" });
      if (this.closed) return;
      if (e.code === CLOSE_SESSION_ENDED) {
        this.announce("Your session has ended. Sign in again to rejoin.");
        return;
      }
      if (this.joined) this.announce("Connection to the clinic lost. Reconnecting…");
      const wait = this.backoff;
      this.backoff = Math.min(this.backoff * 2, 5_000);
      setTimeout(() => {
        void checkBrowserSession().finally(() => this.connect());
      }, wait);
    };
  }

  /** Leaves for good (page closing, leave, end). */
  close(): void {
    this.closed = true;
    if (this.statsTimer) clearInterval(this.statsTimer);
    for (const id of [...this.peers.keys()]) this.dropPeer(id);
    const ws = this.ws;
    this.ws = null;
    ws?.close(1000, "left");
    this.screenTrack?.stop();
  }

  setLocalStream(stream: MediaStream | null): void {
    this.local = stream;
    for (const t of stream?.getAudioTracks() ?? []) t.enabled = this.audioOn;
    for (const t of stream?.getVideoTracks() ?? []) t.enabled = this.videoOn;
  }

  /** Enter the call (the provider after starting it) or the waiting room (the patient). */
  join(): void {
    this.joined = true;
    if (this.role === "patient" && !this.admitted.has(this.me)) {
      this.update({ phase: "waiting" });
      this.announce("You are in the waiting room. Your provider will let you in.");
    } else {
      this.update({ phase: "in_call" });
      this.announce("You joined the video visit.");
    }
    this.signal("join", undefined, this.presence());
    this.statsTimer ??= setInterval(() => void this.pollStats(), 2_000);
  }

  admit(userId: string): void {
    this.admitted.add(userId);
    this.update({ waiting: this.view.waiting.filter((w) => w !== userId) });
    this.signal("admit", userId);
    this.announce("The patient was admitted.");
  }

  leave(): void {
    this.signal("leave");
    this.joined = false;
    for (const id of [...this.peers.keys()]) this.dropPeer(id);
    this.update({ phase: "left", peers: [] });
    this.announce("You left the video visit.");
  }

  /** The call was ended (by the provider, here or elsewhere). */
  ended(): void {
    this.joined = false;
    for (const id of [...this.peers.keys()]) this.dropPeer(id);
    this.update({ phase: "ended", peers: [], waiting: [] });
    this.announce("The video visit has ended.");
    this.close();
  }

  setAudio(on: boolean): void {
    this.audioOn = on;
    for (const t of this.local?.getAudioTracks() ?? []) t.enabled = on;
    this.signal("state", undefined, this.presence());
    this.announce(on ? "Your microphone is on." : "Your microphone is muted.");
  }

  setVideo(on: boolean): void {
    this.videoOn = on;
    for (const t of this.local?.getVideoTracks() ?? []) t.enabled = on;
    this.signal("state", undefined, this.presence());
    this.announce(on ? "Your camera is on." : "Your camera is off.");
  }

  /** Sends a new camera or microphone track to everyone (device change, screen share). */
  async replaceTrack(kind: "audio" | "video", track: MediaStreamTrack | null): Promise<void> {
    for (const p of this.peers.values()) {
      const sender = p.pc?.getTransceivers().find((t) => t.receiver.track.kind === kind)?.sender;
      if (sender) await sender.replaceTrack(track);
    }
  }

  async setScreen(track: MediaStreamTrack | null): Promise<void> {
    this.screenTrack = track;
    await this.replaceTrack("video", track ?? this.local?.getVideoTracks()[0] ?? null);
    this.signal("state", undefined, this.presence());
    this.announce(track ? "You are sharing your screen." : "You stopped sharing your screen.");
  }

  // ------------------------------------------------------------------ signaling

  private presence() {
    return { nonce: this.nonce, audio: this.audioOn, video: this.videoOn, screen: this.screenTrack !== null };
  }

  private signal(kind: string, to?: string, data: Record<string, unknown> = {}): void {
    const ws = this.ws;
    if (!ws || ws.readyState !== WebSocket.OPEN) return;
    ws.send(JSON.stringify({ type: "signal", topic: this.topic, kind, ...(to ? { to } : {}), data }));
    this.sent++;
  }

  private shouldOffer(other: string, role: CallRole): boolean {
    return RANK[this.role] > RANK[role] || (RANK[this.role] === RANK[role] && this.me < other);
  }

  private async onFrame(f: SignalIn): Promise<void> {
    if (f.type === "subscribed") {
      if (this.joined) this.signal("join", undefined, this.presence());
      return;
    }
    if (f.type === "error") {
      if (f.code === "not_found") {
        this.update({ phase: "unavailable" });
        this.announce("This video visit is not available.");
        this.close();
      } else if (f.code === "call_not_started" && this.joined && this.view.phase !== "ended") {
        this.update({ phase: "waiting" });
        this.announce("Waiting for your provider to start the visit.");
      }
      return;
    }
    if (f.type !== "signal" || !f.kind || !f.from) return;
    this.received++;
    const from = f.from;
    const role = (f.from_role ?? "patient") as CallRole;
    const data = f.data ?? {};
    switch (f.kind) {
      case "started":
        if (this.joined && from !== this.me) this.signal("join", undefined, this.presence());
        return;
      case "ended":
        this.ended();
        return;
      case "admit":
        this.admitted.add(f.to ?? "");
        if (f.to === this.me) {
          this.update({ phase: "in_call" });
          this.announce("Your provider let you in. Connecting…");
          this.signal("hello", undefined, this.presence());
        }
        return;
      case "join":
      case "hello": {
        if (!this.joined || this.view.phase === "waiting") return;
        if (role === "patient" && !this.admitted.has(from)) {
          if (this.role === "provider" && !this.view.waiting.includes(from)) {
            this.update({ waiting: [...this.view.waiting, from] });
            this.announce("The patient is in the waiting room.");
          }
          return;
        }
        const nonce = typeof data.nonce === "string" ? data.nonce : null;
        const peer = this.peers.get(from);
        if (this.shouldOffer(from, role)) {
          if (!peer?.pc || peer.nonce !== nonce) await this.offer(from, role, nonce, false);
          else if (peer.pc.connectionState !== "connected") await this.offer(from, role, nonce, true);
        } else if (f.kind === "join") {
          this.signal("hello", from, this.presence());
        }
        this.updatePeerState(from, role, data);
        return;
      }
      case "offer": {
        const nonce = typeof data.nonce === "string" ? data.nonce : null;
        let peer = this.peers.get(from);
        if (!peer?.pc || peer.nonce !== nonce) peer = this.newPeer(from, role, nonce);
        const pc = peer.pc!;
        await pc.setRemoteDescription({ type: "offer", sdp: String(data.sdp ?? "") });
        await this.flushIce(peer);
        await pc.setLocalDescription(await pc.createAnswer());
        this.signal("answer", from, { ...this.presence(), sdp: pc.localDescription?.sdp });
        this.updatePeerState(from, role, data);
        return;
      }
      case "answer": {
        const peer = this.peers.get(from);
        if (!peer?.pc || peer.pc.signalingState !== "have-local-offer") return;
        await peer.pc.setRemoteDescription({ type: "answer", sdp: String(data.sdp ?? "") });
        await this.flushIce(peer);
        this.updatePeerState(from, role, data);
        return;
      }
      case "ice": {
        const peer = this.peers.get(from);
        if (!peer?.pc) return;
        const cand = { candidate: String(data.candidate ?? ""), sdpMid: (data.sdpMid as string | null) ?? null, sdpMLineIndex: (data.sdpMLineIndex as number | null) ?? null };
        if (peer.pc.remoteDescription) await peer.pc.addIceCandidate(cand).catch(() => undefined);
        else peer.pendingIce.push(cand);
        return;
      }
      case "state":
        this.updatePeerState(from, role, data);
        return;
      case "leave":
        this.update({ waiting: this.view.waiting.filter((w) => w !== from) });
        if (this.peers.has(from)) {
          this.dropPeer(from);
          this.announce(`The ${role === "patient" ? "patient" : role === "provider" ? "provider" : "care-team member"} left the visit.`);
        }
        return;
    }
  }

  private async flushIce(peer: Peer): Promise<void> {
    const queued = peer.pendingIce.splice(0);
    for (const c of queued) await peer.pc?.addIceCandidate(c).catch(() => undefined);
  }

  private async offer(to: string, role: CallRole, nonce: string | null, iceRestart: boolean): Promise<void> {
    const peer = iceRestart ? this.peers.get(to)! : this.newPeer(to, role, nonce, true);
    const pc = peer.pc!;
    if (pc.signalingState !== "stable") return;
    await pc.setLocalDescription(await pc.createOffer(iceRestart ? { iceRestart: true } : {}));
    this.signal("offer", to, { ...this.presence(), sdp: pc.localDescription?.sdp });
  }

  private newPeer(userId: string, role: CallRole, nonce: string | null, offering = false): Peer {
    const old = this.peers.get(userId);
    if (old?.pc) old.pc.close();
    const pc = new RTCPeerConnection({ iceServers: this.state.ice_servers });
    const view: PeerView = old?.view ?? { userId, role, stream: null, audio: true, video: true, screen: false, connection: "new", quality: "connecting", bytesReceived: 0, rttMs: null, lossPercent: null };
    const peer: Peer = { view: { ...view, stream: null, connection: "new", quality: "connecting" }, pc, nonce, pendingIce: [], lastBytes: 0 };
    this.peers.set(userId, peer);
    const audio = this.local?.getAudioTracks()[0];
    const video = this.screenTrack ?? this.local?.getVideoTracks()[0];
    const stream = this.local ?? new MediaStream();
    // Without a camera or microphone the offerer still asks to receive; an answerer takes the offer's sections.
    if (audio) pc.addTrack(audio, stream);
    else if (offering) pc.addTransceiver("audio", { direction: "recvonly" });
    if (video) pc.addTrack(video, stream);
    else if (offering) pc.addTransceiver("video", { direction: "recvonly" });
    pc.ontrack = (e) => {
      const s = e.streams[0] ?? peer.view.stream ?? new MediaStream();
      if (!e.streams[0]) s.addTrack(e.track);
      this.setPeer(userId, { stream: s });
    };
    pc.onicecandidate = (e) => {
      if (e.candidate) this.signal("ice", userId, { candidate: e.candidate.candidate, sdpMid: e.candidate.sdpMid, sdpMLineIndex: e.candidate.sdpMLineIndex });
    };
    pc.onconnectionstatechange = () => {
      if (this.peers.get(userId)?.pc !== pc) return;
      const st = pc.connectionState;
      this.setPeer(userId, { connection: st, ...(st === "connected" ? {} : { quality: "connecting" as Quality }) });
      if (st === "connected") this.announce("Video connected.");
      if (st === "disconnected") this.announce("The connection dropped. Reconnecting…");
      if (st === "failed") void this.repair(userId);
    };
    pc.oniceconnectionstatechange = () => {
      if (pc.iceConnectionState !== "disconnected") return;
      clearTimeout(peer.blipTimer);
      peer.blipTimer = setTimeout(() => {
        if (this.peers.get(userId)?.pc === pc && pc.iceConnectionState !== "connected" && pc.iceConnectionState !== "completed") void this.repair(userId);
      }, 2_000);
    };
    this.emitPeers();
    return peer;
  }

  /** After a blip: the offerer restarts ICE; the other side asks it to. */
  private async repair(userId: string): Promise<void> {
    const peer = this.peers.get(userId);
    if (!peer?.pc || !this.joined) return;
    if (this.shouldOffer(userId, peer.view.role)) await this.offer(userId, peer.view.role, peer.nonce, true);
    else this.signal("hello", userId, this.presence());
  }

  private dropPeer(userId: string): void {
    const peer = this.peers.get(userId);
    if (!peer) return;
    clearTimeout(peer.blipTimer);
    peer.pc?.close();
    this.peers.delete(userId);
    this.emitPeers();
  }

  private updatePeerState(userId: string, role: CallRole, data: Record<string, unknown>): void {
    if (!this.peers.has(userId)) return;
    const patch: Partial<PeerView> = { role };
    if (typeof data.audio === "boolean") patch.audio = data.audio;
    if (typeof data.video === "boolean") patch.video = data.video;
    if (typeof data.screen === "boolean") patch.screen = data.screen;
    const before = this.peers.get(userId)!.view;
    this.setPeer(userId, patch);
    const who = role === "patient" ? "The patient" : role === "provider" ? "The provider" : "A care-team member";
    if (patch.audio !== undefined && patch.audio !== before.audio) this.announce(`${who} ${patch.audio ? "unmuted" : "muted"} their microphone.`);
    if (patch.video !== undefined && patch.video !== before.video) this.announce(`${who} turned their camera ${patch.video ? "on" : "off"}.`);
  }

  // ------------------------------------------------------------------ connection quality (getStats)

  private async pollStats(): Promise<void> {
    for (const [userId, peer] of this.peers) {
      const pc = peer.pc;
      if (!pc || pc.connectionState !== "connected") continue;
      const report = await pc.getStats();
      let bytes = 0;
      let lost = 0;
      let received = 0;
      let rtt: number | null = null;
      report.forEach((s: Record<string, unknown>) => {
        if (s.type === "inbound-rtp") {
          bytes += Number(s.bytesReceived ?? 0);
          lost += Math.max(0, Number(s.packetsLost ?? 0));
          received += Number(s.packetsReceived ?? 0);
        }
        if (s.type === "candidate-pair" && s.state === "succeeded" && typeof s.currentRoundTripTime === "number") rtt = s.currentRoundTripTime * 1000;
      });
      const loss = received + lost > 0 ? (lost / (received + lost)) * 100 : 0;
      const flowing = bytes > peer.lastBytes;
      peer.lastBytes = bytes;
      const r = rtt as number | null;
      const quality: Quality = !flowing ? "poor" : (r ?? 0) < 300 && loss < 2 ? "good" : (r ?? 0) < 700 && loss < 8 ? "fair" : "poor";
      if (quality !== peer.view.quality && quality === "poor") this.announce("The connection is poor.");
      this.setPeer(userId, { quality, bytesReceived: bytes, rttMs: r === null ? null : Math.round(r), lossPercent: Math.round(loss * 10) / 10 });
    }
  }

  // ------------------------------------------------------------------ view

  private setPeer(userId: string, patch: Partial<PeerView>): void {
    const peer = this.peers.get(userId);
    if (!peer) return;
    peer.view = { ...peer.view, ...patch };
    this.emitPeers();
  }

  private emitPeers(): void {
    this.update({ peers: [...this.peers.values()].map((p) => p.view) });
  }

  private update(patch: Partial<EngineView>): void {
    this.view = { ...this.view, ...patch };
    this.onChange(this.view);
  }
}
