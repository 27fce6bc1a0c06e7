/**
 * The Node entry: one HTTP server for Next.js pages and route handlers, with its own
 * WebSocket upgrade listener for /realtime/v1. Opens (and migrates) the database before
 * Next prepares, so Next's bundles find the one instance on globalThis. Shutdown drains
 * (src/core/ops/shutdown.ts, docs/operations.md).
 */
import { createServer, type IncomingMessage } from "node:http";
import { randomUUID } from "node:crypto";
import { existsSync } from "node:fs";
import { spawnSync } from "node:child_process";
import path from "node:path";
import { pathToFileURL } from "node:url";

process.env.NEXT_TELEMETRY_DISABLED = "1";
const dev = process.argv.includes("--dev");
// Next reads NODE_ENV; set it before Next is imported.
(process.env as Record<string, string>).NODE_ENV = dev ? "development" : "production";

const { env, loadConfig } = await import("./src/core/config/index");
const { initDatabase, closeDatabase } = await import("./src/core/db/index");
const { rootSecret } = await import("./src/core/config/index");
const { log, redactUrl } = await import("./src/core/log");
// Next's and Node's own output (console, process warnings, a crash) as JSON lines too
const { routeProcessOutputToLog } = await import("./src/core/ops/process-logs");
routeProcessOutputToLog(log);
const { gracefulShutdown, HttpTraffic, shutdownTiming } = await import("./src/core/ops/shutdown");
const { measureHttpRequest, metrics } = await import("./src/core/ops/metrics");
const { RouteLabeler, loadRoutePatterns, loadAppPathRoutes } = await import("./src/core/ops/route-label");
const { ApiRouter } = await import("./src/core/http/api-router");
type RouteModule = import("./src/core/http/api-router").RouteModule;
const { acceptRequestId, REQUEST_ID_HEADER } = await import("./src/core/http/request-id");
const { CLIENT_IP_HEADER, stampForwardedHeaders, trustedProxyHops } = await import("./src/core/http/client-address");
const proxyHops = trustedProxyHops(); // refuses a TRUST_PROXY that is not a number of proxies

const config = loadConfig();
const timing = shutdownTiming(); // refuses a SHUTDOWN_GRACE_SECONDS that is not a number of seconds
const distDir = path.join(process.cwd(), env().NEXT_DIST_DIR);

function ensureBuild(): void {
  if (dev || existsSync(path.join(distDir, "BUILD_ID"))) return;
  console.log("No production build found: running `next build` once (about a minute)...");
  const nextBin = path.join(process.cwd(), "node_modules", "next", "dist", "bin", "next");
  const r = spawnSync(process.execPath, [nextBin, "build"], { stdio: "inherit", env: { ...process.env, NODE_ENV: "production" } });
  if (r.status !== 0) {
    console.error("`next build` failed; see above.");
    process.exit(1);
  }
}

async function main(): Promise<void> {
  try {
    rootSecret(config); // a missing CAREBASE_SECRET with DATABASE_URL, or DATA_DIR/secret missing beside data: one clear error
  } catch (e) {
    console.error(`Carebase cannot start: ${(e as Error).message}`);
    process.exit(1);
  }
  ensureBuild();
  let db;
  try {
    db = await initDatabase();
  } catch (e) {
    console.error(`Carebase cannot start: ${(e as Error).message}`);
    process.exit(1);
  }
  log.info({ engine: db.kind }, "database ready");
  // issue #13: the root secret must be the one the data was written with (docs/operations.md, "The root secret")
  const { checkRootSecret } = await import("./src/core/config/check-root-secret");
  await checkRootSecret(db.pool).catch(async (e: unknown) => {
    console.error(`Carebase cannot start: ${(e as Error).message}`);
    await closeDatabase();
    process.exit(1);
  });
  const { sweepOrphans } = await import("./src/core/storage/sweep-orphans");
  const swept = await sweepOrphans();
  log.info({ removed: swept.removed.length, incomplete: swept.incomplete, missing: swept.missing.length }, "storage orphans swept");
  const { startAuditCheckpoints } = await import("./src/core/audit/checkpoint");
  const stopCheckpoints = startAuditCheckpoints(db.pool, 60_000, (e) => log.error({ err: (e as Error)?.message }, "audit checkpoint failed"));
  const { startDocumentRetention } = await import("./src/core/storage/purge-deleted-documents");
  const stopRetention = startDocumentRetention({ onError: (e) => log.error({ err: (e as Error)?.name }, "document retention run failed") });
  // issue #13: leftovers swept hourly too, not only at start-up; the embedded engine's backups go through the server
  const { startOrphanSweeps } = await import("./src/core/storage/sweep-orphans");
  const stopSweeps = startOrphanSweeps({ onError: (e) => log.error({ err: (e as Error)?.name }, "orphan sweep failed") });
  const { startControlSocket } = await import("./src/core/ops/backup/control-socket");
  const stopControl = db.kind === "pglite" ? await startControlSocket(db, { dataDir: config.dataDir }) : async () => {};
  const { startRealtime, stopRealtime } = await import("./src/core/realtime/index");
  await startRealtime(db);
  // issue #14: the mail outbox's worker (docs/mail.md); without SMTP_URL mail is held and this does nothing
  const { startMailWorker } = await import("./src/core/mail/mail-worker");
  const stopMail = startMailWorker({ onError: (e) => log.error({ err: (e as Error)?.message }, "mail worker round failed") });
  // issue #14: appointment reminders the day before, queued once per appointment whichever instance runs it
  const { startReminderJob } = await import("./src/core/mail/send-appointment-reminders");
  const stopReminders = startReminderJob({ onError: (e) => log.error({ err: (e as Error)?.message }, "appointment reminders failed") });

  // issue #16: expired Bulk Data exports (and jobs a restart interrupted) are swept every 15 minutes
  const { ensureExportSweeps, stopExportSweeps } = await import("./src/core/fhir/export/sweep-exports");
  const { exportsSettled } = await import("./src/core/fhir/export/run-export");
  ensureExportSweeps();

  const { default: next } = await import("next");
  const app = next({ dev, dir: process.cwd(), hostname: "localhost", port: config.port });
  const handle = app.getRequestHandler();
  await app.prepare();

  metrics(); // this process's registry, before Next's bundles look for it
  const routes = new RouteLabeler(loadRoutePatterns(distDir));
  // issue #20: /api and /fhir are answered by the light router, pages by Next (docs/api-router.md);
  // API_ROUTER=next sends everything through Next (the comparison in bench:http)
  const apiRouter =
    dev || env().API_ROUTER === "next"
      ? undefined
      : new ApiRouter({
          manifest: loadAppPathRoutes(distDir),
          load: (entry) => {
            // compiled (npm start, scripts/build-server.mjs): the route modules are chunks of the bundle;
            // under tsx (tests, bench): the sources
            const compiled = (globalThis as { __carebaseRouteModules?: Record<string, () => Promise<unknown>> }).__carebaseRouteModules;
            if (compiled) {
              const load = compiled[entry];
              if (!load) return Promise.reject(new Error(`route module ${entry} is not in the compiled server: rebuild it (npm run build)`));
              return load() as Promise<RouteModule>;
            }
            return import(pathToFileURL(path.join(process.cwd(), "src", "app", `${entry}.ts`)).href);
          },
          onError: (err, req) => log.error({ requestId: req.headers[REQUEST_ID_HEADER], err: (err as Error)?.message }, "route handler failed"),
        });
  const { handleSmartHttp } = await import("./src/core/smart/smart-http");
  const traffic = new HttpTraffic();
  const server = createServer((req, res) => {
    traffic.track(req, res);
    measureHttpRequest(req, res, routes.label(req.url));
    stampRequest(req);
    // issue #17: the OAuth server under /oauth, SMART discovery and CORS for /fhir/R4 first (docs/smart.md)
    handleSmartHttp(req, res)
      .then((served) => served || (apiRouter ? apiRouter.handle(req, res) : false))
      .then((served) => (served ? undefined : handle(req, res))).catch((err: unknown) => {
      log.error({ requestId: req.headers["x-request-id"], err: (err as Error)?.message }, "request handler failed");
      if (!res.headersSent) res.writeHead(500, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: { code: "internal_error", message: "Something went wrong on our side." } }));
    });
  });

  server.on("upgrade", (req, socket, head) => {
    const url = req.url ?? "";
    if (url.startsWith("/realtime/v1")) {
      const upgradeHandlers = (globalThis as Record<symbol, unknown>)[Symbol.for("carebase.upgrade")] as
        | ((req: IncomingMessage, socket: import("node:stream").Duplex, head: Buffer) => void)
        | undefined;
      stampRequest(req);
      log.info({ requestId: req.headers[REQUEST_ID_HEADER], ip: req.headers[CLIENT_IP_HEADER], url: redactUrl(url) }, "realtime upgrade");
      if (upgradeHandlers) return upgradeHandlers(req, socket, head);
      socket.end("HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\n\r\n");
      return;
    }
    // Next attaches its own listener for /_next/webpack-hmr in dev; anything else is refused.
    if (!dev) socket.destroy();
  });

  traffic.attach(server);
  server.listen(config.port, () => {
    log.info({ port: config.port, engine: db.kind }, `Carebase listening on http://localhost:${config.port}`);
  });

  // readiness 503, stop accepting, let requests in flight finish, then the rest in this order
  const stop = gracefulShutdown({
    server,
    traffic,
    timing,
    log,
    exit: (code) => process.exit(code),
    steps: [
      { name: "realtime", run: () => stopRealtime() }, // sockets closed with 1001
      { name: "appointment reminders", run: () => stopReminders() },
      // an export still running after 5 s is left to fail and be swept (its client polls again elsewhere)
      { name: "fhir exports", run: async () => { stopExportSweeps(); await Promise.race([exportsSettled(), new Promise((r) => setTimeout(r, 5000).unref())]); } },
      { name: "mail", run: () => stopMail() }, // the round in progress finishes; leased mail is retried after its lease
      { name: "document retention", run: () => stopRetention() },
      { name: "orphan sweep", run: () => stopSweeps() },
      { name: "backup socket", run: () => stopControl() }, // a backup in progress fails; its partial file is removed
      { name: "audit", run: () => stopCheckpoints() }, // staged read records chained and signed
      { name: "database", run: () => closeDatabase() },
    ],
  });
  process.on("SIGTERM", () => void stop("SIGTERM"));
  process.on("SIGINT", () => void stop("SIGINT"));
}

/**
 * Request id and client address for logs and the audit trail; client-sent copies are
 * overwritten, and forwarded headers not written by a trusted proxy are dropped
 * (src/core/http/client-address.ts, docs/reverse-proxy.md).
 */
function stampRequest(req: IncomingMessage): void {
  req.headers[REQUEST_ID_HEADER] = acceptRequestId(req.headers[REQUEST_ID_HEADER]) ?? randomUUID();
  stampForwardedHeaders(req.headers, req.socket.remoteAddress, proxyHops);
}

await main();
