import { format } from "node:util";
import type { Logger } from "pino";

/**
 * One log format: what Node and Next print by themselves (process warnings, console output
 * from Next's server, an uncaught exception) becomes JSON lines through the process logger,
 * instead of plain text mixed into them. server.ts installs it first thing.
 *
 * Returns a function that puts everything back (tests).
 */
export function routeProcessOutputToLog(log: Logger, opts: { exit?: (code: number) => void } = {}): () => void {
  const exit = opts.exit ?? ((code: number) => process.exit(code));

  // Node prints warnings to stderr from a listener of its own; ours replaces it.
  const nodeWarningListeners = process.listeners("warning");
  process.removeAllListeners("warning");
  const onWarning = (w: Error & { code?: string }) => {
    log.warn({ source: "process", warning: { name: w.name, code: w.code, message: w.message } }, "process warning");
  };
  process.on("warning", onWarning);

  // An uncaught exception (or, by Node's default, an unhandled rejection) still ends the
  // process, as a JSON line with the stack.
  const onUncaught = (e: unknown, origin: string) => {
    const err = e as Error & { code?: string };
    log.fatal({ source: "process", origin, err: { name: err?.name, code: err?.code, message: err?.message, stack: err?.stack } }, "uncaught exception");
    exit(1);
  };
  process.on("uncaughtException", onUncaught);

  /* eslint-disable no-console -- this replaces console's methods; nothing here prints through them */
  const originals = { log: console.log, info: console.info, debug: console.debug, warn: console.warn, error: console.error };
  const through = (level: "info" | "debug" | "warn" | "error") =>
    (...args: unknown[]) => {
      log[level]({ source: "console" }, format(...args).trimEnd());
    };
  console.log = through("info");
  console.info = through("info");
  console.debug = through("debug");
  console.warn = through("warn");
  console.error = through("error");
  /* eslint-enable no-console */

  return () => {
    Object.assign(console, originals);
    process.removeListener("uncaughtException", onUncaught);
    process.removeListener("warning", onWarning);
    for (const l of nodeWarningListeners) process.on("warning", l as (w: Error) => void);
  };
}
