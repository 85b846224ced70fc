//! Producer selection: a weighted draw without replacement from a 32-byte seed.
//!
//! # The seed
//!
//! [`span_seed`]`(span_id, block_hash) = sha256("bttc/span/seed/v1" ‖ span_id as u64 BE ‖
//! block_hash)`, where `block_hash` is the hash of the Delivery block whose FinalizeBlock creates
//! the span (CometBFT's `RequestFinalizeBlock.hash`). That block is decided at most one sprint
//! before the span starts, so nobody knows the producers earlier than that. The genesis span uses
//! [`genesis_seed`]: `sha256("bttc/span/genesis/v1")`.
//!
//! # The draw
//!
//! Validators are sorted by id. For round `k = 0, 1, …` until `producer_count` producers are drawn
//! (or every validator is):
//!
//! 1. `R` = the sum of the powers of the validators not yet drawn (u128);
//! 2. for attempt `a = 0, 1, …`: `x` = the first 16 bytes of `sha256("bttc/span/draw/v1" ‖ seed ‖
//!    k as u32 BE ‖ a as u32 BE)` as a big-endian u128; accept `x` when it is below the largest
//!    multiple of `R` that fits in 2^128 (rejection sampling: no modulo bias; a retry happens with
//!    probability below `R / 2^128`);
//! 3. `r = x mod R`; walk the undrawn validators in id order summing powers; the first whose
//!    running sum exceeds `r` is drawn and leaves the pool.
//!
//! Round `k` thus draws each remaining validator with probability proportional to its power; the
//! order of the draw is the rotation order of the span.

use delivery_module::crypto::sha256;

use crate::error::{Result, SpanError};
use crate::types::{validate_validators, SpanValidator};

/// Domain tag of [`span_seed`].
pub const SEED_DOMAIN: &[u8] = b"bttc/span/seed/v1";
/// Domain tag of each draw.
pub const DRAW_DOMAIN: &[u8] = b"bttc/span/draw/v1";
/// The seed of the genesis span: `sha256("bttc/span/genesis/v1")`, public and fixed.
pub const GENESIS_SEED_INPUT: &[u8] = b"bttc/span/genesis/v1";

/// The genesis span's seed.
pub fn genesis_seed() -> [u8; 32] {
    sha256(GENESIS_SEED_INPUT)
}

/// The seed of span `span_id` created in the Delivery block with hash `block_hash`.
pub fn span_seed(span_id: u64, block_hash: &[u8]) -> [u8; 32] {
    let mut input = Vec::with_capacity(64);
    input.extend_from_slice(SEED_DOMAIN);
    input.extend_from_slice(&span_id.to_be_bytes());
    input.extend_from_slice(block_hash);
    sha256(&input)
}

/// A uniform value in `0..bound` for round `round`, by rejection sampling over sha256 output.
fn uniform_below(seed: &[u8; 32], round: u32, bound: u128) -> Result<u128> {
    if bound == 0 {
        return Err(SpanError::Overflow("draw over zero power"));
    }
    // 2^128 mod bound: values at or above 2^128 - rem would bias the low residues.
    let rem = u128::MAX
        .checked_rem(bound)
        .and_then(|r| r.checked_add(1))
        .map(|r| r.checked_rem(bound).unwrap_or(0))
        .ok_or(SpanError::Overflow("draw bound"))?;
    let limit = 0u128.wrapping_sub(rem); // 2^128 - rem; 0 means "accept everything".
    let mut input = Vec::with_capacity(64);
    for attempt in 0..=u32::MAX {
        input.clear();
        input.extend_from_slice(DRAW_DOMAIN);
        input.extend_from_slice(seed);
        input.extend_from_slice(&round.to_be_bytes());
        input.extend_from_slice(&attempt.to_be_bytes());
        let digest = sha256(&input);
        let mut high = [0u8; 16];
        high.copy_from_slice(digest.get(..16).ok_or(SpanError::Overflow("digest"))?);
        let x = u128::from_be_bytes(high);
        if rem == 0 || x < limit {
            return x
                .checked_rem(bound)
                .ok_or(SpanError::Overflow("draw remainder"));
        }
    }
    // 2^32 rejections in a row, each with probability < 1/2: not reachable.
    Err(SpanError::Overflow("draw attempts"))
}

/// Draws `min(count, validators.len())` distinct producers, weighted by power, in draw order.
/// Deterministic in `(validators as a set, seed, count)`: the input order does not matter.
pub fn select_producers(
    validators: &[SpanValidator],
    seed: &[u8; 32],
    count: u32,
) -> Result<Vec<SpanValidator>> {
    let mut pool = validate_validators(validators)?;
    let mut remaining_power: u128 = pool.iter().map(|v| u128::from(v.power)).sum();
    let wanted = usize::try_from(count)
        .map_err(|_| SpanError::Overflow("producer count"))?
        .min(pool.len());
    let mut drawn = Vec::with_capacity(wanted);
    for round in 0..count {
        if drawn.len() >= wanted {
            break;
        }
        let r = uniform_below(seed, round, remaining_power)?;
        let mut running: u128 = 0;
        let mut pick = None;
        for (index, v) in pool.iter().enumerate() {
            running = running
                .checked_add(u128::from(v.power))
                .ok_or(SpanError::Overflow("running power"))?;
            if r < running {
                pick = Some(index);
                break;
            }
        }
        // r < remaining_power = the pool's total, so the walk always picks.
        let index = pick.ok_or(SpanError::Overflow("draw walk"))?;
        let chosen = pool.remove(index);
        remaining_power = remaining_power
            .checked_sub(u128::from(chosen.power))
            .ok_or(SpanError::Overflow("remaining power"))?;
        drawn.push(chosen);
    }
    Ok(drawn)
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]
mod tests {
    use delivery_module::crypto::Address;

    use super::*;

    fn v(id: u64, power: u64) -> SpanValidator {
        let mut signer = [0x11u8; 20];
        signer[..8].copy_from_slice(&id.to_be_bytes());
        SpanValidator {
            id,
            signer: Address(signer),
            power,
        }
    }

    fn seed(i: u64) -> [u8; 32] {
        span_seed(i, b"fixed test block hash")
    }

    #[test]
    fn the_same_seed_draws_the_same_producers_whatever_the_input_order() {
        let vals = vec![v(1, 10), v(2, 20), v(3, 30), v(4, 40), v(5, 50)];
        let mut shuffled = vals.clone();
        shuffled.reverse();
        shuffled.swap(0, 2);
        for i in 0..50 {
            let a = select_producers(&vals, &seed(i), 3).unwrap();
            let b = select_producers(&shuffled, &seed(i), 3).unwrap();
            assert_eq!(a, b);
            assert_eq!(a.len(), 3);
        }
        // A different seed gives a different draw for at least one of a few seeds.
        let first = select_producers(&vals, &seed(0), 3).unwrap();
        assert!((1..10).any(|i| select_producers(&vals, &seed(i), 3).unwrap() != first));
    }

    #[test]
    fn a_golden_draw_never_changes() {
        // Changing the draw is a consensus change: this pins it.
        let vals = vec![v(1, 10), v(2, 20), v(3, 30), v(4, 40), v(5, 50)];
        let ids: Vec<u64> = select_producers(&vals, &seed(42), 5)
            .unwrap()
            .iter()
            .map(|p| p.id)
            .collect();
        assert_eq!(ids, GOLDEN_IDS);
        assert_eq!(hex::encode(seed(42)), GOLDEN_SEED_HEX, "span_seed changed");
    }

    // Computed by an independent Python implementation of the draw documented above (and in
    // docs/modules/span.md), not by this code.
    const GOLDEN_IDS: [u64; 5] = [4, 5, 1, 3, 2];
    const GOLDEN_SEED_HEX: &str =
        "43a62d58b8abcc6245ce6bcc4b14bc98bcf57d7ed58a1090578968862f005eaf";

    #[test]
    fn producers_are_distinct_and_capped_by_the_set_size() {
        let vals = vec![v(1, 1), v(2, 1_000_000)];
        let p = select_producers(&vals, &seed(1), 4).unwrap();
        assert_eq!(p.len(), 2);
        assert_ne!(p[0].id, p[1].id);
        assert_eq!(select_producers(&vals, &seed(1), 1).unwrap().len(), 1);
    }

    #[test]
    fn huge_powers_do_not_overflow() {
        let vals: Vec<_> = (1..=5).map(|i| v(i, u64::MAX)).collect();
        let p = select_producers(&vals, &seed(3), 5).unwrap();
        let mut ids: Vec<u64> = p.iter().map(|p| p.id).collect();
        ids.sort_unstable();
        assert_eq!(ids, vec![1, 2, 3, 4, 5]);
    }

    #[test]
    fn invalid_sets_are_rejected() {
        assert!(select_producers(&[], &seed(0), 1).is_err());
        assert!(select_producers(&[v(1, 0)], &seed(0), 1).is_err());
        assert!(select_producers(&[v(1, 1), v(1, 2)], &seed(0), 1).is_err());
    }

    #[test]
    fn the_first_pick_is_weighted_by_power() {
        // Powers 1:2:7. Over 20,000 fixed seeds the first pick lands on each validator with
        // frequency p = power/10; the tolerance is about 7 standard deviations at p = 0.5.
        let vals = vec![v(1, 1), v(2, 2), v(3, 7)];
        let n = 20_000u64;
        let mut counts = [0u64; 3];
        for i in 0..n {
            let p = select_producers(&vals, &seed(i), 1).unwrap();
            counts[usize::try_from(p[0].id - 1).unwrap()] += 1;
        }
        assert_permille(&counts, n, [100, 200, 700]);
    }

    /// Each validator's share of `n` draws is within 2.5 percentage points of `expected` (‰).
    fn assert_permille(counts: &[u64; 3], n: u64, expected: [u64; 3]) {
        for (i, expected_permille) in expected.into_iter().enumerate() {
            let got_permille = counts[i] * 1000 / n;
            assert!(
                got_permille.abs_diff(expected_permille) <= 25,
                "validator {}: {got_permille}‰, expected {expected_permille}‰ ({counts:?})",
                i + 1
            );
        }
    }

    #[test]
    fn inclusion_without_replacement_follows_the_sequential_law() {
        // Powers 1:3:6, two producers. P(i drawn) = p_i + sum_{j != i} p_j * p_i / (1 - p_j):
        // v1: .1 + .3*.1/.7 + .6*.1/.4 = .2929; v2: .3 + .1*.3/.9 + .6*.3/.4 = .7833;
        // v3: .6 + .1*.6/.9 + .3*.6/.7 = .9238 (sum 2).
        let vals = vec![v(1, 1), v(2, 3), v(3, 6)];
        let n = 20_000u64;
        let mut counts = [0u64; 3];
        for i in 0..n {
            let p = select_producers(&vals, &seed(i), 2).unwrap();
            assert_eq!(p.len(), 2);
            assert_ne!(p[0].id, p[1].id);
            for x in p {
                counts[usize::try_from(x.id - 1).unwrap()] += 1;
            }
        }
        assert_permille(&counts, n, [293, 783, 924]);
    }

    #[test]
    fn uniform_below_stays_in_range_and_hits_both_ends() {
        let s = seed(9);
        let mut seen = [false; 3];
        for round in 0..200 {
            let x = uniform_below(&s, round, 3).unwrap();
            assert!(x < 3);
            seen[usize::try_from(x).unwrap()] = true;
        }
        assert_eq!(seen, [true; 3]);
        assert_eq!(uniform_below(&s, 0, 1).unwrap(), 0);
        assert_eq!(
            hex::encode(genesis_seed()),
            "2da7cd842fc1586b783f1b23067f50713511072460cc14cdc1817c7b076aa509"
        );
        assert!(uniform_below(&s, 0, 0).is_err());
        // A bound that divides 2^128 exactly (rem == 0) accepts every value.
        assert!(uniform_below(&s, 0, 1u128 << 64).unwrap() < 1u128 << 64);
    }
}
