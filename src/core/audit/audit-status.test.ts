import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { summarizeAuditStatus } from "./audit-status";
import { GUARD_TRIGGERS } from "./chain";
import { checkpointMac } from "./checkpoint";

const key = randomBytes(32);
const on = GUARD_TRIGGERS.map(([tbl, tgname]) => ({ tbl, tgname, tgenabled: "O" }));
const hash = "a".repeat(64);
const createdAt = new Date("2026-11-23T10:00:00.000Z");
const signed = (chain_id: number, head: number, seq: number) => ({
  chain_id,
  head_seq: String(head),
  cp_seq: String(seq),
  cp_hash: hash,
  cp_hmac: checkpointMac(key, { chainId: chain_id, chainSeq: String(seq), hash, createdAt }),
  cp_created_at: createdAt,
  record_hash: hash,
  record_recomputed: hash,
});
const unsigned = (chain_id: number, head: number) => ({
  chain_id, head_seq: String(head), cp_seq: null, cp_hash: null, cp_hmac: null, cp_created_at: null, record_hash: null, record_recomputed: null,
});

describe("summarizeAuditStatus", () => {
  it("counts records, signed chains and records no checkpoint covers", () => {
    const s = summarizeAuditStatus([signed(0, 10, 8), unsigned(1, 4), unsigned(2, 0)], on, key);
    expect(s).toEqual({
      lastCheckpointAt: createdAt.toISOString(),
      chainsInUse: 2,
      chainsSigned: 1,
      records: 14,
      recordsSinceCheckpoint: 6,
      problems: [],
    });
  });

  it("reports a disabled or missing guard trigger", () => {
    const triggers = on.slice(1).map((t, i) => (i === 0 ? { ...t, tgenabled: "D" } : t));
    const s = summarizeAuditStatus([], triggers, key);
    expect(s.problems).toEqual([
      `Trigger ${GUARD_TRIGGERS[0][1]} on ${GUARD_TRIGGERS[0][0]} is missing.`,
      `Trigger ${GUARD_TRIGGERS[1][1]} on ${GUARD_TRIGGERS[1][0]} is disabled.`,
    ]);
    expect(s.lastCheckpointAt).toBeNull();
  });

  it("reports a forged signature, a changed or missing record and a rewound chain", () => {
    const forged = { ...signed(0, 5, 5), cp_hmac: "0".repeat(64) };
    const changed = { ...signed(1, 5, 5), record_recomputed: "b".repeat(64) };
    const missing = { ...signed(2, 5, 5), record_hash: null, record_recomputed: null };
    const rewound = signed(3, 2, 5);
    const s = summarizeAuditStatus([forged, changed, missing, rewound], on, key);
    expect(s.problems).toEqual([
      "The newest checkpoint of chain 0 has a signature that does not match.",
      "The record checkpointed at chain 1 position 5 has changed.",
      "The record checkpointed at chain 2 position 5 is missing.",
      "Chain 3 ends before its newest checkpoint.",
    ]);
  });
});
