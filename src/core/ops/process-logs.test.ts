import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { routeProcessOutputToLog } from "./process-logs";

function capture() {
  const lines: Record<string, unknown>[] = [];
  const log = pino({ level: "debug", base: undefined }, { write: (s: string) => void lines.push(JSON.parse(s)) });
  return { lines, log };
}

let restore: (() => void) | undefined;
afterEach(() => {
  restore?.();
  restore = undefined;
});

describe("routeProcessOutputToLog: Node's and Next's own output as JSON lines", () => {
  it("process warnings go to the logger instead of Node's stderr printer", async () => {
    const before = process.listeners("warning").length;
    const { lines, log } = capture();
    restore = routeProcessOutputToLog(log, { exit: () => undefined });
    expect(process.listeners("warning")).toHaveLength(1);
    process.emitWarning("PostgreSQL idle client error: terminating connection", { code: "CB_TEST" });
    await new Promise((r) => setImmediate(r)); // warnings are emitted on the next tick
    expect(lines).toContainEqual(
      expect.objectContaining({ level: 40, msg: "process warning", warning: expect.objectContaining({ code: "CB_TEST", message: "PostgreSQL idle client error: terminating connection" }) }),
    );
    restore();
    restore = undefined;
    expect(process.listeners("warning")).toHaveLength(before);
  });

  it("console.warn / console.error (what Next prints) become warn / error lines, formatted as console would", () => {
    const { lines, log } = capture();
    restore = routeProcessOutputToLog(log, { exit: () => undefined });
    console.warn("⚠ %s is deprecated", "images.domains");
    console.error(new Error("render failed"));
    expect(lines[0]).toMatchObject({ level: 40, source: "console", msg: "⚠ images.domains is deprecated" });
    expect(lines[1]).toMatchObject({ level: 50, source: "console" });
    expect(String(lines[1].msg)).toMatch(/^Error: render failed\n\s+at /);
  });

  it("an uncaught exception is one fatal line, then the process ends with 1", () => {
    const { lines, log } = capture();
    const codes: number[] = [];
    restore = routeProcessOutputToLog(log, { exit: (c) => void codes.push(c) });
    process.listeners("uncaughtException").at(-1)!(Object.assign(new Error("terminating connection due to administrator command"), { code: "57P01" }), "uncaughtException");
    expect(lines[0]).toMatchObject({ level: 60, msg: "uncaught exception", err: { code: "57P01" } });
    expect(codes).toEqual([1]);
  });
});
