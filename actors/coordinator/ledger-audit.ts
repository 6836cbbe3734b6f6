// The exactly-once audit of an epoch: the shards' ledgers list every batch that went into an applied
// round; each planned batch must appear once (per audited shard), none missing, none repeated.
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

/**
 * Counts epoch `epoch`'s batches in the ledgers of the audited shards (rounds before version `until`;
 * sub-rounds of one round list the same batches, so only the last one counts). `applied` is the
 * first ledger's count.
 */
export function auditLedgers(
  ledgers: readonly { rounds: readonly RoundEntry[] }[],
  at: { epoch: number; numBatches: number; until: number; subRounds: number },
): { applied: number; repeated: number; missing: number } {
  const { epoch, numBatches, until, subRounds } = at;
  const seen = new Uint32Array(numBatches * ledgers.length);
  let applied = 0;
  for (const [p, ledger] of ledgers.entries())
    for (const r of ledger.rounds) {
      if (r.epoch !== epoch || r.round >= until || !isLastSubRound(r.round, subRounds)) continue;
      for (const b of r.batches) {
        seen[p * numBatches + b]++;
        if (p === 0) applied++;
      }
    }
  let repeated = 0;
  let missing = 0;
  for (const n of seen) {
    if (n === 0) missing++;
    if (n > 1) repeated += n - 1;
  }
  return { applied, repeated, missing };
}
