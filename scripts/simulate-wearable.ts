/**
 * npm run simulate:wearable -- --token <device token> [--url http://localhost:3000] [--interval 5]
 *
 * A pretend smartwatch: every --interval seconds it sends the heart-rate samples it
 * "measured" since the last batch (one per second, a resting rhythm with slow drift,
 * breathing variation and the odd walk that lifts it) and a step count per 10 s, to
 * POST /api/v1/vitals. Samples that could not be sent are kept and re-sent with the next
 * batch (the server counts any it already has as duplicates). Ctrl-C stops it.
 */
import { parseArgs } from "node:util";

const { values } = parseArgs({
  options: {
    token: { type: "string" },
    url: { type: "string", default: "http://localhost:3000" },
    interval: { type: "string", default: "5" },
    count: { type: "string" },
  },
});

if (!values.token) {
  console.error("Usage: npm run simulate:wearable -- --token <device token> [--url http://localhost:3000] [--interval 5] [--count N]");
  console.error("Register a device first (portal → Devices, or POST /api/v1/devices) to get a token.");
  process.exit(2);
}
const intervalS = Number(values.interval);
if (!Number.isFinite(intervalS) || intervalS < 1 || intervalS > 3600) {
  console.error("--interval must be between 1 and 3600 seconds.");
  process.exit(2);
}
const maxBatches = values.count ? Number(values.count) : Infinity;
const endpoint = new URL("/api/v1/vitals", values.url).toString();

interface Sample {
  metric: "heart_rate" | "steps";
  value: number;
  unit: "bpm" | "count";
  recorded_at: string;
}

/** A plausible body: resting ~64 bpm, walks of a few minutes now and then. */
class Body {
  private base = 60 + Math.random() * 8;
  private walkingUntil = 0;
  private stepsCarry = 0;
  heartRate(t: number): number {
    if (t > this.walkingUntil && Math.random() < 1 / 600) this.walkingUntil = t + (2 + Math.random() * 6) * 60_000;
    this.base += (Math.random() - 0.5) * 0.2;
    this.base = Math.min(75, Math.max(52, this.base));
    const walking = t < this.walkingUntil ? 30 + Math.random() * 10 : 0;
    const breathing = 2 * Math.sin(t / 4000);
    return Math.round(this.base + walking + breathing + (Math.random() - 0.5) * 3);
  }
  steps(t: number, seconds: number): number {
    const cadence = t < this.walkingUntil ? 1.7 : Math.random() < 0.05 ? 0.3 : 0; // steps per second
    this.stepsCarry += cadence * seconds;
    const whole = Math.floor(this.stepsCarry);
    this.stepsCarry -= whole;
    return whole;
  }
}

const body = new Body();
let pending: Sample[] = [];
let lastT = Math.floor(Date.now() / 1000) * 1000;
let sent = 0;
let batches = 0;
let stopping = false;

function measure(): void {
  const now = Math.floor(Date.now() / 1000) * 1000;
  for (let t = lastT + 1000; t <= now; t += 1000) {
    pending.push({ metric: "heart_rate", value: body.heartRate(t), unit: "bpm", recorded_at: new Date(t).toISOString() });
    if (t % 10_000 === 0) pending.push({ metric: "steps", value: body.steps(t, 10), unit: "count", recorded_at: new Date(t).toISOString() });
  }
  lastT = now;
  if (pending.length > 5000) pending = pending.slice(-5000); // a watch's memory is finite
}

async function flush(): Promise<void> {
  measure();
  while (pending.length > 0) {
    const batch = pending.slice(0, 1000);
    let res: Response;
    try {
      res = await fetch(endpoint, {
        method: "POST",
        headers: { authorization: `Bearer ${values.token}`, "content-type": "application/json" },
        body: JSON.stringify({ samples: batch }),
      });
    } catch (e) {
      console.error(`could not reach ${endpoint}: ${(e as Error).message}; keeping ${pending.length} samples for the next try`);
      return;
    }
    if (res.status === 401) {
      console.error("The device token was refused (unknown or revoked). Stopping.");
      process.exit(1);
    }
    if (res.status !== 202) {
      console.error(`server answered ${res.status}: ${(await res.text()).slice(0, 300)}; dropping this batch`);
      pending = pending.slice(batch.length);
      continue;
    }
    const out = (await res.json()) as { accepted: number; duplicates: number };
    pending = pending.slice(batch.length);
    sent += out.accepted;
    const hr = batch.filter((s) => s.metric === "heart_rate").at(-1)?.value;
    console.log(`${new Date().toISOString()}  sent ${batch.length} (accepted ${out.accepted}, duplicates ${out.duplicates})  heart rate ${hr ?? "-"} bpm  total ${sent}`);
  }
}

async function loop(): Promise<void> {
  console.log(`simulating a wearable → ${endpoint} every ${intervalS} s (Ctrl-C to stop)`);
  while (!stopping && batches < maxBatches) {
    await new Promise((r) => setTimeout(r, intervalS * 1000));
    await flush();
    batches++;
  }
}

process.on("SIGINT", () => {
  stopping = true;
  console.log(`\nstopped after sending ${sent} samples`);
  process.exit(0);
});

await loop();
