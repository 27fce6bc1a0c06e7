/**
 * npm run bench:storage — the documents pipeline on the local (encrypted) driver.
 *
 *  1. Resident memory growth while a 10 MB PDF goes through the upload pipeline (multipart
 *     parse, magic-byte check, SHA-256, AES-256-GCM chunking, fsync, rows): goal ≤ 8 MB.
 *     Beside it, the growth of Buffer memory: what the upload discarded and was not yet
 *     collected, whatever the allocator keeps in reserve.
 *  2. Upload and download throughput against a plain file copy of the same bytes on the
 *     same disk, measured in the same run: goal ≥ 50%.
 *
 * Runs against an in-memory PGlite (or, with `-- --pg`, a fresh PostgreSQL database) and a
 * temp DATA_DIR; prints a table and a JSON line.
 * Each figure is the median of BENCH_RUNS (default 15) interleaved runs, with the best run
 * and the process CPU time beside it: on a loaded machine wall times swing with the
 * scheduler and with garbage collection, CPU time much less. The ratios are also given
 * paired (each run's upload against the copy of the same run, then the median): the
 * machine's speed drifts during a run, and pairing cancels most of that.
 */
import { createReadStream, createWriteStream } from "node:fs";
import { copyFile, mkdtemp, open, rm, stat, unlink, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

const dataDir = await mkdtemp(path.join(os.tmpdir(), "carebase-bench-storage-"));
process.env.DATA_DIR = dataDir;
process.env.LOG_LEVEL = "silent";
setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

const { openDatabase } = await import("../src/core/db/engine");
const { migrate } = await import("../src/core/db/migrate");
const { useDatabase, closeDatabase } = await import("../src/core/db");
const { LocalObjectStore } = await import("../src/core/storage/local-store");
const { useObjectStore } = await import("../src/core/storage");
const { uploadDocument } = await import("../src/core/storage/upload-document");
const { issueSignedUrl } = await import("../src/core/storage/issue-signed-url");
const { downloadDocument } = await import("../src/core/storage/download-document");
const { createPatient, createUser } = await import("../tests/support/seed");

const SIZE = 10_000_000; // a 10 MB PDF (the cap is 10 MiB)
const RUNS = Number(process.env.BENCH_RUNS ?? 15);

// --pg: the rows go to PostgreSQL (its own process, as a clinic on PostgreSQL runs), in a
// fresh database dropped afterwards; default: in-memory PGlite inside this process, whose
// work then counts against the upload.
const PG_URL = process.argv.includes("--pg") ? process.env.BENCH_DATABASE_URL || process.env.TEST_DATABASE_URL || "postgres://postgres@127.0.0.1:5432/postgres" : null;
const PG_DB = `carebase_bench_storage_${process.pid}`;
async function pgAdmin(statement: string): Promise<void> {
  const { default: pg } = await import("pg");
  const c = new pg.Client({ connectionString: PG_URL! });
  await c.connect();
  try {
    await c.query(statement);
  } finally {
    await c.end();
  }
}
let db;
if (PG_URL) {
  await pgAdmin(`create database ${PG_DB}`);
  const url = new URL(PG_URL);
  url.pathname = `/${PG_DB}`;
  db = await openDatabase({ url: url.toString(), poolMax: 4 });
} else {
  db = await openDatabase({ pgliteDir: "memory://" });
}
await migrate(db.pool);
useDatabase(db);
const store = new LocalObjectStore(path.join(dataDir, "objects"));
useObjectStore(store);
const provider = await createUser("provider");
const patientId = await createPatient({ createdBy: provider.id });

// The request body on disk: multipart framing around a PDF-looking 10 MB payload.
const boundary = "----carebasebench";
const head = Buffer.from(
  `--${boundary}\r\nContent-Disposition: form-data; name="document_type"\r\n\r\nlab_result\r\n` +
    `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="bench.pdf"\r\nContent-Type: application/pdf\r\n\r\n`,
);
const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
const payload = Buffer.alloc(SIZE);
payload.write("%PDF-1.7\n");
for (let i = 9; i < SIZE; i += 4096) payload.write(`${i.toString(36)} 0 obj << /Length 4000 >> stream `, i);
const bodyFile = path.join(dataDir, "upload.multipart");
const pdfFile = path.join(dataDir, "source.pdf");
await writeFile(bodyFile, Buffer.concat([head, payload, tail]));
await writeFile(pdfFile, payload);
const bodyBytes = (await stat(bodyFile)).size;

async function uploadOnce() {
  return uploadDocument(
    provider.session,
    patientId,
    { contentType: `multipart/form-data; boundary=${boundary}`, contentLength: bodyBytes, body: createReadStream(bodyFile, { highWaterMark: 64 * 1024 }) },
    {},
    { store },
  );
}

const cpuMs = new Map<number[], number[]>();
const cpuNow = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

/**
 * Wall time into `into`; the process CPU time (all threads) alongside. Each measured step
 * starts from a collected heap, so none pays for the garbage of the step before it.
 */
async function timed<T>(fn: () => Promise<T>, into?: number[]): Promise<[number, T]> {
  if (into) {
    gc();
    // a forced collection leaves sweeping to V8's helper threads and to the next
    // allocations: let it finish, so the step measured does not pay for it
    await new Promise((r) => setTimeout(r, 30));
  }
  const c = cpuNow();
  const t = performance.now();
  const out = await fn();
  const ms = performance.now() - t;
  if (into) {
    into.push(ms);
    if (!cpuMs.has(into)) cpuMs.set(into, []);
    cpuMs.get(into)!.push(cpuNow() - c);
  }
  return [ms, out];
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const mbps = (ms: number) => SIZE / 1e6 / (ms / 1000);

// --- 1. memory: the very first upload (cold: code loads, JIT, database caches), then warm ones
gc();
const coldBase = process.memoryUsage().rss;
let coldPeak = coldBase;
const coldSampler = setInterval(() => {
  coldPeak = Math.max(coldPeak, process.memoryUsage().rss);
}, 1);
await uploadOnce();
clearInterval(coldSampler);
const coldGrowth = (Math.max(coldPeak, process.memoryUsage().rss) - coldBase) / (1024 * 1024);
await uploadOnce(); // warm up
const growth: number[] = [];
// the same for the memory of Buffers (V8's array buffers, outside its heap): what the upload
// holds or has discarded and not yet had collected, whatever the allocator keeps in reserve
const bufferGrowth: number[] = [];
for (let i = 0; i < RUNS; i++) {
  gc();
  await new Promise((r) => setTimeout(r, 50));
  gc();
  const { rss: base, arrayBuffers: buffersBase } = process.memoryUsage();
  let peak = base;
  let buffersPeak = buffersBase;
  const sample = () => {
    const m = process.memoryUsage();
    peak = Math.max(peak, m.rss);
    buffersPeak = Math.max(buffersPeak, m.arrayBuffers);
  };
  const sampler = setInterval(sample, 1);
  await uploadOnce();
  clearInterval(sampler);
  sample();
  growth.push((peak - base) / (1024 * 1024));
  bufferGrowth.push((buffersPeak - buffersBase) / (1024 * 1024));
}

// --- 2. throughput: interleaved so the disk's state is shared fairly
const upMs: number[] = [];
const downMs: number[] = [];
const copyStreamMs: number[] = [];
const copyFsyncMs: number[] = [];
const copyFileMs: number[] = [];
const putMs: number[] = [];
const getMs: number[] = [];
for (let i = 0; i < RUNS; i++) {
  // the local driver alone: encrypt + write + fsync + rename, and read + verify + decrypt
  const key = `${patientId}/${crypto.randomUUID()}`;
  await timed(() => store.put(key, createReadStream(pdfFile)), putMs);
  const got = path.join(dataDir, "get.pdf");
  await timed(async () => pipeline(await store.get(key), createWriteStream(got)), getMs);
  await store.delete(key);

  const [, doc] = await timed(uploadOnce, upMs);
  const link = await issueSignedUrl(provider.session, doc.id, {}, "http://localhost", {});
  const token = new URL(link.url).pathname.split("/").pop()!;
  const out = path.join(dataDir, "download.pdf");
  await timed(async () => {
    const file = await downloadDocument(token, {}, store);
    await pipeline(file.body, createWriteStream(out));
  }, downMs);
  if ((await stat(out)).size !== SIZE || (await stat(got)).size !== SIZE) throw new Error("download size mismatch");

  const copy = path.join(dataDir, "copy.pdf");
  await timed(() => pipeline(createReadStream(pdfFile), createWriteStream(copy)), copyStreamMs);
  await unlink(copy);
  await timed(async () => {
    const fh = await open(copy, "w");
    await pipeline(createReadStream(pdfFile), fh.createWriteStream({ flush: true }));
  }, copyFsyncMs);
  await unlink(copy);
  await timed(() => copyFile(pdfFile, copy), copyFileMs);
  // every output goes before the next run, so no run inherits another's dirty pages
  for (const f of [copy, got, out]) await unlink(f);
}

const KEYS = ["upload", "download", "driver_put", "driver_get", "copy_stream", "copy_stream_fsync", "copy_file"];
const rows = [
  ["upload (multipart → sniff → sha256 → AES-GCM → fsync → rows)", upMs],
  ["download (token → session → RLS read + audit → decrypt → file)", downMs],
  ["local driver put (AES-GCM frames → write → fsync → rename)", putMs],
  ["local driver get (read → verify + decrypt → file)", getMs],
  ["plain copy: read stream → write stream", copyStreamMs],
  ["plain copy: read stream → write stream + fsync", copyFsyncMs],
  ["plain copy: fs.copyFile", copyFileMs],
] as const;
const best = (xs: number[]) => Math.min(...xs);
console.log(`\nDocuments storage benchmark — local encrypted driver, rows on ${PG_URL ? "PostgreSQL" : "in-process PGlite"}, ${SIZE / 1e6} MB PDF, ${RUNS} runs, ${os.cpus().length} cores, load ${os.loadavg()[0].toFixed(1)}`);
console.log(`RSS growth during the first (cold) upload: ${coldGrowth.toFixed(1)} MB`);
console.log(`RSS growth during one upload: median ${median(growth).toFixed(1)} MB, max ${Math.max(...growth).toFixed(1)} MB (goal ≤ 8 MB)`);
console.log(`Buffer memory growth during one upload: median ${median(bufferGrowth).toFixed(1)} MB, max ${Math.max(...bufferGrowth).toFixed(1)} MB`);
console.log(`${"".padEnd(66)} ${"median".padStart(10)} ${"MB/s".padStart(6)} ${"best".padStart(9)} ${"cpu".padStart(9)}`);
for (const [name, xs] of rows) {
  console.log(
    `${name.padEnd(66)} ${median(xs).toFixed(1).padStart(7)} ms ${mbps(median(xs)).toFixed(0).padStart(6)} ${best(xs).toFixed(1).padStart(6)} ms ${median(cpuMs.get(xs)!).toFixed(1).padStart(6)} ms`,
  );
}
const ratio = (base: number[], x: number[], f = median) => f(base) / f(x);
/** The median of per-run ratios (run i's baseline over run i's step). */
const paired = (base: number[], x: number[]) => median(x.map((v, i) => base[i] / v));
const pct = (r: number) => `${(r * 100).toFixed(0)}%`;
console.log(
  `upload   / stream copy: ${pct(ratio(copyStreamMs, upMs))} (paired ${pct(paired(copyStreamMs, upMs))}, best runs ${pct(ratio(copyStreamMs, upMs, best))})   vs copy+fsync ${pct(ratio(copyFsyncMs, upMs))} (paired ${pct(paired(copyFsyncMs, upMs))})   goal ≥ 50%`,
);
console.log(`download / stream copy: ${pct(ratio(copyStreamMs, downMs))} (paired ${pct(paired(copyStreamMs, downMs))}, best runs ${pct(ratio(copyStreamMs, downMs, best))})   goal ≥ 50%`);
console.log(`driver put / copy+fsync: ${pct(ratio(copyFsyncMs, putMs))}   driver get / stream copy: ${pct(ratio(copyStreamMs, getMs))}`);
console.log(
  JSON.stringify({
    bench: "storage",
    runs: RUNS,
    load: +os.loadavg()[0].toFixed(2),
    rss_growth_mb: { cold: +coldGrowth.toFixed(2), median: +median(growth).toFixed(2), max: +Math.max(...growth).toFixed(2) },
    buffer_growth_mb: { median: +median(bufferGrowth).toFixed(2), max: +Math.max(...bufferGrowth).toFixed(2) },
    ms: Object.fromEntries(rows.map(([_k, v], i) => [KEYS[i], +median(v).toFixed(1)])),
    best_ms: Object.fromEntries(rows.map(([_k, v], i) => [KEYS[i], +best(v).toFixed(1)])),
    cpu_ms: Object.fromEntries(rows.map(([_k, v], i) => [KEYS[i], +median(cpuMs.get(v)!).toFixed(1)])),
    upload_vs_stream_copy: +ratio(copyStreamMs, upMs).toFixed(3),
    download_vs_stream_copy: +ratio(copyStreamMs, downMs).toFixed(3),
    upload_vs_stream_copy_best: +ratio(copyStreamMs, upMs, best).toFixed(3),
    upload_vs_stream_copy_paired: +paired(copyStreamMs, upMs).toFixed(3),
    upload_vs_copy_fsync_paired: +paired(copyFsyncMs, upMs).toFixed(3),
    download_vs_stream_copy_paired: +paired(copyStreamMs, downMs).toFixed(3),
    download_vs_stream_copy_best: +ratio(copyStreamMs, downMs, best).toFixed(3),
    driver_put_vs_copy_fsync: +ratio(copyFsyncMs, putMs).toFixed(3),
    driver_get_vs_stream_copy: +ratio(copyStreamMs, getMs).toFixed(3),
  }),
);

await closeDatabase();
if (PG_URL) await pgAdmin(`drop database if exists ${PG_DB} with (force)`);
await rm(dataDir, { recursive: true, force: true });
