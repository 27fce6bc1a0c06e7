import { describe, expect, it } from "vitest";
import { markDatabaseConnectError } from "../db/unavailable";
import { errorResponse } from "./respond";

/** An error as node-postgres or the socket layer throws it. */
function thrown(fields: { code?: string; message?: string }): Error {
  return Object.assign(new Error(fields.message ?? "boom"), fields.code ? { code: fields.code } : {});
}

async function answer(e: unknown) {
  const res = errorResponse(e, "req-12345678");
  return { status: res.status, retryAfter: res.headers.get("retry-after"), code: ((await res.json()) as { error: { code: string } }).error.code };
}

describe("errorResponse: the database being down is 503 with Retry-After, not 500", () => {
  it.each([
    ["57P01 admin_shutdown (server restart, pg_terminate_backend)", { code: "57P01", message: "terminating connection due to administrator command" }],
    ["57P02 crash_shutdown", { code: "57P02" }],
    ["57P03 cannot_connect_now (starting up, in recovery)", { code: "57P03", message: "the database system is starting up" }],
    ["08006 connection_failure", { code: "08006" }],
    ["08001 unable to establish a connection", { code: "08001" }],
    ["08P01 protocol violation", { code: "08P01" }],
    ["53300 too_many_connections", { code: "53300" }],
    ["node-postgres: connection lost mid-query", { message: "Connection terminated unexpectedly" }],
    ["node-postgres: a client that lost its connection", { message: "Client has encountered a connection error and is not queryable" }],
    ["node-postgres: the pool is closed (shutdown)", { message: "Cannot use a pool after calling end on the pool" }],
  ])("%s → 503 database_unavailable", async (_, fields) => {
    expect(await answer(thrown(fields))).toEqual({ status: 503, retryAfter: "5", code: "database_unavailable" });
  });

  it("ECONNREFUSED from opening a pool connection → 503 database_unavailable", async () => {
    const e = markDatabaseConnectError(thrown({ code: "ECONNREFUSED", message: "connect ECONNREFUSED 127.0.0.1:5432" }));
    expect(await answer(e)).toEqual({ status: 503, retryAfter: "5", code: "database_unavailable" });
  });

  it("a bare socket error from another dependency → 503 service_unavailable", async () => {
    expect(await answer(thrown({ code: "ECONNREFUSED" }))).toEqual({ status: 503, retryAfter: "5", code: "service_unavailable" });
    expect(await answer(thrown({ code: "ETIMEDOUT" }))).toEqual({ status: 503, retryAfter: "5", code: "service_unavailable" });
  });

  it("the caller's database errors keep their statuses; anything else is still 500", async () => {
    expect(await answer(thrown({ code: "23505" }))).toMatchObject({ status: 409, retryAfter: null });
    expect(await answer(thrown({ code: "42501" }))).toMatchObject({ status: 403, retryAfter: null });
    expect(await answer(thrown({ code: "55000", message: "cannot ALTER TABLE because it has pending trigger events" }))).toMatchObject({ status: 500 });
    expect(await answer(thrown({ message: "Connection refused by the mail server" }))).toMatchObject({ status: 500, code: "internal_error" });
  });
});
