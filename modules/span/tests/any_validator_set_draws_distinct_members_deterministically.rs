//! Properties of the producer draw over arbitrary validator sets and seeds.
#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

use std::collections::BTreeSet;

use delivery_module::crypto::Address;
use delivery_span::{select_producers, SpanValidator};
use proptest::prelude::*;

fn set() -> impl Strategy<Value = Vec<SpanValidator>> {
    // Unique ids; signers derived from ids so they are unique and non-zero.
    proptest::collection::btree_map(any::<u64>(), 1..=u64::MAX, 1..24).prop_map(|m| {
        m.into_iter()
            .map(|(id, power)| {
                let mut signer = [0xffu8; 20];
                signer[..8].copy_from_slice(&id.to_be_bytes());
                SpanValidator {
                    id,
                    signer: Address(signer),
                    power,
                }
            })
            .collect()
    })
}

proptest! {
    #[test]
    fn the_draw_is_distinct_members_independent_of_input_order(
        vals in set(),
        seed in any::<[u8; 32]>(),
        count in 1u32..=10,
        rotate in any::<usize>(),
    ) {
        let drawn = select_producers(&vals, &seed, count).unwrap();
        prop_assert_eq!(drawn.len(), vals.len().min(count as usize));
        let ids: BTreeSet<u64> = drawn.iter().map(|v| v.id).collect();
        prop_assert_eq!(ids.len(), drawn.len());
        for d in &drawn {
            prop_assert!(vals.contains(d));
        }
        let mut shuffled = vals.clone();
        let k = rotate % shuffled.len();
        shuffled.rotate_left(k);
        shuffled.reverse();
        prop_assert_eq!(select_producers(&shuffled, &seed, count).unwrap(), drawn.clone());
        // A longer draw extends a shorter one: round k never depends on later rounds.
        let longer = select_producers(&vals, &seed, count + 1).unwrap();
        prop_assert_eq!(&longer[..drawn.len()], &drawn[..]);
    }
}
