//! Lifecycle tests on an in-memory store: create → sign → final → ack (and no-ack), the > 2/3
//! threshold, signature checks, contiguity, the length cap, no-ack timing, proposer rotation,
//! genesis round trip, queries.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::panic
)]

use delivery_module::crypto::{Address, SecretKey};
use delivery_module::{
    BlockInfo, Context, Event, ExecError, ExecMode, Module, Msg, SideMsgHandler,
};
use delivery_rootchain::{Params as Registry, RootChainConfig, RootChainKind, RootEvent};
use delivery_store::{EmptyState, StateDelta, StateRead, StoreError};
use proptest::prelude::*;
use sha3::{Digest, Keccak256};

use crate::error::codes;
use crate::genesis::{self, Genesis};
use crate::handler::{ack, no_ack};
use crate::lifecycle::{
    add_signatures, check_vote_signature, maybe_create, pending_to_sign, HeaderSource,
};
use crate::merkle::Header;
use crate::state;
use crate::{
    sign, Checkpoint, CheckpointError, CheckpointModule, MsgCheckpointAck, MsgCheckpointNoAck,
    Params, SetMember,
};

type State = StateDelta<EmptyState>;

const T0: i64 = 1_700_000_000;

fn block(height: u64) -> BlockInfo {
    block_at(height, T0 + i64::try_from(height).unwrap())
}

fn block_at(height: u64, time: i64) -> BlockInfo {
    BlockInfo {
        chain_id: "delivery-test".into(),
        height,
        time_seconds: time,
        time_nanos: 0,
    }
}

fn key(n: u64) -> SecretKey {
    let mut raw = [0x42u8; 32];
    raw[24..].copy_from_slice(&n.to_be_bytes());
    SecretKey::from_bytes(&raw).unwrap()
}

/// Validators 1..=n with these powers, signer keys from their ids.
fn set(powers: &[u64]) -> Vec<SetMember> {
    powers
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let id = i as u64 + 1;
            SetMember {
                id,
                signer: key(id).address(),
                power: *p,
            }
        })
        .collect()
}

fn registry() -> Registry {
    Registry {
        chains: vec![
            RootChainConfig {
                name: "tron".into(),
                kind: RootChainKind::Tron,
                chain_id: 728_126_428,
                stake_manager: Some([1; 20]),
                state_sender: [2; 20],
                root_chain_manager: [3; 20],
                root_chain_contract: None,
                confirmations: 19,
            },
            RootChainConfig {
                name: "eth".into(),
                kind: RootChainKind::Eth,
                chain_id: 1,
                stake_manager: None,
                state_sender: [4; 20],
                root_chain_manager: [5; 20],
                root_chain_contract: None,
                confirmations: 64,
            },
        ],
        staking_chain: "tron".into(),
    }
}

fn fresh() -> State {
    let mut s = StateDelta::new(EmptyState);
    delivery_rootchain::set_params(&mut s, &registry()).unwrap();
    genesis::init(
        &mut s,
        &Genesis {
            params: Params::localnet(),
            ..Genesis::default()
        },
    )
    .unwrap();
    s
}

fn header(n: u64) -> Header {
    let mut tx = [0u8; 32];
    tx[..8].copy_from_slice(&n.to_be_bytes());
    let mut rc = [0xffu8; 32];
    rc[24..].copy_from_slice(&n.to_be_bytes());
    Header {
        number: n,
        timestamp: 1_000 + 2 * n,
        transactions_root: tx,
        receipts_root: rc,
    }
}

fn headers(n: u64) -> Result<Option<Header>, StoreError> {
    Ok(Some(header(n)))
}

/// The root over `start..=end` computed independently (sha3 directly, recursive halves).
fn reference_root(start: u64, end: u64) -> [u8; 32] {
    fn k(data: &[u8]) -> [u8; 32] {
        Keccak256::digest(data).into()
    }
    fn rec(xs: &[[u8; 32]]) -> [u8; 32] {
        if xs.len() == 1 {
            return xs[0];
        }
        let (l, r) = xs.split_at(xs.len() / 2);
        k(&[rec(l), rec(r)].concat())
    }
    let mut leaves: Vec<[u8; 32]> = (start..=end)
        .map(|n| {
            let h = header(n);
            let mut raw = vec![0u8; 128];
            raw[24..32].copy_from_slice(&h.number.to_be_bytes());
            raw[56..64].copy_from_slice(&h.timestamp.to_be_bytes());
            raw[64..96].copy_from_slice(&h.transactions_root);
            raw[96..].copy_from_slice(&h.receipts_root);
            k(&raw)
        })
        .collect();
    leaves.resize(leaves.len().next_power_of_two(), [0; 32]);
    rec(&leaves)
}

fn create(
    s: &mut State,
    height: u64,
    head: u64,
    active: &[SetMember],
) -> (Vec<Checkpoint>, Vec<Event>) {
    create_on(s, height, head, active, &["tron", "eth"])
}

fn create_on(
    s: &mut State,
    height: u64,
    head: u64,
    active: &[SetMember],
    chains: &[&str],
) -> (Vec<Checkpoint>, Vec<Event>) {
    let b = block(height);
    let mut ctx = Context::new(&b, ExecMode::Deliver);
    let chains: Vec<String> = chains.iter().map(|c| c.to_string()).collect();
    let made = maybe_create(s, &mut ctx, &chains, head, &headers, active).unwrap();
    (made, ctx.take_events())
}

fn signatures(c: &Checkpoint, ids: &[u64]) -> Vec<(Address, [u8; 65])> {
    ids.iter()
        .map(|id| (key(*id).address(), sign::sign(&key(*id), &c.sign_hash())))
        .collect()
}

fn add(
    s: &mut State,
    height: u64,
    c: &Checkpoint,
    sigs: &[(Address, [u8; 65])],
    active: &[SetMember],
) -> Result<(bool, Vec<Event>), CheckpointError> {
    let b = block(height);
    let mut ctx = Context::new(&b, ExecMode::Deliver);
    let became = add_signatures(s, &mut ctx, &c.root_chain, c.number, sigs, active)?;
    Ok((became, ctx.take_events()))
}

fn ack_msg(c: &Checkpoint, log_index: u64) -> MsgCheckpointAck {
    MsgCheckpointAck {
        from: key(1).address().to_string(),
        event: Some(RootEvent {
            root_chain: c.root_chain.clone(),
            tx_hash: vec![0xab; 32],
            block_number: 500 + c.number,
            log_index,
        }),
        number: c.number,
        proposer: c.proposer.as_bytes().to_vec(),
        start: c.start,
        end: c.end,
        root_hash: c.root_hash.to_vec(),
    }
}

fn deliver_ack(
    s: &mut State,
    height: u64,
    m: &MsgCheckpointAck,
) -> Result<ack::AckOutcome, ExecError> {
    let b = block(height);
    {
        let ctx = Context::new(&b, ExecMode::Check);
        m.check_stateless()?;
        m.check_stateful(&ctx, &*s)?;
    }
    let mut ctx = Context::new(&b, ExecMode::Deliver);
    ack::apply(m, &mut ctx, s)
}

fn rejection<T: std::fmt::Debug>(r: Result<T, ExecError>) -> (&'static str, u32) {
    match r {
        Err(ExecError::Rejected(e)) => (e.codespace, e.code),
        other => panic!("expected a rejection, got {other:?}"),
    }
}

fn id_of(s: &State, signer: &Address) -> u64 {
    state::proposer_set(s)
        .unwrap()
        .validators
        .iter()
        .find(|v| v.signer == *signer)
        .unwrap()
        .id
}

fn proposer_id(s: &State) -> u64 {
    state::current_proposer(s).unwrap().unwrap().id
}

fn query<T: serde::de::DeserializeOwned>(s: &State, path: &str) -> T {
    serde_json::from_slice(&CheckpointModule::query(s, path, &[]).unwrap()).unwrap()
}

#[test]
fn a_checkpoint_is_created_signed_finalized_acked_and_the_next_follows() {
    let mut s = fresh();
    let active = set(&[1, 1, 1, 1]);

    // 15 final blocks (0..=14) are fewer than avg 16: nothing yet.
    let (made, _) = create(&mut s, 1, 14, &active);
    assert!(made.is_empty());
    // The first proposer is CometBFT's first: with equal powers, the lowest id.
    assert_eq!(proposer_id(&s), 1);

    let (made, events) = create(&mut s, 2, 15, &active);
    assert_eq!(made.len(), 2, "one per chain");
    let tron = made[0].clone();
    assert_eq!(tron.root_chain, "tron");
    assert_eq!((tron.number, tron.start, tron.end), (1, 0, 15));
    assert_eq!(tron.proposer, key(1).address());
    assert_eq!(tron.root_hash, reference_root(0, 15));
    assert_eq!(tron.bttc_chain_id, 1029);
    let accounts: Vec<(Address, u64)> = active.iter().map(|m| (m.signer, m.power)).collect();
    assert_eq!(
        tron.account_root_hash,
        crate::merkle::account_root(&accounts).unwrap()
    );
    assert_eq!(events.len(), 2);
    assert_eq!(events[0].kind, "checkpoint.created");
    // A buffer is never replaced: a later end of block makes nothing new.
    assert!(create(&mut s, 3, 40, &active).0.is_empty());
    assert_eq!(state::buffer(&s, "tron").unwrap().unwrap().checkpoint, tron);

    // Both are pending; a validator's vote signature checks out.
    let pending = pending_to_sign(&s).unwrap();
    assert_eq!(pending.len(), 2);
    let sig = signatures(&tron, &[2]);
    check_vote_signature(&s, "tron", 1, &sig[0].0, &sig[0].1).unwrap();

    // 2 of 4 equal powers: not final; the third makes it final (3 of 4 > 2/3).
    let (became, ev) = add(&mut s, 4, &tron, &signatures(&tron, &[1, 2]), &active).unwrap();
    assert!(!became && ev.is_empty());
    let (became, ev) = add(&mut s, 5, &tron, &signatures(&tron, &[3]), &active).unwrap();
    assert!(became);
    assert_eq!(ev[0].kind, "checkpoint.final");
    let b = state::buffer(&s, "tron").unwrap().unwrap();
    assert_eq!(b.final_height, Some(5));
    assert_eq!(b.signatures.len(), 3);
    assert!(b.signatures.windows(2).all(|w| w[0].signer < w[1].signer));
    // Final checkpoints are no longer pending; a late signature is kept, but finality is not
    // announced twice.
    assert_eq!(pending_to_sign(&s).unwrap().len(), 1);
    let (became, ev) = add(&mut s, 6, &tron, &signatures(&tron, &[4]), &active).unwrap();
    assert!(!became && ev.is_empty());
    assert_eq!(
        state::buffer(&s, "tron").unwrap().unwrap().signatures.len(),
        4
    );

    // The ack on the staking chain commits it, rotates the proposer and gives the epoch.
    let outcome = deliver_ack(&mut s, 7, &ack_msg(&tron, 0)).unwrap();
    assert!(outcome.committed.matched_buffer);
    assert_eq!(outcome.committed.checkpoint, tron);
    assert_eq!(outcome.ack_count, 1);
    assert_eq!(outcome.staking_epoch, Some(2));
    assert_eq!(outcome.next_proposer, Some(key(2).address()));
    assert_eq!(proposer_id(&s), 2);
    assert!(state::buffer(&s, "tron").unwrap().is_none());
    assert_eq!(state::ack_count(&s, "tron").unwrap(), 1);
    assert_eq!(state::last_end(&s, "tron").unwrap(), Some(15));
    assert_eq!(state::latest(&s, "tron").unwrap().unwrap().checkpoint, tron);

    // The next tron checkpoint starts at 16 and needs 16 more final blocks (head 31).
    assert!(create_on(&mut s, 8, 30, &active, &["tron"]).0.is_empty());
    let (made, _) = create_on(&mut s, 9, 31, &active, &["tron"]);
    let second = made[0].clone();
    assert_eq!((second.number, second.start, second.end), (2, 16, 31));
    assert_eq!(second.proposer, key(2).address());
    assert_eq!(second.root_hash, reference_root(16, 31));

    // The eth ack (not the staking chain) commits without rotating or moving the epoch.
    let eth = made_on(&s, "eth");
    let outcome = deliver_ack(&mut s, 10, &ack_msg(&eth, 1)).unwrap();
    assert_eq!(outcome.staking_epoch, None);
    assert_eq!(outcome.next_proposer, None);
    assert_eq!(proposer_id(&s), 2);
    assert_eq!(state::ack_count(&s, "eth").unwrap(), 1);

    // Queries.
    let latest: serde_json::Value = query(&s, "latest/tron");
    assert_eq!(latest["checkpoint"]["end"], 15);
    let one: serde_json::Value = query(&s, "checkpoint/eth/1");
    assert_eq!(one["checkpoint"]["root_chain"], "eth");
    assert_eq!(
        rejection(CheckpointModule::query(&s, "checkpoint/eth/2", &[])),
        ("checkpoint", codes::NOT_FOUND)
    );
    let count: serde_json::Value = query(&s, "count/tron");
    assert_eq!(count["ack_count"], 1);
    assert_eq!(count["next_start"], 16);
    assert_eq!(count["next_number"], 2);
    let buffer: serde_json::Value = query(&s, "buffer/tron");
    assert_eq!(buffer["checkpoint"]["number"], 2);
    assert_eq!(
        buffer["sign_hash"],
        format!("0x{}", hex::encode(second.sign_hash()))
    );
    assert_eq!(
        buffer["sign_data"],
        format!("0x{}", hex::encode(second.sign_data()))
    );
    let none: serde_json::Value = query(&s, "buffer/eth");
    assert!(none.is_null());
    let sigs: serde_json::Value = query(&s, "signatures/tron");
    assert_eq!(sigs["number"], 2);
    assert_eq!(sigs["signatures"].as_array().unwrap().len(), 0);
    let proposer: serde_json::Value = query(&s, "proposer");
    assert_eq!(proposer["proposer"]["id"], 2);
    assert_eq!(proposer["validators"].as_array().unwrap().len(), 4);
    let chains: serde_json::Value = query(&s, "chains");
    let chains = chains.as_array().unwrap();
    assert_eq!(chains.len(), 2);
    assert_eq!(chains[0]["root_chain"], "eth");
    assert!(chains[0]["buffer"].is_null());
    assert_eq!(chains[1]["buffer"]["number"], 2);
    let params: Params = query(&s, "params");
    assert_eq!(params, Params::localnet());
    assert!(CheckpointModule::query(&s, "latest/TRON", &[]).is_err());
    assert!(CheckpointModule::query(&s, "nope", &[]).is_err());
}

fn made_on(s: &State, chain: &str) -> Checkpoint {
    state::buffer(s, chain).unwrap().unwrap().checkpoint
}

#[test]
fn a_block_proves_its_place_in_a_checkpoint() {
    let mut s = fresh();
    let (made, _) = create_on(&mut s, 1, 20, &set(&[1]), &["tron"]);
    let c = &made[0];
    assert_eq!((c.start, c.end), (0, 20));
    for block in [0u64, 7, 20] {
        let (leaf, index, proof) = crate::lifecycle::block_proof(&headers, c, block).unwrap();
        assert_eq!(leaf, crate::merkle::leaf_hash(&header(block)));
        assert_eq!(index, block);
        assert_eq!(proof.len(), 5, "21 leaves pad to 32");
        assert!(crate::merkle::verify(&leaf, index, &proof, &c.root_hash));
        assert!(!crate::merkle::verify(
            &leaf,
            index,
            &proof,
            &reference_root(0, 19)
        ));
    }
    assert!(crate::lifecycle::block_proof(&headers, c, 21).is_err());
}

#[test]
fn more_than_two_thirds_of_the_power_is_needed() {
    // 2 of 3 equal powers is exactly 2/3: not enough; the third is.
    let mut s = fresh();
    let active = set(&[5, 5, 5]);
    create(&mut s, 1, 15, &active);
    let c = made_on(&s, "tron");
    assert!(
        !add(&mut s, 2, &c, &signatures(&c, &[1, 2]), &active)
            .unwrap()
            .0
    );
    assert!(
        add(&mut s, 3, &c, &signatures(&c, &[3]), &active)
            .unwrap()
            .0
    );

    // Weighted: 3 of 6 no, 4 of 6 (= 2/3) no, 5 of 6 yes.
    let mut s = fresh();
    let active = set(&[1, 1, 1, 3]);
    create(&mut s, 1, 15, &active);
    let c = made_on(&s, "tron");
    assert!(
        !add(&mut s, 2, &c, &signatures(&c, &[4]), &active)
            .unwrap()
            .0
    );
    assert!(
        !add(&mut s, 3, &c, &signatures(&c, &[1]), &active)
            .unwrap()
            .0
    );
    assert!(
        add(&mut s, 4, &c, &signatures(&c, &[2]), &active)
            .unwrap()
            .0
    );
    assert!(crate::lifecycle::more_than_two_thirds(3, 4));
    assert!(!crate::lifecycle::more_than_two_thirds(2, 3));
    assert!(!crate::lifecycle::more_than_two_thirds(0, 0));
}

#[test]
fn duplicates_and_non_members_are_ignored_and_forgeries_refused() {
    let mut s = fresh();
    let active = set(&[1, 1, 1, 1]);
    create(&mut s, 1, 15, &active);
    let c = made_on(&s, "tron");

    // The same signer twice in one call and again in a later call counts once.
    let twice = [signatures(&c, &[1]), signatures(&c, &[1])].concat();
    add(&mut s, 2, &c, &twice, &active).unwrap();
    add(&mut s, 3, &c, &signatures(&c, &[1]), &active).unwrap();
    assert_eq!(
        state::buffer(&s, "tron").unwrap().unwrap().signatures.len(),
        1
    );
    // A valid signature by a key outside the set is ignored (not stored, not counted).
    add(&mut s, 4, &c, &signatures(&c, &[9]), &active).unwrap();
    assert_eq!(
        state::buffer(&s, "tron").unwrap().unwrap().signatures.len(),
        1
    );
    assert!(
        !add(&mut s, 5, &c, &signatures(&c, &[2, 9, 9]), &active)
            .unwrap()
            .0
    );

    // Bad signatures are left out and counted; they change nothing. Validator 3's key signing
    // for validator 4, a signature over another checkpoint, a malformed v:
    let before = state::buffer(&s, "tron").unwrap().unwrap();
    let forged = (key(4).address(), sign::sign(&key(3), &c.sign_hash()));
    let mut other = c.clone();
    other.end += 1;
    let wrong = (key(3).address(), sign::sign(&key(3), &other.sign_hash()));
    let mut bad = signatures(&c, &[3])[0];
    bad.1[64] = 1;
    for sigs in [vec![forged], vec![wrong], vec![bad]] {
        let (became, events) = add(&mut s, 6, &c, &sigs, &active).unwrap();
        assert!(!became);
        let rejected = events
            .iter()
            .find(|e| e.kind == "checkpoint.signatures_rejected")
            .unwrap_or_else(|| panic!("no rejection event: {events:?}"));
        assert!(rejected.attributes.contains(&("count".into(), "1".into())));
        assert_eq!(state::buffer(&s, "tron").unwrap().unwrap(), before);
    }
    assert!(check_vote_signature(&s, "tron", 1, &forged.0, &forged.1).is_err());
    // One bad signature does not keep a good one out.
    add(&mut s, 6, &c, &[forged, signatures(&c, &[3])[0]], &active).unwrap();
    assert_eq!(
        state::buffer(&s, "tron").unwrap().unwrap().signatures.len(),
        before.signatures.len() + 1
    );

    // Signatures for a number that is not buffered.
    let mut next = c.clone();
    next.number = 2;
    assert!(matches!(
        add(&mut s, 7, &next, &signatures(&next, &[1]), &active),
        Err(CheckpointError::WrongCheckpoint { buffered: 1, .. })
    ));
    assert!(check_vote_signature(&s, "bsc", 1, &key(1).address(), &[0; 65]).is_err());
}

#[test]
fn acks_must_be_the_next_number_and_start_where_the_last_ended() {
    let mut s = fresh();
    let active = set(&[1, 1, 1]);
    create(&mut s, 1, 15, &active);
    let c = made_on(&s, "tron");

    let ahead = MsgCheckpointAck {
        number: 2,
        ..ack_msg(&c, 0)
    };
    assert_eq!(
        rejection(deliver_ack(&mut s, 2, &ahead)),
        ("checkpoint", codes::ACK_AHEAD)
    );
    let wrong_start = MsgCheckpointAck {
        start: 1,
        ..ack_msg(&c, 0)
    };
    assert_eq!(
        rejection(deliver_ack(&mut s, 2, &wrong_start)),
        ("checkpoint", codes::START_MISMATCH)
    );
    let mut unknown = ack_msg(&c, 0);
    unknown.event.as_mut().unwrap().root_chain = "bsc".into();
    assert_eq!(
        rejection(deliver_ack(&mut s, 2, &unknown)),
        ("checkpoint", codes::UNKNOWN_ROOT_CHAIN)
    );
    // Stateless checks.
    for bad in [
        MsgCheckpointAck {
            number: 0,
            ..ack_msg(&c, 0)
        },
        MsgCheckpointAck {
            proposer: vec![1; 19],
            ..ack_msg(&c, 0)
        },
        MsgCheckpointAck {
            root_hash: vec![1; 31],
            ..ack_msg(&c, 0)
        },
        MsgCheckpointAck {
            start: 5,
            end: 4,
            ..ack_msg(&c, 0)
        },
        MsgCheckpointAck {
            event: None,
            ..ack_msg(&c, 0)
        },
    ] {
        let e = bad.check_stateless().unwrap_err();
        assert_eq!(
            (e.codespace, e.code),
            ("checkpoint", codes::INVALID_MSG),
            "{bad:?}"
        );
    }
    assert_eq!(
        MsgCheckpointAck {
            from: "x".into(),
            ..ack_msg(&c, 0)
        }
        .check_stateless()
        .unwrap_err()
        .code,
        7
    );

    deliver_ack(&mut s, 3, &ack_msg(&c, 0)).unwrap();
    // The same event again: rootchain's once-only mark; another event for number 1: replayed.
    assert_eq!(
        rejection(deliver_ack(&mut s, 4, &ack_msg(&c, 0))),
        ("rootchain", 3)
    );
    assert_eq!(
        rejection(deliver_ack(&mut s, 4, &ack_msg(&c, 5))),
        ("checkpoint", codes::ALREADY_ACKED)
    );
    // The next checkpoint starts at the last end + 1.
    let (made, _) = create_on(&mut s, 5, 31, &active, &["tron"]);
    assert_eq!(made[0].start, c.end + 1);
}

#[test]
fn a_checkpoint_covers_at_most_max_checkpoint_length_blocks() {
    let mut s = fresh();
    let active = set(&[1]);
    // Delivery is far behind: 200 final blocks, max 64.
    let (made, _) = create_on(&mut s, 1, 199, &active, &["tron"]);
    assert_eq!((made[0].start, made[0].end), (0, 63));
    // A single validator signs alone: 1 of 1 > 2/3.
    assert!(
        add(&mut s, 2, &made[0], &signatures(&made[0], &[1]), &active)
            .unwrap()
            .0
    );
    deliver_ack(&mut s, 3, &ack_msg(&made[0], 0)).unwrap();
    let (made, _) = create_on(&mut s, 4, 199, &active, &["tron"]);
    assert_eq!((made[0].start, made[0].end), (64, 127));
    deliver_ack(&mut s, 5, &ack_msg(&made[0], 1)).unwrap();
    let (made, _) = create_on(&mut s, 6, 199, &active, &["tron"]);
    assert_eq!((made[0].start, made[0].end), (128, 191));
    deliver_ack(&mut s, 7, &ack_msg(&made[0], 2)).unwrap();
    // 8 blocks left (192..=199) are fewer than avg 16.
    assert!(create_on(&mut s, 8, 199, &active, &["tron"]).0.is_empty());
    let (made, _) = create_on(&mut s, 9, 207, &active, &["tron"]);
    assert_eq!((made[0].start, made[0].end), (192, 207));
}

fn no_ack_msg(from: u64, chain: &str) -> MsgCheckpointNoAck {
    MsgCheckpointNoAck {
        from: key(from).address().to_string(),
        root_chain: chain.into(),
    }
}

fn deliver_no_ack(
    s: &mut State,
    height: u64,
    time: i64,
    m: &MsgCheckpointNoAck,
    active: &[SetMember],
) -> Result<no_ack::NoAckOutcome, ExecError> {
    let b = block_at(height, time);
    no_ack::check(m, &Context::new(&b, ExecMode::Check), &*s, active)?;
    let mut ctx = Context::new(&b, ExecMode::Deliver);
    no_ack::execute(m, &mut ctx, s, active)
}

#[test]
fn a_no_ack_is_accepted_from_a_validator_once_the_buffer_time_passed() {
    let mut s = fresh();
    let active = set(&[1, 1, 1]);
    let (made, _) = create(&mut s, 10, 15, &active);
    let created_time = state::buffer(&s, "tron").unwrap().unwrap().created_time;
    assert_eq!(created_time, block(10).time_seconds);
    assert_eq!(proposer_id(&s), 1);

    // Too early (buffer time 60 s).
    assert_eq!(
        rejection(deliver_no_ack(
            &mut s,
            11,
            created_time + 59,
            &no_ack_msg(2, "tron"),
            &active
        )),
        ("checkpoint", codes::BUFFER_TIME_NOT_PASSED)
    );
    // Not a validator.
    assert_eq!(
        rejection(deliver_no_ack(
            &mut s,
            11,
            created_time + 60,
            &no_ack_msg(7, "tron"),
            &active
        )),
        ("checkpoint", codes::NOT_A_VALIDATOR)
    );
    // Nothing buffered on that chain.
    assert_eq!(
        rejection(deliver_no_ack(
            &mut s,
            11,
            created_time + 60,
            &no_ack_msg(2, "bsc"),
            &active
        )),
        ("checkpoint", codes::NO_BUFFER)
    );
    assert!(no_ack_msg(2, "BSC").check_stateless().is_err());

    let out = deliver_no_ack(
        &mut s,
        11,
        created_time + 60,
        &no_ack_msg(2, "tron"),
        &active,
    )
    .unwrap();
    assert_eq!(out.dropped.checkpoint, made[0]);
    assert_eq!(out.next_proposer, Some(key(2).address()));
    assert!(state::buffer(&s, "tron").unwrap().is_none());
    // A second no-ack in the same block finds no buffer.
    assert_eq!(
        rejection(deliver_no_ack(
            &mut s,
            11,
            created_time + 61,
            &no_ack_msg(3, "tron"),
            &active
        )),
        ("checkpoint", codes::NO_BUFFER)
    );
    // The next end of block re-creates checkpoint 1 from the same start with the new proposer.
    let (again, _) = create_on(&mut s, 12, 20, &active, &["tron"]);
    assert_eq!((again[0].number, again[0].start, again[0].end), (1, 0, 20));
    assert_eq!(again[0].proposer, key(2).address());
    // The eth buffer was made by proposer 1 and stays.
    assert_eq!(made_on(&s, "eth").proposer, key(1).address());
}

#[test]
fn an_ack_for_a_checkpoint_dropped_by_a_no_ack_is_still_committed() {
    // Proposer 1 submitted checkpoint 1 (0..=15), but a no-ack dropped the buffer before the
    // ack arrived and proposer 2 buffered 0..=20. The root chain accepted 0..=15.
    let mut s = fresh();
    let active = set(&[1, 1, 1]);
    create_on(&mut s, 1, 15, &active, &["tron"]);
    let submitted = made_on(&s, "tron");
    let t = state::buffer(&s, "tron").unwrap().unwrap().created_time;
    deliver_no_ack(&mut s, 2, t + 60, &no_ack_msg(3, "tron"), &active).unwrap();
    create_on(&mut s, 3, 20, &active, &["tron"]);
    assert_eq!(made_on(&s, "tron").end, 20);

    let out = deliver_ack(&mut s, 4, &ack_msg(&submitted, 0)).unwrap();
    assert!(!out.committed.matched_buffer);
    assert_eq!(out.committed.checkpoint.end, 15);
    assert_eq!(out.committed.checkpoint.proposer, key(1).address());
    assert_eq!(out.committed.checkpoint.account_root_hash, [0; 32]);
    assert!(
        state::buffer(&s, "tron").unwrap().is_none(),
        "the stale buffer is gone"
    );
    let (made, _) = create_on(&mut s, 5, 31, &active, &["tron"]);
    assert_eq!((made[0].number, made[0].start), (2, 16));
}

#[test]
fn the_proposer_rotates_in_tendermint_order_and_follows_set_changes() {
    let mut s = fresh();
    // Powers 1, 2, 3 (ids 1, 2, 3): CometBFT's order from a new set.
    let active = set(&[1, 2, 3]);
    let mut order = Vec::new();
    let mut end = 15;
    for n in 0..6u64 {
        let (made, _) = create_on(&mut s, 10 + n, end, &active, &["tron"]);
        let c = &made[0];
        order.push(id_of(&s, &c.proposer));
        deliver_ack(&mut s, 10 + n, &ack_msg(c, n)).unwrap();
        end += 16;
    }
    // Expected by hand: priorities start centred at 0; +power, max proposes, -6.
    // (1,2,3) -> 3 proposes: (1,2,-3); +: (2,4,0) -> 2: (2,-2,0); +: (3,0,3) -> tie 1 (lower
    // id): (-3,0,3); +: (-2,2,6) -> 3: (-2,2,0); +: (-1,4,3) -> 2: (-1,-2,3); +: (0,0,6) -> 3.
    assert_eq!(order, [3, 2, 1, 3, 2, 3]);

    // Validator 4 (power 6) joins: it enters at -(12 + 12/8) = -13 before centring, so it
    // does not propose at once although it has half the power.
    let bigger = set(&[1, 2, 3, 6]);
    create_on(&mut s, 30, end, &bigger, &["tron"]);
    let c = made_on(&s, "tron");
    assert_ne!(id_of(&s, &c.proposer), 4);
    let set_now = state::proposer_set(&s).unwrap();
    assert_eq!(set_now.validators.len(), 4);
    assert!(set_now.validators[3].priority < 0);
    // The current proposer leaves: the set rotates to a member.
    let current = proposer_id(&s);
    let without: Vec<SetMember> = bigger.iter().copied().filter(|m| m.id != current).collect();
    crate::lifecycle::sync_proposer(&mut s, &without).unwrap();
    assert_ne!(proposer_id(&s), current);
}

#[test]
fn nothing_is_made_without_validators_or_with_missing_headers() {
    let mut s = fresh();
    let (made, events) = create(&mut s, 1, 100, &[]);
    assert!(made.is_empty() && events.is_empty());
    assert!(state::proposer_set(&s).unwrap().validators.is_empty());

    let b = block(2);
    let mut ctx = Context::new(&b, ExecMode::Deliver);
    let gap: HeaderSource<'_> = &|n| Ok((n != 7).then(|| header(n)));
    let r = maybe_create(&mut s, &mut ctx, &["tron".into()], 20, gap, &set(&[1]));
    assert!(matches!(
        r,
        Err(CheckpointError::BadHeader { number: 7, .. })
    ));
    let liar: HeaderSource<'_> = &|n| Ok(Some(header(n + 1)));
    let r = maybe_create(&mut s, &mut ctx, &["tron".into()], 20, liar, &set(&[1]));
    assert!(matches!(
        r,
        Err(CheckpointError::BadHeader { number: 0, .. })
    ));
    let r = maybe_create(&mut s, &mut ctx, &["Tron".into()], 20, &headers, &set(&[1]));
    assert!(r.is_err());
    let r = maybe_create(
        &mut s,
        &mut ctx,
        &["tron".into()],
        20,
        &headers,
        &set(&[1, 0]),
    );
    assert!(matches!(r, Err(CheckpointError::InvalidSet(_))));
}

/// Builds some of everything: acked checkpoints on tron, a signed buffer on eth.
fn busy_state() -> State {
    let mut s = fresh();
    let active = set(&[1, 2, 3]);
    for (n, end) in [(0u64, 15u64), (1, 31)] {
        let (made, _) = create_on(&mut s, 10 + n, end, &active, &["tron"]);
        deliver_ack(&mut s, 10 + n, &ack_msg(&made[0], n)).unwrap();
    }
    create_on(&mut s, 20, 40, &active, &["tron", "eth"]);
    let c = made_on(&s, "eth");
    add(&mut s, 21, &c, &signatures(&c, &[1, 3]), &active).unwrap();
    s
}

#[test]
fn genesis_round_trips_key_for_key() {
    let s = busy_state();
    let exported = CheckpointModule::export_genesis(&s).unwrap();
    CheckpointModule::validate_genesis(&exported).unwrap();
    assert_eq!(exported.chains.len(), 2);
    let json = serde_json::to_string(&exported).unwrap();
    let parsed: Genesis = serde_json::from_str(&json).unwrap();
    assert_eq!(parsed, exported);

    let mut imported = StateDelta::new(EmptyState);
    CheckpointModule::init_genesis(&mut imported, &parsed).unwrap();
    let ours = s.prefix_raw(crate::state_key::MODULE_PREFIX).unwrap();
    let theirs = imported
        .prefix_raw(crate::state_key::MODULE_PREFIX)
        .unwrap();
    assert_eq!(ours, theirs);

    // The default genesis is valid and writes only params.
    let mut empty = StateDelta::new(EmptyState);
    genesis::init(&mut empty, &Genesis::default()).unwrap();
    assert_eq!(
        empty
            .prefix_raw(crate::state_key::MODULE_PREFIX)
            .unwrap()
            .len(),
        1
    );
}

#[test]
fn inconsistent_genesis_is_refused() {
    let good = CheckpointModule::export_genesis(&busy_state()).unwrap();
    let tron = good
        .chains
        .iter()
        .position(|c| c.root_chain == "tron")
        .unwrap();
    let eth = good
        .chains
        .iter()
        .position(|c| c.root_chain == "eth")
        .unwrap();
    type Change = Box<dyn Fn(&mut Genesis)>;
    let cases: Vec<(&str, Change)> = vec![
        (
            "bad params",
            Box::new(|g| g.params.avg_checkpoint_length = 0),
        ),
        (
            "twice",
            Box::new(move |g| g.chains.push(g.chains[tron].clone())),
        ),
        (
            "bad name",
            Box::new(move |g| g.chains[tron].root_chain = "TRON".into()),
        ),
        ("count", Box::new(move |g| g.chains[tron].ack_count = 3)),
        ("end", Box::new(move |g| g.chains[tron].last_end = Some(30))),
        ("no end", Box::new(move |g| g.chains[tron].last_end = None)),
        (
            "gap",
            Box::new(move |g| g.chains[tron].checkpoints[1].checkpoint.start = 17),
        ),
        (
            "first",
            Box::new(move |g| {
                g.chains[tron].checkpoints.remove(1);
                g.chains[tron].ack_count = 1;
                g.chains[tron].last_end = Some(15);
                g.chains[tron].checkpoints[0].checkpoint.start = 1;
            }),
        ),
        (
            "other chain",
            Box::new(move |g| g.chains[tron].checkpoints[0].checkpoint.root_chain = "eth".into()),
        ),
        (
            "buffer number",
            Box::new(move |g| g.chains[eth].buffer.as_mut().unwrap().checkpoint.number = 2),
        ),
        (
            "buffer start",
            Box::new(move |g| g.chains[eth].buffer.as_mut().unwrap().checkpoint.start = 1),
        ),
        (
            "signature",
            Box::new(move |g| {
                g.chains[eth].buffer.as_mut().unwrap().signatures[0].signature[5] ^= 1
            }),
        ),
        (
            "order",
            Box::new(move |g| g.chains[eth].buffer.as_mut().unwrap().signatures.reverse()),
        ),
        (
            "final",
            Box::new(move |g| g.chains[eth].buffer.as_mut().unwrap().final_time = Some(1)),
        ),
        ("proposer", Box::new(|g| g.proposer.proposer = Some(99))),
        ("power", Box::new(|g| g.proposer.validators[0].power = 0)),
    ];
    for (what, change) in cases {
        let mut g = good.clone();
        change(&mut g);
        assert!(
            CheckpointModule::validate_genesis(&g).is_err(),
            "{what} should be refused"
        );
        let mut s = StateDelta::new(EmptyState);
        assert!(genesis::init(&mut s, &g).is_err(), "{what}");
        assert!(
            s.prefix_raw(b"").unwrap().is_empty(),
            "{what}: nothing written"
        );
    }
}

proptest! {
    /// Whatever the final head does (it only rises) and whenever acks come, each chain's
    /// checkpoints are contiguous from block 0, at most `max` long, at least `avg` long, and
    /// numbered 1, 2, 3, ...
    #[test]
    fn checkpoints_are_contiguous_and_sized_by_the_params(
        avg in 1u64..20,
        extra in 0u64..30,
        steps in proptest::collection::vec((0u64..50, any::<bool>()), 1..30),
    ) {
        let mut s = fresh();
        let params = Params { avg_checkpoint_length: avg, max_checkpoint_length: avg + extra,
            ..Params::localnet() };
        state::set_params(&mut s, &params).unwrap();
        let active = set(&[1, 1, 1]);
        let mut head = 0u64;
        let mut acked: Vec<Checkpoint> = Vec::new();
        for (i, (advance, do_ack)) in steps.into_iter().enumerate() {
            head += advance;
            let (made, _) = create_on(&mut s, i as u64 + 1, head, &active, &["tron"]);
            for c in &made {
                prop_assert!(c.len() >= avg && c.len() <= avg + extra);
                prop_assert!(c.end <= head);
            }
            if do_ack {
                if let Some(b) = state::buffer(&s, "tron").unwrap() {
                    deliver_ack(&mut s, i as u64 + 1, &ack_msg(&b.checkpoint, i as u64)).unwrap();
                    acked.push(b.checkpoint);
                }
            }
        }
        let mut expected_start = 0;
        for (i, c) in acked.iter().enumerate() {
            prop_assert_eq!(c.number, i as u64 + 1);
            prop_assert_eq!(c.start, expected_start);
            expected_start = c.end + 1;
        }
    }
}

#[test]
fn a_checkpoint_keeps_the_account_set_it_commits_to_from_buffer_to_commit() {
    let mut s = fresh();
    // Unequal powers, ids not in signer order: the set is kept sorted by signer.
    let active = set(&[3, 1, 2]);
    let (made, _) = create_on(&mut s, 1, 15, &active, &["tron", "eth"]);
    let c = made[0].clone();
    let mut expected: Vec<crate::Account> = active
        .iter()
        .map(|m| crate::Account {
            signer: m.signer,
            power: m.power,
        })
        .collect();
    expected.sort_by_key(|a| a.signer);
    let buffered = state::buffer(&s, "tron").unwrap().unwrap();
    assert_eq!(buffered.accounts, expected);
    let pairs: Vec<(Address, u64)> = expected.iter().map(|a| (a.signer, a.power)).collect();
    assert_eq!(
        crate::merkle::account_root(&pairs).unwrap(),
        c.account_root_hash
    );
    crate::types::check_accounts(&buffered.accounts, &c.account_root_hash).unwrap();

    // The buffer answer lists it.
    let buffer: serde_json::Value = query(&s, "buffer/tron");
    let listed = buffer["accounts"].as_array().unwrap();
    assert_eq!(listed.len(), 3);
    assert_eq!(listed[0]["signer"], expected[0].signer.to_string());
    assert_eq!(listed[0]["power"], expected[0].power);

    // An ack of the buffered checkpoint commits the set with it.
    let out = deliver_ack(&mut s, 2, &ack_msg(&c, 0)).unwrap();
    assert_eq!(out.committed.accounts, expected);
    let committed: serde_json::Value = query(&s, "checkpoint/tron/1");
    assert_eq!(committed["accounts"].as_array().unwrap().len(), 3);
    assert_eq!(committed["accounts"][2]["power"], expected[2].power);
    let latest: crate::CommittedCheckpoint = query(&s, "latest/tron");
    assert_eq!(latest.accounts, expected);

    // An ack the buffer does not match (a no-ack dropped it) has no set: unknown.
    let eth = made_on(&s, "eth");
    let t = state::buffer(&s, "eth").unwrap().unwrap().created_time;
    deliver_no_ack(&mut s, 3, t + 60, &no_ack_msg(1, "eth"), &active).unwrap();
    let out = deliver_ack(&mut s, 4, &ack_msg(&eth, 1)).unwrap();
    assert!(!out.committed.matched_buffer);
    assert!(out.committed.accounts.is_empty());
    let committed: serde_json::Value = query(&s, "checkpoint/eth/1");
    assert_eq!(committed["accounts"], serde_json::json!([]));

    // The set survives export and import, key for key.
    let exported = CheckpointModule::export_genesis(&s).unwrap();
    let tron = exported
        .chains
        .iter()
        .find(|c| c.root_chain == "tron")
        .unwrap();
    assert_eq!(tron.checkpoints[0].accounts, expected);
    let mut imported = StateDelta::new(EmptyState);
    CheckpointModule::init_genesis(&mut imported, &exported).unwrap();
    assert_eq!(
        s.prefix_raw(crate::state_key::MODULE_PREFIX).unwrap(),
        imported
            .prefix_raw(crate::state_key::MODULE_PREFIX)
            .unwrap()
    );
}

#[test]
fn a_genesis_account_set_must_be_sorted_positive_and_match_the_account_root() {
    let s = busy_state();
    let good = CheckpointModule::export_genesis(&s).unwrap();
    CheckpointModule::validate_genesis(&good).unwrap();
    let tron = good
        .chains
        .iter()
        .position(|c| c.root_chain == "tron")
        .unwrap();
    let eth = good
        .chains
        .iter()
        .position(|c| c.root_chain == "eth")
        .unwrap();
    assert_eq!(good.chains[tron].checkpoints[0].accounts.len(), 3);
    assert_eq!(good.chains[eth].buffer.as_ref().unwrap().accounts.len(), 3);

    let refused = |mutate: &dyn Fn(&mut Genesis), why: &str| {
        let mut g = good.clone();
        mutate(&mut g);
        let err = CheckpointModule::validate_genesis(&g).unwrap_err();
        assert!(err.contains(why), "{why}: {err}");
    };
    refused(
        &|g| g.chains[tron].checkpoints[1].accounts[0].power += 1,
        "is not the account root",
    );
    refused(
        &|g| g.chains[tron].checkpoints[0].accounts.swap(0, 1),
        "strictly ascending",
    );
    refused(
        &|g| g.chains[eth].buffer.as_mut().unwrap().accounts[1].power = 0,
        "power 0",
    );
    refused(
        &|g| {
            g.chains[eth].buffer.as_mut().unwrap().accounts.pop();
        },
        "buffer: accounts",
    );
    // No set at all is accepted: unknown (a genesis from before the sets were kept).
    let mut old = good.clone();
    old.chains[tron].checkpoints[0].accounts.clear();
    old.chains[eth].buffer.as_mut().unwrap().accounts.clear();
    CheckpointModule::validate_genesis(&old).unwrap();
    let json = serde_json::to_value(&old).unwrap();
    let mut without = json.clone();
    without["chains"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .for_each(|c| {
            if let Some(b) = c.get_mut("buffer") {
                b.as_object_mut().unwrap().remove("accounts");
            }
        });
    let parsed: Genesis = serde_json::from_value(without).unwrap();
    assert!(parsed.chains[eth]
        .buffer
        .as_ref()
        .unwrap()
        .accounts
        .is_empty());
}
