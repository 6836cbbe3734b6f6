// The exactly-once audit of an epoch: every shard's ledger lists the batches that went into each round
// it applied; each planned batch must appear once in every ledger, none missing, none repeated.
import type { RoundEntry } from '../protocols.js';
import { isLastSubRound } from '../plan/link-groups.js';

/** The coordinator's tallies over a run (rolled back with it). */
export interface LedgerTotals {
  planned: number;
  applied: number;
  repeated: number;
  missing: number;
  rounds: number;
}

export function emptyTotals(): LedgerTotals {
  return { planned: 0, applied: 0, repeated: 0, missing: 0, rounds: 0 };
}

/** One shard's view of the epoch: batches it never applied, and applications beyond the first. */
export interface ShardAudit {
  missing: number;
  repeated: number;
}

export interface LedgerAudit {
  /** Batches applied, by the first ledger's count. */
  applied: number;
  /** Summed over every ledger. */
  repeated: number;
  missing: number;
  /** Per ledger, in the order given (shard p at position p). */
  shards: ShardAudit[];
}

/**
 * Counts epoch `epoch`'s batches in the ledgers of the shards (rounds before version `until`; sub-rounds
 * of one round list the same batches, so only the last one counts). Every shard applies every round
 * (its own slices of the parameters), so a batch missing from any one ledger, or repeated in it, is a
 * batch that did not go into the whole model exactly once.
 */
export function auditLedgers(
  ledgers: readonly { rounds: readonly RoundEntry[] }[],
  at: { epoch: number; numBatches: number; until: number; subRounds: number },
): LedgerAudit {
  const { epoch, numBatches, until, subRounds } = at;
  const seen = new Uint32Array(numBatches);
  const shards: ShardAudit[] = [];
  let applied = 0;
  for (const [p, ledger] of ledgers.entries()) {
    seen.fill(0);
    let foreign = 0;
    for (const r of ledger.rounds) {
      if (r.epoch !== epoch || r.round >= until || !isLastSubRound(r.round, subRounds)) continue;
      for (const b of r.batches) {
        // A batch number outside the plan is no batch of this epoch: counted as repeated work.
        if (!Number.isInteger(b) || b < 0 || b >= numBatches) foreign++;
        else seen[b]++;
        if (p === 0) applied++;
      }
    }
    const shard = { missing: 0, repeated: foreign };
    for (const n of seen) {
      if (n === 0) shard.missing++;
      if (n > 1) shard.repeated += n - 1;
    }
    shards.push(shard);
  }
  return {
    applied,
    repeated: shards.reduce((a, s) => a + s.repeated, 0),
    missing: shards.reduce((a, s) => a + s.missing, 0),
    shards,
  };
}

/** "ps 1: 2 missing, 0 repeated; ps 3: …" for the shards whose ledger disagrees with the plan. */
export function describeMismatch(audit: LedgerAudit): string {
  return audit.shards
    .map((s, p) => ({ ...s, p }))
    .filter((s) => s.missing > 0 || s.repeated > 0)
    .map((s) => `ps ${s.p}: ${s.missing} missing, ${s.repeated} repeated`)
    .join('; ');
}
