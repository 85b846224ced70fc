//! Behaviour tests: msgs, nonces, epochs, the active set, end-of-block updates, genesis and
//! queries, on a one-module chain ([`crate::testutil::Fixture`]).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::panic
)]

use std::collections::BTreeMap;

use delivery_module::crypto::Address;
use delivery_module::{Event, Module, Msg};
use delivery_store::{EmptyState, StateDelta, StateRead};
use proptest::prelude::*;

use crate::genesis::{self, Genesis};
use crate::msg::MsgValidatorJoin;
use crate::params::{Params, PowerMode};
use crate::state::{self, ReportedValidator};
use crate::testutil::{
    code, consensus_key, exit, join, root_event, signer_key, signer_update, stake_update,
    validator as make, Fixture,
};
use crate::types::{PowerUpdate, Status, ATTO_PER_BTT, MAX_TOTAL_VOTING_POWER};
use crate::{active_set, active_validators, genesis_validator_updates, StakingModule};

fn set(f: &Fixture) -> Vec<(u64, i64)> {
    active_validators(&f.state)
        .unwrap()
        .iter()
        .map(|v| (v.id, v.power))
        .collect()
}

fn attr<'a>(event: &'a Event, key: &str) -> &'a str {
    event
        .attributes
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
        .unwrap_or_else(|| panic!("{} has no attribute {key}", event.kind))
}

fn find<'a>(events: &'a [Event], kind: &str) -> Option<&'a Event> {
    events.iter().find(|e| e.kind == kind)
}

fn stateless_code<M: Msg>(msg: &M) -> (&'static str, u32) {
    let e = msg.check_stateless().unwrap_err();
    (e.codespace, e.code)
}

fn set_params(f: &mut Fixture, change: impl FnOnce(&mut Params)) {
    let mut p = state::params(&f.state).unwrap();
    change(&mut p);
    state::set_params(&mut f.state, &p).unwrap();
}

fn query(f: &Fixture, path: &str, data: &[u8]) -> serde_json::Value {
    let bytes = StakingModule::query(&f.state, path, data).unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

// ---- join ----

#[test]
fn a_join_creates_an_indexed_validator_that_enters_the_set_at_its_epoch() {
    let mut f = Fixture::new(&[make(1, 10)]);
    let msg = join(2, 2, 3, 50, 7);
    f.check(&msg).unwrap();
    let events = f.post(&msg).unwrap();
    let e = find(&events, "staking.join").unwrap();
    assert_eq!(attr(e, "validator_id"), "2");
    assert_eq!(attr(e, "signer"), signer_key(2).1.to_string());
    assert_eq!(
        attr(e, "consensus_pubkey"),
        format!("0x{}", hex::encode(consensus_key(2)))
    );
    assert_eq!(attr(e, "amount"), (50 * ATTO_PER_BTT).to_string());
    assert_eq!(attr(e, "activation_epoch"), "3");
    assert_eq!(attr(e, "nonce"), "1");
    assert_eq!(attr(e, "root_event"), root_event(7).describe());

    let v = state::validator(&f.state, 2).unwrap().unwrap();
    assert_eq!(
        (v.stake, v.start_epoch, v.end_epoch, v.nonce),
        (50 * ATTO_PER_BTT, 3, 0, 1)
    );
    assert_eq!(v.signer_pubkey, signer_key(2).0);
    assert_eq!(
        state::validator_by_signer(&f.state, &signer_key(2).1).unwrap(),
        Some(v.clone())
    );
    assert_eq!(
        state::validator_by_consensus_key(&f.state, &consensus_key(2)).unwrap(),
        Some(v.clone())
    );
    assert!(root_event(7).is_applied(&f.state).unwrap());

    // Epoch 1 and 2: pending, not in the set.
    assert_eq!(v.status(1), Status::Pending);
    assert!(f.end_block().0.is_empty());
    f.set_epoch(2);
    assert!(f.end_block().0.is_empty());
    assert_eq!(set(&f), vec![(1, 1)]);
    // Epoch 3: in.
    f.set_epoch(3);
    let (updates, events) = f.end_block();
    assert_eq!(
        updates,
        vec![PowerUpdate {
            consensus_pubkey: consensus_key(2),
            power: 1
        }]
    );
    let e = find(&events, "staking.validator_set_update").unwrap();
    assert_eq!(attr(e, "total_power"), "2");
    assert_eq!(attr(e, "validators"), "2");
    assert_eq!(attr(e, "epoch"), "3");
    assert_eq!(
        attr(e, "updates"),
        format!("0x{}:1", hex::encode(consensus_key(2)))
    );
    assert_eq!(set(&f), vec![(1, 1), (2, 1)]);
}

#[test]
fn a_join_must_be_well_formed_and_signed_by_its_signer() {
    let good = join(2, 2, 1, 5, 1);
    good.check_stateless().unwrap();
    assert_eq!(good.signer().unwrap(), signer_key(2).1);
    type Case = (fn(&mut MsgValidatorJoin), (&'static str, u32));
    let cases: Vec<Case> = vec![
        (|m| m.from = "0x12".into(), ("staking", 5)),
        (|m| m.from = Address([1; 20]).to_string(), ("staking", 7)),
        (|m| m.event = None, ("staking", 4)),
        (
            |m| m.event.as_mut().unwrap().tx_hash = vec![1; 31],
            ("rootchain", 2),
        ),
        (
            |m| m.event.as_mut().unwrap().root_chain = "ETH".into(),
            ("rootchain", 2),
        ),
        (|m| m.nonce = 0, ("staking", 4)),
        (|m| m.nonce = 2, ("staking", 4)),
        (|m| m.amount = "0".into(), ("staking", 4)),
        (|m| m.amount = "-5".into(), ("staking", 4)),
        (|m| m.amount = "007".into(), ("staking", 4)),
        (|m| m.amount = format!("{}0", u128::MAX), ("staking", 4)),
        (|m| m.signer_pubkey.truncate(33), ("staking", 6)),
        (|m| m.signer_pubkey[64] ^= 1, ("staking", 6)),
        (
            |m| m.consensus_pubkey.pop().map(drop).unwrap(),
            ("staking", 6),
        ),
        // y = 0 is a point of order 4: weak.
        (|m| m.consensus_pubkey = vec![0; 32], ("staking", 6)),
    ];
    for (i, (mutate, expected)) in cases.into_iter().enumerate() {
        let mut m = good.clone();
        mutate(&mut m);
        assert_eq!(stateless_code(&m), expected, "case {i}");
    }
    // A trillion BTT fits.
    let mut big = good;
    big.amount = (1_000_000_000_000u128 * ATTO_PER_BTT).to_string();
    big.check_stateless().unwrap();
}

#[test]
fn a_join_is_refused_for_a_taken_id_signer_or_consensus_key_or_beyond_the_limit() {
    let mut f = Fixture::new(&[make(1, 10)]);
    assert_eq!(
        code(&f.check(&join(1, 5, 1, 5, 1)).unwrap_err()),
        ("staking", 9)
    );
    // Key seed 1 is validator 1's signer.
    assert_eq!(
        code(&f.check(&join(2, 1, 1, 5, 1)).unwrap_err()),
        ("staking", 12)
    );
    let mut same_key = join(2, 2, 1, 5, 1);
    same_key.consensus_pubkey = consensus_key(1).to_vec();
    assert_eq!(code(&f.check(&same_key).unwrap_err()), ("staking", 13));

    f.post(&join(2, 2, 1, 5, 1)).unwrap();
    // The same root event again, even for another validator.
    assert_eq!(
        code(&f.post(&join(3, 3, 1, 5, 1)).unwrap_err()),
        ("rootchain", 3)
    );

    set_params(&mut f, |p| p.max_validators = 3);
    f.post(&join(3, 3, 1, 5, 2)).unwrap();
    let e = f.check(&join(4, 4, 1, 5, 3)).unwrap_err();
    assert_eq!(code(&e), ("staking", 14));
    assert!(e.to_string().contains("max_validators is 3"), "{e}");
    // Pending validators count; unstaked ones do not.
    f.post(&exit(1, 2, 2, 4)).unwrap();
    assert_eq!(
        code(&f.check(&join(4, 4, 1, 5, 3)).unwrap_err()),
        ("staking", 14)
    );
    f.set_epoch(2);
    f.post(&join(4, 4, 9, 5, 3)).unwrap();
    assert_eq!(
        code(&f.check(&join(5, 5, 1, 5, 5)).unwrap_err()),
        ("staking", 14)
    );
    // An unstaked validator keeps its signer and consensus key.
    set_params(&mut f, |p| p.max_validators = 10);
    assert_eq!(
        code(&f.check(&join(5, 1, 1, 5, 5)).unwrap_err()),
        ("staking", 12)
    );
}

#[test]
fn post_execute_rechecks_what_changed_since_inclusion_and_writes_nothing_on_failure() {
    let mut f = Fixture::new(&[make(1, 10)]);
    // Two joins with the same signer both pass at inclusion.
    let a = join(2, 2, 1, 5, 1);
    let mut b = join(3, 2, 1, 5, 2);
    b.consensus_pubkey = consensus_key(3).to_vec();
    f.check(&a).unwrap();
    f.check(&b).unwrap();
    f.post(&a).unwrap();
    assert_eq!(code(&f.post(&b).unwrap_err()), ("staking", 12));
    assert!(state::validator(&f.state, 3).unwrap().is_none());
    assert!(!root_event(2).is_applied(&f.state).unwrap());
    assert!(
        state::validator_by_consensus_key(&f.state, &consensus_key(3))
            .unwrap()
            .is_none()
    );
}

// ---- updates and nonces ----

#[test]
fn nonces_rise_by_one_stale_ones_are_dropped_and_early_ones_wait() {
    let mut f = Fixture::new(&[make(1, 10)]);
    // nonce 1 is the join's.
    assert_eq!(stateless_code(&stake_update(1, 11, 1, 1)), ("staking", 4));
    assert_eq!(stateless_code(&stake_update(1, 11, 0, 1)), ("staking", 4));
    // Ahead: waits for nonce 2.
    let ahead = stake_update(1, 12, 3, 2);
    let e = f.check(&ahead).unwrap_err();
    assert_eq!(code(&e), ("staking", crate::CODE_NONCE_AHEAD));
    assert!(e.to_string().contains("expected nonce 2"), "{e}");
    assert_eq!(
        code(&f.post(&ahead).unwrap_err()).1,
        crate::CODE_NONCE_AHEAD
    );
    assert!(!root_event(2).is_applied(&f.state).unwrap());
    // An update before the join waits too.
    let e = f.check(&stake_update(7, 5, 2, 9)).unwrap_err();
    assert_eq!(code(&e).1, crate::CODE_NONCE_AHEAD);
    assert!(e.to_string().contains("join is not applied yet"), "{e}");

    f.post(&stake_update(1, 11, 2, 1)).unwrap();
    assert_eq!(state::validator(&f.state, 1).unwrap().unwrap().nonce, 2);
    // Replayed root event.
    assert_eq!(
        code(&f.check(&stake_update(1, 11, 2, 1)).unwrap_err()),
        ("rootchain", 3)
    );
    // Another root event with an applied nonce: stale.
    let e = f.check(&stake_update(1, 11, 2, 5)).unwrap_err();
    assert_eq!(code(&e), ("staking", crate::CODE_STALE_NONCE));
    assert_eq!(
        code(&f.check(&exit(1, 9, 1 + 1, 6)).unwrap_err()).1,
        crate::CODE_STALE_NONCE
    );
    // The waiting msg applies once its predecessor is in.
    f.post(&ahead).unwrap();
    let v = state::validator(&f.state, 1).unwrap().unwrap();
    assert_eq!((v.nonce, v.stake), (3, 12 * ATTO_PER_BTT));

    // Two msgs with the same next nonce pass inclusion; the second loses at execution.
    let x = signer_update(1, 20, 4, 10);
    let y = exit(1, 5, 4, 11);
    f.check(&x).unwrap();
    f.check(&y).unwrap();
    f.post(&x).unwrap();
    assert_eq!(code(&f.post(&y).unwrap_err()).1, crate::CODE_STALE_NONCE);
    assert_eq!(state::validator(&f.state, 1).unwrap().unwrap().end_epoch, 0);
}

#[test]
fn stake_updates_move_power_in_stake_mode_only_and_zero_stake_leaves_the_set() {
    let mut f = Fixture::new(&[make(1, 10), make(2, 20), make(3, 5)]);
    assert!(f.end_block().0.is_empty());
    let events = f.post(&stake_update(1, 30, 2, 1)).unwrap();
    let e = find(&events, "staking.stake_update").unwrap();
    assert_eq!(attr(e, "old_amount"), (10 * ATTO_PER_BTT).to_string());
    assert_eq!(attr(e, "new_amount"), (30 * ATTO_PER_BTT).to_string());
    assert_eq!(attr(e, "nonce"), "2");
    // Equal mode: one vote each, nothing to report.
    assert!(f.end_block().0.is_empty());
    assert_eq!(set(&f), vec![(1, 1), (2, 1), (3, 1)]);

    set_params(&mut f, |p| p.voting_power = PowerMode::Stake);
    let (updates, _) = f.end_block();
    let mut expected = vec![
        PowerUpdate {
            consensus_pubkey: consensus_key(1),
            power: 30,
        },
        PowerUpdate {
            consensus_pubkey: consensus_key(2),
            power: 20,
        },
        PowerUpdate {
            consensus_pubkey: consensus_key(3),
            power: 5,
        },
    ];
    expected.sort();
    assert_eq!(updates, expected, "every power, in consensus-key order");
    assert_eq!(set(&f), vec![(1, 30), (2, 20), (3, 5)]);

    f.post(&stake_update(2, 0, 2, 2)).unwrap();
    assert_eq!(
        f.end_block().0,
        vec![PowerUpdate {
            consensus_pubkey: consensus_key(2),
            power: 0
        }]
    );
    assert_eq!(set(&f), vec![(1, 30), (3, 5)]);

    // Back to equal: every remaining member to 1.
    set_params(&mut f, |p| p.voting_power = PowerMode::Equal);
    let (updates, _) = f.end_block();
    assert_eq!(updates.len(), 2);
    assert!(updates.iter().all(|u| u.power == 1));
}

#[test]
fn a_signer_change_moves_the_index_and_keeps_the_consensus_key() {
    let mut f = Fixture::new(&[make(1, 10), make(2, 10)]);
    let old = signer_key(1).1;
    let new = signer_key(9).1;
    let events = f.post(&signer_update(1, 9, 2, 1)).unwrap();
    let e = find(&events, "staking.signer_update").unwrap();
    assert_eq!(attr(e, "old_signer"), old.to_string());
    assert_eq!(attr(e, "new_signer"), new.to_string());
    assert!(state::validator_by_signer(&f.state, &old)
        .unwrap()
        .is_none());
    let v = state::validator_by_signer(&f.state, &new).unwrap().unwrap();
    assert_eq!((v.id, v.nonce, v.signer_pubkey), (1, 2, signer_key(9).0));
    assert_eq!(v.consensus_pubkey, consensus_key(1));
    assert!(f.end_block().0.is_empty(), "no CometBFT change");
    let members = active_validators(&f.state).unwrap();
    assert_eq!(members[0].signer, new);

    // Another validator's signer is refused; its own is a no-op.
    assert_eq!(
        code(&f.check(&signer_update(1, 2, 3, 2)).unwrap_err()),
        ("staking", 12)
    );
    f.post(&signer_update(1, 9, 3, 3)).unwrap();
    // The replaced signer is free again.
    let mut reuse = join(3, 1, 1, 5, 4);
    reuse.consensus_pubkey = consensus_key(3).to_vec();
    f.post(&reuse).unwrap();
    assert_eq!(
        stateless_code(&{
            let mut m = signer_update(1, 9, 4, 5);
            m.new_signer_pubkey[0] = 0x02;
            m
        }),
        ("staking", 6)
    );
}

// ---- exits and the never-empty rule ----

#[test]
fn an_exit_takes_effect_at_the_deactivation_epoch() {
    let mut f = Fixture::new(&[make(1, 10), make(2, 10), make(3, 10)]);
    let events = f.post(&exit(2, 3, 2, 1)).unwrap();
    let e = find(&events, "staking.exit").unwrap();
    assert_eq!(attr(e, "deactivation_epoch"), "3");
    let v = state::validator(&f.state, 2).unwrap().unwrap();
    assert_eq!((v.end_epoch, v.status(1)), (3, Status::Unstaking));
    assert!(f.end_block().0.is_empty());
    f.set_epoch(2);
    assert!(f.end_block().0.is_empty());
    assert_eq!(set(&f), vec![(1, 1), (2, 1), (3, 1)]);
    f.set_epoch(3);
    assert_eq!(
        f.end_block().0,
        vec![PowerUpdate {
            consensus_pubkey: consensus_key(2),
            power: 0
        }]
    );
    assert_eq!(set(&f), vec![(1, 1), (3, 1)]);
    assert_eq!(query(&f, "validator/2", b"")["status"], "unstaked");

    // A second exit is refused; later root events still apply.
    assert_eq!(
        code(&f.check(&exit(2, 9, 3, 2)).unwrap_err()),
        ("staking", 15)
    );
    f.post(&stake_update(2, 1, 3, 3)).unwrap();
    assert!(f.end_block().0.is_empty());

    // An exit whose epoch has passed applies at the next end of block.
    f.post(&exit(3, 1, 2, 4)).unwrap();
    assert_eq!(
        f.end_block().0,
        vec![PowerUpdate {
            consensus_pubkey: consensus_key(3),
            power: 0
        }]
    );
    assert_eq!(set(&f), vec![(1, 1)]);
    assert_eq!(stateless_code(&exit(1, 0, 2, 9)), ("staking", 4));
}

#[test]
fn the_last_validators_exit_is_deferred_until_another_is_active() {
    let mut f = Fixture::new(&[make(1, 10), make(2, 10)]);
    f.post(&exit(1, 2, 2, 1)).unwrap();
    f.post(&exit(2, 2, 2, 2)).unwrap();
    f.set_epoch(2);
    let (updates, events) = f.end_block();
    assert!(updates.is_empty(), "the set must not become empty");
    let e = find(&events, "staking.exit_deferred").unwrap();
    assert_eq!(attr(e, "validators"), "1,2");
    assert_eq!(attr(e, "epoch"), "2");
    assert!(state::exit_deferred(&f.state).unwrap());
    assert_eq!(set(&f), vec![(1, 1), (2, 1)]);
    assert!(active_set(&f.state).unwrap().exit_deferred);
    let answer = query(&f, "validator/1", b"");
    assert_eq!(
        (answer["status"].as_str(), answer["in_set"].as_bool()),
        (Some("unstaked"), Some(true))
    );
    // Reported once.
    let (updates, events) = f.end_block();
    assert!(updates.is_empty() && events.is_empty());

    // A pending joiner does not end the deferral; an active one does.
    f.post(&join(3, 3, 3, 5, 3)).unwrap();
    assert!(f.end_block().0.is_empty());
    f.set_epoch(3);
    let (updates, events) = f.end_block();
    let mut expected = vec![
        PowerUpdate {
            consensus_pubkey: consensus_key(1),
            power: 0,
        },
        PowerUpdate {
            consensus_pubkey: consensus_key(2),
            power: 0,
        },
        PowerUpdate {
            consensus_pubkey: consensus_key(3),
            power: 1,
        },
    ];
    expected.sort();
    assert_eq!(updates, expected);
    assert!(find(&events, "staking.exit_deferral_ended").is_some());
    assert!(!state::exit_deferred(&f.state).unwrap());
    assert_eq!(set(&f), vec![(3, 1)]);
}

#[test]
fn a_zero_stake_last_validator_is_kept_too() {
    let mut f = Fixture::new(&[make(1, 10)]);
    f.post(&stake_update(1, 0, 2, 1)).unwrap();
    let (updates, events) = f.end_block();
    assert!(updates.is_empty());
    assert!(find(&events, "staking.exit_deferred").is_some());
    assert_eq!(set(&f), vec![(1, 1)]);
}

// ---- epochs ----

#[test]
fn epochs_advance_every_epoch_length_blocks_while_the_param_says_so() {
    let mut late = make(2, 10);
    late.start_epoch = 2;
    let mut f = Fixture::with(Genesis {
        params: Params::localnet(),
        validators: vec![make(1, 10), late],
        ..Genesis::default()
    });
    assert!(Params::localnet().advance_epochs_by_blocks);
    for _ in 1..16 {
        let (updates, events) = f.end_block();
        assert!(updates.is_empty() && events.is_empty());
    }
    assert_eq!(f.block.height, 16);
    let (updates, events) = f.end_block();
    let e = find(&events, "staking.epoch").unwrap();
    assert_eq!((attr(e, "epoch"), attr(e, "height")), ("2", "16"));
    assert_eq!(
        updates.len(),
        1,
        "validator 2 starts in epoch 2, same block"
    );
    assert_eq!(state::epoch_started_at(&f.state).unwrap(), 16);
    for _ in 17..32 {
        f.end_block();
    }
    assert_eq!(state::current_epoch(&f.state).unwrap(), 2);
    f.end_block();
    assert_eq!(state::current_epoch(&f.state).unwrap(), 3);

    // Off: only the setter moves epochs.
    set_params(&mut f, |p| p.advance_epochs_by_blocks = false);
    for _ in 0..40 {
        f.end_block();
    }
    assert_eq!(state::current_epoch(&f.state).unwrap(), 3);
    f.set_epoch(7);
    assert_eq!(query(&f, "epoch", b"")["current_epoch"], 7);

    // A start height above the current height restarts the count.
    set_params(&mut f, |p| p.advance_epochs_by_blocks = true);
    state::set_current_epoch(&mut f.state, 7, 1_000_000).unwrap();
    f.end_block();
    assert_eq!(state::current_epoch(&f.state).unwrap(), 7);
    assert_eq!(
        state::epoch_started_at(&f.state).unwrap(),
        f.block.height - 1
    );
}

// ---- genesis ----

fn genesis_of(validators: Vec<crate::Validator>) -> Genesis {
    Genesis {
        validators,
        ..Genesis::default()
    }
}

#[test]
fn genesis_is_checked_before_anything_is_written() {
    genesis::validate(&Genesis::default()).unwrap();
    genesis::validate(&genesis_of(vec![make(1, 1), make(2, 1)])).unwrap();
    let cases: Vec<(&str, Genesis)> = vec![
        ("duplicate id", genesis_of(vec![make(1, 1), make(1, 1)])),
        ("duplicate signer", {
            let mut b = make(2, 1);
            b.signer_pubkey = make(1, 1).signer_pubkey;
            b.signer = make(1, 1).signer;
            genesis_of(vec![make(1, 1), b])
        }),
        ("duplicate consensus key", {
            let mut b = make(2, 1);
            b.consensus_pubkey = consensus_key(1);
            genesis_of(vec![make(1, 1), b])
        }),
        ("signer not of its key", {
            let mut a = make(1, 1);
            a.signer = Address([7; 20]);
            genesis_of(vec![a])
        }),
        ("bad consensus key", {
            let mut a = make(1, 1);
            a.consensus_pubkey = [0; 32];
            genesis_of(vec![a])
        }),
        ("nobody active yet", {
            let mut a = make(1, 1);
            a.start_epoch = 5;
            genesis_of(vec![a])
        }),
        ("everybody unstaked", {
            let mut a = make(1, 1);
            a.end_epoch = 1;
            genesis_of(vec![a])
        }),
        ("no stake", genesis_of(vec![make(1, 0)])),
        ("bad params", {
            let mut g = genesis_of(vec![make(1, 1)]);
            g.params.epoch_length = 0;
            g
        }),
        ("reported unknown id", {
            let mut g = genesis_of(vec![make(1, 1)]);
            g.reported = Some(vec![ReportedValidator {
                id: 9,
                consensus_pubkey: consensus_key(9),
                power: 1,
            }]);
            g
        }),
        ("reported power 0", {
            let mut g = genesis_of(vec![make(1, 1)]);
            g.reported = Some(vec![ReportedValidator {
                id: 1,
                consensus_pubkey: consensus_key(1),
                power: 0,
            }]);
            g
        }),
        (
            "reported without validators",
            Genesis {
                reported: Some(vec![ReportedValidator {
                    id: 1,
                    consensus_pubkey: consensus_key(1),
                    power: 1,
                }]),
                ..Genesis::default()
            },
        ),
        ("deferral flag with nothing deferred", {
            let mut g = genesis_of(vec![make(1, 1)]);
            g.exit_deferred = true;
            g
        }),
    ];
    for (name, g) in cases {
        let e = genesis::validate(&g).unwrap_err();
        assert!(
            matches!(
                e,
                crate::StakingError::InvalidGenesis(_) | crate::StakingError::InvalidParams(_)
            ),
            "{name}: {e}"
        );
        let mut state = StateDelta::new(EmptyState);
        assert!(
            StakingModule::init_genesis(&mut state, &g).is_err(),
            "{name}"
        );
        assert!(state.changes().is_empty(), "{name}: wrote before failing");
    }
}

#[test]
fn a_new_genesis_reports_its_active_set_to_cometbft() {
    let mut pending = make(3, 50);
    pending.start_epoch = 4;
    let f = Fixture::with(Genesis {
        params: Params {
            voting_power: PowerMode::Stake,
            ..Params::default()
        },
        validators: vec![make(1, 10), make(2, 20), pending],
        ..Genesis::default()
    });
    let mut expected = vec![
        PowerUpdate {
            consensus_pubkey: consensus_key(1),
            power: 10,
        },
        PowerUpdate {
            consensus_pubkey: consensus_key(2),
            power: 20,
        },
    ];
    expected.sort();
    assert_eq!(genesis_validator_updates(&f.state).unwrap(), expected);

    let dormant = Fixture::with(Genesis::default());
    assert!(genesis_validator_updates(&dormant.state)
        .unwrap()
        .is_empty());
    assert!(active_validators(&dormant.state).unwrap().is_empty());
    assert_eq!(genesis::export(&dormant.state).unwrap(), Genesis::default());
    let mut dormant = dormant;
    assert!(dormant.end_block().0.is_empty());
}

fn module_state(state: &impl StateRead) -> Vec<(Vec<u8>, Vec<u8>)> {
    state.prefix_raw(crate::state_key::MODULE_PREFIX).unwrap()
}

#[test]
fn an_export_imports_to_the_same_state_and_exports_the_same() {
    let mut f = Fixture::new(&[make(1, 10), make(2, 20)]);
    f.post(&join(3, 3, 2, 7, 1)).unwrap();
    f.post(&signer_update(1, 30, 2, 2)).unwrap();
    f.post(&exit(2, 2, 2, 3)).unwrap();
    f.post(&stake_update(3, 9, 2, 4)).unwrap();
    set_params(&mut f, |p| p.voting_power = PowerMode::Stake);
    f.end_block();
    f.set_epoch(2);
    f.end_block();
    f.post(&exit(1, 3, 3, 5)).unwrap();
    f.post(&exit(3, 3, 3, 6)).unwrap();
    f.set_epoch(3);
    f.end_block();
    assert!(
        state::exit_deferred(&f.state).unwrap(),
        "export a deferral too"
    );

    let exported = genesis::export(&f.state).unwrap();
    genesis::validate(&exported).unwrap();
    let json = serde_json::to_string(&exported).unwrap();
    let parsed: Genesis = serde_json::from_str(&json).unwrap();
    assert_eq!(parsed, exported);
    let imported = Fixture::with(parsed);
    assert_eq!(module_state(&imported.state), module_state(&f.state));
    assert_eq!(genesis::export(&imported.state).unwrap(), exported);
    assert_eq!(
        genesis_validator_updates(&imported.state).unwrap(),
        genesis_validator_updates(&f.state).unwrap()
    );
}

// ---- queries ----

#[test]
fn queries_answer_validators_the_set_params_and_the_epoch() {
    let mut f = Fixture::new(&[make(1, 10), make(2, 20)]);
    f.post(&join(3, 3, 5, 7, 1)).unwrap();

    let v = query(&f, "validator/1", b"");
    assert_eq!(v["id"], 1);
    assert_eq!(v["signer"], signer_key(1).1.to_string());
    assert_eq!(v["stake"], (10 * ATTO_PER_BTT).to_string());
    assert_eq!(v["status"], "active");
    assert_eq!(
        (v["in_set"].as_bool(), v["power"].as_i64()),
        (Some(true), Some(1))
    );
    assert_eq!(query(&f, "validator", b"2")["id"], 2);
    let pending = query(&f, "validator/3", b"");
    assert_eq!(
        (pending["status"].as_str(), pending["power"].as_i64()),
        (Some("pending"), Some(0))
    );
    assert_eq!(
        query(&f, &format!("signer/{}", signer_key(2).1), b"")["id"],
        2
    );
    assert_eq!(
        query(&f, "signer", signer_key(3).1.to_string().as_bytes())["id"],
        3
    );

    let s = query(&f, "validator-set", b"");
    assert_eq!(s["epoch"], 1);
    assert_eq!(s["total_power"], 2);
    assert_eq!(s["voting_power"], "equal");
    assert_eq!(s["exit_deferred"], false);
    let ids: Vec<u64> = s["validators"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["id"].as_u64().unwrap())
        .collect();
    assert_eq!(ids, vec![1, 2]);
    assert_eq!(
        s["validators"][0]["consensus_pubkey"],
        format!("0x{}", hex::encode(consensus_key(1)))
    );

    let p: Params = serde_json::from_value(query(&f, "params", b"")).unwrap();
    assert_eq!(p, state::params(&f.state).unwrap());
    let e = query(&f, "epoch", b"");
    assert_eq!(
        (e["current_epoch"].as_u64(), e["epoch_length"].as_u64()),
        (Some(1), Some(16))
    );

    let err =
        |path: &str, data: &[u8]| code(&StakingModule::query(&f.state, path, data).unwrap_err());
    assert_eq!(err("validator/9", b""), ("staking", 8));
    assert_eq!(err("validator/x", b""), ("staking", 18));
    assert_eq!(err("validator", b""), ("staking", 18));
    assert_eq!(err("signer/0x1234", b""), ("staking", 18));
    assert_eq!(
        err(&format!("signer/{}", Address([5; 20])), b""),
        ("staking", 19)
    );
    assert_eq!(err("validators", b""), ("sdk", 6));
    assert_eq!(err("params/extra", b""), ("sdk", 6));
}

// ---- wire format ----

/// The field numbers of each msg, in encoding order (prost writes fields by tag).
fn tags(bytes: &[u8]) -> Vec<u32> {
    use prost::encoding::{decode_key, skip_field, DecodeContext};
    let mut buf = bytes;
    let mut out = Vec::new();
    while !buf.is_empty() {
        let (tag, wire) = decode_key(&mut buf).unwrap();
        out.push(tag);
        skip_field(wire, tag, &mut buf, DecodeContext::default()).unwrap();
    }
    out
}

#[test]
fn msgs_use_the_agreed_type_urls_and_field_numbers() {
    use prost::Message;
    let j = join(2, 2, 1, 5, 1);
    assert_eq!(tags(&j.encode_to_vec()), vec![1, 2, 3, 4, 5, 6, 7, 8]);
    assert_eq!(
        MsgValidatorJoin::TYPE_URL,
        "/delivery.staking.v1.MsgValidatorJoin"
    );
    assert_eq!(
        tags(&stake_update(2, 3, 2, 1).encode_to_vec()),
        vec![1, 2, 3, 4, 5]
    );
    assert_eq!(
        crate::MsgStakeUpdate::TYPE_URL,
        "/delivery.staking.v1.MsgStakeUpdate"
    );
    assert_eq!(
        tags(&signer_update(2, 3, 2, 1).encode_to_vec()),
        vec![1, 2, 3, 4, 5]
    );
    assert_eq!(
        crate::MsgSignerUpdate::TYPE_URL,
        "/delivery.staking.v1.MsgSignerUpdate"
    );
    assert_eq!(tags(&exit(2, 3, 2, 1).encode_to_vec()), vec![1, 2, 3, 4, 5]);
    assert_eq!(
        crate::MsgValidatorExit::TYPE_URL,
        "/delivery.staking.v1.MsgValidatorExit"
    );
    // The event is the shared RootEvent message.
    let decoded = MsgValidatorJoin::decode(j.encode_to_vec().as_slice()).unwrap();
    assert_eq!(decoded, j);
    assert_eq!(decoded.event, Some(root_event(1)));
}

// ---- the state machine ----

#[derive(Debug, Clone)]
enum Op {
    Join { key: u8, epoch_ahead: u8, stake: u8 },
    Stake { pick: u8, stake: u8 },
    Signer { pick: u8, key: u8 },
    Exit { pick: u8, epoch_ahead: u8 },
    Epoch { by: u8 },
    Mode { stake: bool },
    Limit { max: u8 },
    Ahead { pick: u8 },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (0u8..24, 0u8..3, 1u8..50).prop_map(|(key, epoch_ahead, stake)| Op::Join { key, epoch_ahead, stake }),
        2 => (any::<u8>(), 0u8..50).prop_map(|(pick, stake)| Op::Stake { pick, stake }),
        1 => (any::<u8>(), 0u8..24).prop_map(|(pick, key)| Op::Signer { pick, key }),
        2 => (any::<u8>(), 0u8..3).prop_map(|(pick, epoch_ahead)| Op::Exit { pick, epoch_ahead }),
        2 => (0u8..3).prop_map(|by| Op::Epoch { by }),
        1 => any::<bool>().prop_map(|stake| Op::Mode { stake }),
        1 => (1u8..8).prop_map(|max| Op::Limit { max }),
        1 => any::<u8>().prop_map(|pick| Op::Ahead { pick }),
    ]
}

fn apply(model: &mut BTreeMap<[u8; 32], i64>, updates: &[PowerUpdate]) {
    for u in updates {
        if u.power == 0 {
            model.remove(&u.consensus_pubkey);
        } else {
            model.insert(u.consensus_pubkey, u.power);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    /// Whatever msgs arrive, CometBFT's set (the genesis set plus every update reported since)
    /// is always the module's active set; updates are sorted, never no-ops, and the set is
    /// never empty.
    #[test]
    fn end_block_updates_always_lead_to_the_active_set(
        genesis_size in 1u64..4,
        ops in proptest::collection::vec(op(), 1..40),
    ) {
        let validators: Vec<_> = (1..=genesis_size).map(|id| make(id, u128::from(id) * 10)).collect();
        let mut f = Fixture::new(&validators);
        let mut model: BTreeMap<[u8; 32], i64> = BTreeMap::new();
        apply(&mut model, &genesis_validator_updates(&f.state).unwrap());
        let mut next_id = genesis_size + 1;
        let mut log = 0u64;
        for op in ops {
            log += 1;
            let ids: Vec<u64> = state::validators(&f.state).unwrap().iter().map(|v| v.id).collect();
            let pick = |p: u8| ids[usize::from(p) % ids.len()];
            let next_nonce = |f: &Fixture, id: u64| state::validator(&f.state, id).unwrap().unwrap().nonce + 1;
            let epoch = state::current_epoch(&f.state).unwrap();
            let outcome = match op {
                Op::Join { key, epoch_ahead, stake } => {
                    // Key seeds above the genesis ids: some collide with earlier joins.
                    let seed = 100 + u64::from(key);
                    let r = f.post(&join(next_id, seed, epoch + u64::from(epoch_ahead), u128::from(stake), log));
                    if r.is_ok() { next_id += 1; }
                    r.map(drop)
                }
                Op::Stake { pick: p, stake } => {
                    let id = pick(p);
                    f.post(&stake_update(id, u128::from(stake), next_nonce(&f, id), log)).map(drop)
                }
                Op::Signer { pick: p, key } => {
                    let id = pick(p);
                    f.post(&signer_update(id, 100 + u64::from(key), next_nonce(&f, id), log)).map(drop)
                }
                Op::Exit { pick: p, epoch_ahead } => {
                    let id = pick(p);
                    f.post(&exit(id, epoch + u64::from(epoch_ahead), next_nonce(&f, id), log)).map(drop)
                }
                Op::Epoch { by } => {
                    f.set_epoch(epoch + u64::from(by));
                    Ok(())
                }
                Op::Mode { stake } => {
                    set_params(&mut f, |p| p.voting_power = if stake { PowerMode::Stake } else { PowerMode::Equal });
                    Ok(())
                }
                Op::Limit { max } => {
                    set_params(&mut f, |p| p.max_validators = u32::from(max));
                    Ok(())
                }
                Op::Ahead { pick: p } => {
                    let id = pick(p);
                    let r = f.post(&stake_update(id, 1, next_nonce(&f, id) + 1, log));
                    prop_assert_eq!(code(&r.unwrap_err()).1, crate::CODE_NONCE_AHEAD);
                    Ok(())
                }
            };
            if let Err(e) = outcome {
                // Rejections are fine (taken keys, limits, double exits); fatal errors are not.
                let _ = code(&e);
            }
            let (updates, _) = f.end_block();
            let mut sorted = updates.clone();
            sorted.sort();
            sorted.dedup_by_key(|u| u.consensus_pubkey);
            prop_assert_eq!(&sorted, &updates, "sorted by key, one update per key");
            for u in &updates {
                prop_assert_ne!(model.get(&u.consensus_pubkey).copied().unwrap_or(0), u.power, "no-op update");
            }
            apply(&mut model, &updates);
            let active: BTreeMap<[u8; 32], i64> = active_validators(&f.state)
                .unwrap()
                .iter()
                .map(|v| (v.consensus_pubkey, v.power))
                .collect();
            prop_assert_eq!(&model, &active);
            prop_assert!(!model.is_empty(), "the set never becomes empty");
            let total = model.values().try_fold(0i64, |a, p| a.checked_add(*p)).unwrap();
            prop_assert!(total <= MAX_TOTAL_VOTING_POWER);
            // The set matches the records' rule unless an exit is deferred.
            let set = active_set(&f.state).unwrap();
            if !set.exit_deferred {
                let epoch = state::current_epoch(&f.state).unwrap();
                let expected: Vec<u64> = state::validators(&f.state)
                    .unwrap()
                    .iter()
                    .filter(|v| v.in_epoch(epoch))
                    .map(|v| v.id)
                    .collect();
                prop_assert_eq!(set.validators.iter().map(|v| v.id).collect::<Vec<_>>(), expected);
            }
        }
    }
}
