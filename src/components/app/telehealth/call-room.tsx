"use client";

import * as React from "react";
import Link from "next/link";
import { MicIcon, MicOffIcon, MonitorUpIcon, PhoneOffIcon, VideoIcon, VideoOffIcon, UserCheckIcon } from "lucide-react";
import { Alert, AlertDescription, AlertTitle } from "@/components/ui/alert";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Label } from "@/components/ui/label";
import { NativeSelect } from "@/components/ui/native-select";
import type { CallState } from "@/core/telehealth/call.types";
import { api } from "../api-client";
import { formatTimeRange } from "../format";
import { useTimeZone } from "../time-zone";
import { CallEngine, type EngineView, type PeerView, type Quality } from "./call-engine";

const ROLE_LABEL = { provider: "Provider", patient: "Patient", member: "Care-team member" } as const;
const QUALITY: Record<Quality, { label: string; variant: "success" | "secondary" | "destructive" | "outline" }> = {
  connecting: { label: "Connecting", variant: "outline" },
  good: { label: "Good connection", variant: "success" },
  fair: { label: "Fair connection", variant: "secondary" },
  poor: { label: "Poor connection", variant: "destructive" },
};

/** A <video> bound to a stream. */
function StreamVideo({ stream, muted, label, testId, mirrored }: { stream: MediaStream | null; muted?: boolean; label: string; testId: string; mirrored?: boolean }) {
  const ref = React.useRef<HTMLVideoElement>(null);
  React.useEffect(() => {
    const v = ref.current;
    if (v && v.srcObject !== stream) v.srcObject = stream;
  }, [stream]);
  return (
    <video
      ref={ref}
      autoPlay
      playsInline
      muted={muted}
      aria-label={label}
      data-testid={testId}
      className={`bg-muted aspect-video w-full rounded-md object-cover ${mirrored ? "-scale-x-100" : ""}`}
    />
  );
}

function RemoteTile({ peer }: { peer: PeerView }) {
  const q = QUALITY[peer.quality];
  const who = ROLE_LABEL[peer.role];
  return (
    <figure className="grid gap-2" data-testid="remote-tile" data-user={peer.userId} data-bytes-received={peer.bytesReceived} data-audio={String(peer.audio)}>
      <StreamVideo stream={peer.stream} label={`${who}'s video`} testId="remote-video" />
      <figcaption className="flex flex-wrap items-center gap-2 text-sm">
        <span className="font-medium">{who}</span>
        <Badge variant={q.variant} title={peer.rttMs !== null ? `Round trip ${peer.rttMs} ms, ${peer.lossPercent ?? 0}% packets lost` : undefined}>
          {q.label}
        </Badge>
        {!peer.audio && (
          <Badge variant="secondary" data-testid="remote-muted">
            <MicOffIcon aria-hidden="true" /> Muted
          </Badge>
        )}
        {!peer.video && <Badge variant="secondary">Camera off</Badge>}
        {peer.screen && <Badge variant="outline">Sharing screen</Badge>}
      </figcaption>
    </figure>
  );
}

export interface Colleague {
  user_id: string;
  full_name: string;
  role: string;
}

/**
 * The provider brings a colleague from the patient's care team into the open call; the
 * colleague joins through the call's link (the database lets them in while the call is open).
 */
function AddColleague({ appointmentId, colleagues, members, announce }: { appointmentId: string; colleagues: Colleague[]; members: string[]; announce: (m: string) => void }) {
  const [chosen, setChosen] = React.useState("");
  const [added, setAdded] = React.useState<string[]>(members);
  const [busy, setBusy] = React.useState(false);
  const [error, setError] = React.useState<string | null>(null);
  const choices = colleagues.filter((c) => !added.includes(c.user_id));
  const link = typeof window === "undefined" ? `/visits/call/${appointmentId}` : `${window.location.origin}/visits/call/${appointmentId}`;

  async function add(ev: React.FormEvent) {
    ev.preventDefault();
    if (!chosen) return setError("Choose a colleague first.");
    setBusy(true);
    setError(null);
    const r = await api<CallState>(`/api/v1/appointments/${appointmentId}/call`, { method: "POST", body: { action: "add_member", user_id: chosen } });
    setBusy(false);
    if (!r.ok) return setError(r.error.message);
    const who = colleagues.find((c) => c.user_id === chosen)?.full_name ?? "Your colleague";
    setAdded((a) => [...a, chosen]);
    setChosen("");
    announce(`${who} may now join this video visit.`);
  }

  return (
    <section aria-labelledby="add-colleague-title" className="bg-card grid gap-2 rounded-md border p-3" data-testid="add-colleague">
      <h2 id="add-colleague-title" className="text-sm font-medium">Bring in a colleague</h2>
      {colleagues.length === 0 ? (
        <p className="text-muted-foreground text-sm">Nobody else is on this patient&apos;s care team.</p>
      ) : (
        <form onSubmit={add} className="flex flex-wrap items-end gap-2" noValidate>
          <div className="grid gap-1">
            <Label htmlFor="call-colleague">Care-team member</Label>
            <NativeSelect id="call-colleague" value={chosen} onChange={(ev) => setChosen(ev.target.value)} disabled={choices.length === 0} aria-invalid={error ? true : undefined} aria-describedby={error ? "call-colleague-error" : undefined}>
              <option value="">{choices.length === 0 ? "Everyone on the team is added" : "Choose…"}</option>
              {choices.map((c) => (
                <option key={c.user_id} value={c.user_id}>{c.full_name} ({c.role})</option>
              ))}
            </NativeSelect>
          </div>
          <Button type="submit" size="sm" variant="outline" disabled={busy || choices.length === 0}>{busy ? "Adding…" : "Add to the call"}</Button>
        </form>
      )}
      {error && <p id="call-colleague-error" role="alert" className="text-destructive text-sm">{error}</p>}
      {added.length > 0 && (
        <p className="text-muted-foreground text-sm break-all">
          Added: {added.map((id) => colleagues.find((c) => c.user_id === id)?.full_name ?? "a colleague").join(", ")}. They join through this visit&apos;s link: <span className="font-mono">{link}</span>
        </p>
      )}
    </section>
  );
}

/**
 * The video visit: device choice and preview, the waiting room, the call (mute, camera off,
 * screen share for the provider, connection quality, reconnect after a blip), leave / end.
 * State changes are announced in a polite live region.
 */
export function CallRoom({ initial, colleagues = [] }: { initial: CallState; colleagues?: Colleague[] }) {
  const timeZone = useTimeZone();
  const [view, setView] = React.useState<EngineView | null>(null);
  const [message, setMessage] = React.useState("");
  const [local, setLocal] = React.useState<MediaStream | null>(null);
  const [mediaError, setMediaError] = React.useState<string | null>(null);
  const [devices, setDevices] = React.useState<MediaDeviceInfo[]>([]);
  const [micId, setMicId] = React.useState("");
  const [camId, setCamId] = React.useState("");
  const [audioOn, setAudioOn] = React.useState(true);
  const [videoOn, setVideoOn] = React.useState(true);
  const [sharing, setSharing] = React.useState(false);
  const [busy, setBusy] = React.useState(false);
  const [error, setError] = React.useState<string | null>(null);
  const engine = React.useRef<CallEngine | null>(null);
  const isProvider = initial.role === "provider";

  React.useEffect(() => {
    const e = new CallEngine(initial, setView, setMessage);
    engine.current = e;
    setView(e.view);
    e.connect();
    return () => e.close();
  }, [initial]);

  const openMedia = React.useCallback(async (mic?: string, cam?: string) => {
    try {
      const stream = await navigator.mediaDevices.getUserMedia({
        audio: mic ? { deviceId: { exact: mic } } : true,
        video: cam ? { deviceId: { exact: cam } } : { width: { ideal: 1280 }, height: { ideal: 720 } },
      });
      setMediaError(null);
      setDevices(await navigator.mediaDevices.enumerateDevices());
      setMicId(stream.getAudioTracks()[0]?.getSettings().deviceId ?? "");
      setCamId(stream.getVideoTracks()[0]?.getSettings().deviceId ?? "");
      setLocal((old) => {
        for (const t of old?.getTracks() ?? []) t.stop();
        return stream;
      });
      engine.current?.setLocalStream(stream);
      await engine.current?.replaceTrack("audio", stream.getAudioTracks()[0] ?? null);
      await engine.current?.replaceTrack("video", stream.getVideoTracks()[0] ?? null);
    } catch {
      setMediaError("Your camera or microphone could not be opened. Allow access in the browser, or check that no other app uses them.");
    }
  }, []);

  React.useEffect(() => {
    void openMedia();
  }, [openMedia]);
  React.useEffect(() => () => local?.getTracks().forEach((t) => t.stop()), [local]);

  const e = engine.current;
  const phase = view?.phase ?? "lobby";
  const callOpen = initial.call !== null && initial.call.ended_at === null;

  async function start() {
    setBusy(true);
    setError(null);
    const r = await api<CallState>(`/api/v1/appointments/${initial.appointment_id}/call`, { method: "POST", body: { action: "start" } });
    setBusy(false);
    if (!r.ok) return setError(r.error.message);
    e?.join();
  }

  async function end() {
    setBusy(true);
    const r = await api<CallState>(`/api/v1/appointments/${initial.appointment_id}/call`, { method: "POST", body: { action: "end" } });
    setBusy(false);
    if (!r.ok) return setError(r.error.message);
    e?.ended();
  }

  async function toggleScreen() {
    if (!e) return;
    if (sharing) {
      await e.setScreen(null);
      setSharing(false);
      return;
    }
    try {
      const display = await navigator.mediaDevices.getDisplayMedia({ video: true });
      const track = display.getVideoTracks()[0];
      track.onended = () => {
        void e.setScreen(null);
        setSharing(false);
      };
      await e.setScreen(track);
      setSharing(true);
    } catch {
      setMessage("Screen sharing was not started.");
    }
  }

  const mics = devices.filter((d) => d.kind === "audioinput");
  const cams = devices.filter((d) => d.kind === "videoinput");
  const inCall = phase === "in_call";

  return (
    <div className="grid gap-4">
      <div>
        <h1 className="text-2xl font-semibold tracking-tight">Video visit</h1>
        <p className="text-muted-foreground text-sm">
          {formatTimeRange(initial.appointment.starts_at, initial.appointment.ends_at, timeZone)} · audio and video go directly between you and the{" "}
          {isProvider ? "patient" : "clinic"}; nothing is recorded.
        </p>
      </div>

      <p role="status" aria-live="polite" className="sr-only" data-testid="call-announcer">
        {message}
      </p>

      {error && (
        <Alert variant="destructive">
          <AlertTitle>That did not work</AlertTitle>
          <AlertDescription>{error}</AlertDescription>
        </Alert>
      )}
      {mediaError && (
        <Alert variant="destructive">
          <AlertTitle>No camera or microphone</AlertTitle>
          <AlertDescription>
            {mediaError}{" "}
            <Button variant="outline" size="sm" onClick={() => void openMedia()}>
              Try again
            </Button>
          </AlertDescription>
        </Alert>
      )}
      {view?.socket === "closed" && (phase === "in_call" || phase === "waiting") && (
        <Alert>
          <AlertTitle>Reconnecting</AlertTitle>
          <AlertDescription>The connection to the clinic dropped; the video continues while it reconnects.</AlertDescription>
        </Alert>
      )}

      {phase === "ended" || phase === "unavailable" ? (
        <Alert data-testid="call-ended">
          <AlertTitle>{phase === "ended" ? "The video visit has ended" : "This video visit is not available"}</AlertTitle>
          <AlertDescription>
            {phase === "ended" && isProvider ? "The visit is recorded in the chart as a telehealth visit. " : ""}
            <Link className="text-primary underline-offset-4 hover:underline" href={isProvider ? "/today" : "/my-records"}>
              {isProvider ? "Back to Today" : "Back to my records"}
            </Link>
          </AlertDescription>
        </Alert>
      ) : (
        <>
          <div className="grid gap-4 md:grid-cols-2">
            <figure className="grid gap-2">
              <StreamVideo stream={local} muted label="Your camera preview" testId="local-video" mirrored={!sharing} />
              <figcaption className="text-muted-foreground text-sm">
                You{!audioOn && " · muted"}
                {!videoOn && " · camera off"}
                {sharing && " · sharing your screen"}
              </figcaption>
            </figure>
            {view?.peers.map((p) => <RemoteTile key={p.userId} peer={p} />)}
            {inCall && view?.peers.length === 0 && (
              <div className="bg-muted text-muted-foreground grid aspect-video place-items-center rounded-md p-4 text-center text-sm" data-testid="call-alone">
                {isProvider ? "Waiting for the patient to join." : "Connecting to your provider…"}
              </div>
            )}
            {phase === "waiting" && (
              <div className="bg-muted grid aspect-video place-items-center rounded-md p-4 text-center" data-testid="waiting-room">
                <p className="font-medium">You are in the waiting room.</p>
                <p className="text-muted-foreground text-sm">Your provider will let you in shortly. Keep this page open.</p>
              </div>
            )}
          </div>

          {isProvider && view && view.waiting.length > 0 && (
            <ul aria-label="Waiting room" className="grid gap-2">
              {view.waiting.map((id) => (
                <li key={id} className="bg-card flex flex-wrap items-center justify-between gap-2 rounded-md border p-3">
                  <span>The patient is waiting to be let in.</span>
                  <Button size="sm" onClick={() => e?.admit(id)} data-testid="admit">
                    <UserCheckIcon aria-hidden="true" /> Admit
                  </Button>
                </li>
              ))}
            </ul>
          )}

          {isProvider && inCall && (
            <AddColleague appointmentId={initial.appointment_id} colleagues={colleagues} members={initial.call?.ended_at === null ? initial.call.members : []} announce={setMessage} />
          )}

          <div className="grid gap-3 sm:grid-cols-2">
            <div className="grid gap-1">
              <Label htmlFor="call-mic">Microphone</Label>
              <NativeSelect id="call-mic" value={micId} onChange={(ev) => { setMicId(ev.target.value); void openMedia(ev.target.value, camId || undefined); }} disabled={mics.length === 0}>
                {mics.length === 0 && <option value="">No microphone found</option>}
                {mics.map((d, i) => (
                  <option key={d.deviceId || i} value={d.deviceId}>{d.label || `Microphone ${i + 1}`}</option>
                ))}
              </NativeSelect>
            </div>
            <div className="grid gap-1">
              <Label htmlFor="call-cam">Camera</Label>
              <NativeSelect id="call-cam" value={camId} onChange={(ev) => { setCamId(ev.target.value); void openMedia(micId || undefined, ev.target.value); }} disabled={cams.length === 0}>
                {cams.length === 0 && <option value="">No camera found</option>}
                {cams.map((d, i) => (
                  <option key={d.deviceId || i} value={d.deviceId}>{d.label || `Camera ${i + 1}`}</option>
                ))}
              </NativeSelect>
            </div>
          </div>

          <div className="flex flex-wrap gap-2" role="group" aria-label="Call controls">
            {phase === "lobby" || phase === "left" ? (
              isProvider ? (
                <Button onClick={() => void start()} disabled={busy || view?.socket !== "open"} data-testid="start-call">
                  <VideoIcon aria-hidden="true" /> {callOpen ? "Rejoin video visit" : "Start video visit"}
                </Button>
              ) : (
                <Button onClick={() => e?.join()} disabled={view?.socket !== "open"} data-testid="join-call">
                  <VideoIcon aria-hidden="true" /> {phase === "left" ? "Rejoin video visit" : "Join video visit"}
                </Button>
              )
            ) : null}
            <Button variant="outline" aria-pressed={!audioOn} onClick={() => { setAudioOn(!audioOn); e?.setAudio(!audioOn); }} data-testid="toggle-mic">
              {audioOn ? <MicIcon aria-hidden="true" /> : <MicOffIcon aria-hidden="true" />} {audioOn ? "Mute" : "Unmute"}
            </Button>
            <Button variant="outline" aria-pressed={!videoOn} onClick={() => { setVideoOn(!videoOn); e?.setVideo(!videoOn); }} data-testid="toggle-camera">
              {videoOn ? <VideoIcon aria-hidden="true" /> : <VideoOffIcon aria-hidden="true" />} {videoOn ? "Camera off" : "Camera on"}
            </Button>
            {isProvider && inCall && (
              <Button variant="outline" aria-pressed={sharing} onClick={() => void toggleScreen()}>
                <MonitorUpIcon aria-hidden="true" /> {sharing ? "Stop sharing" : "Share screen"}
              </Button>
            )}
            {(inCall || phase === "waiting") &&
              (isProvider ? (
                <Button variant="destructive" onClick={() => void end()} disabled={busy} data-testid="end-call">
                  <PhoneOffIcon aria-hidden="true" /> End visit
                </Button>
              ) : (
                <Button variant="destructive" onClick={() => e?.leave()} data-testid="leave-call">
                  <PhoneOffIcon aria-hidden="true" /> Leave
                </Button>
              ))}
          </div>
        </>
      )}
    </div>
  );
}
