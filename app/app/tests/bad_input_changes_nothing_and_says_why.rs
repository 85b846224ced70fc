#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    missing_docs
)]
//! Every kind of bad transaction is refused in CheckTx with its own code and a log that says
//! why, and the same transactions forced into a block by a malicious proposer fail in
//! FinalizeBlock without changing state.

mod common;

use std::sync::Arc;

use common::{TestChain, BTT, CHAIN_ID};
use delivery_app::side::NoRootChain;
use delivery_auth::{build_signed_tx, AnyMsg, SignerData};
use delivery_bank::MsgTopup;
use delivery_module::error::sdk;
use delivery_module::{Address, SecretKey};

const FEE: u128 = 1_000_000_000_000_000;

struct Case {
    name: &'static str,
    tx: Vec<u8>,
    codespace: &'static str,
    code: u32,
    log_contains: &'static str,
}

fn topup(from: &SecretKey, index: u64) -> MsgTopup {
    MsgTopup {
        proposer: from.address().to_string(),
        user: from.address().to_string(),
        amount: "5".into(),
        root_chain: "eth".into(),
        tx_hash: vec![7; 32],
        log_index: index,
        block_number: 1,
    }
}

fn cases(chain: &TestChain) -> Vec<Case> {
    let alice = &chain.accounts[0];
    let bob = chain.accounts[1].address();
    let n = chain.account_number(&alice.address());
    let seq = chain.sequence(&alice.address());
    let good = chain.send(0, bob, BTT, seq);
    let signer = |s| SignerData {
        chain_id: CHAIN_ID.into(),
        account_number: n,
        sequence: s,
    };
    let poor = SecretKey::generate();
    vec![
        Case {
            name: "garbage bytes",
            tx: b"\x00\x01garbage\xff".to_vec(),
            codespace: "sdk",
            code: sdk::TX_DECODE,
            log_contains: "not a TxRaw",
        },
        Case {
            name: "truncated protobuf",
            tx: good[..good.len() - 7].to_vec(),
            codespace: "sdk",
            code: sdk::TX_DECODE,
            log_contains: "truncated",
        },
        Case {
            name: "wrong chain-id",
            tx: chain.send_with(alice, "other-chain", n, seq, bob, BTT, FEE),
            codespace: "sdk",
            code: sdk::WRONG_CHAIN_ID,
            log_contains: "other-chain",
        },
        Case {
            name: "bad signature",
            tx: chain.send_with(alice, CHAIN_ID, n + 1, seq, bob, BTT, FEE),
            codespace: "sdk",
            code: sdk::UNAUTHORIZED,
            log_contains: "signature verification failed",
        },
        Case {
            name: "replayed sequence",
            tx: chain.send(0, bob, BTT, seq - 1),
            codespace: "sdk",
            code: sdk::WRONG_SEQUENCE,
            log_contains: "expected",
        },
        Case {
            name: "insufficient funds",
            tx: chain.send(0, bob, 1_000_000 * BTT, seq),
            codespace: "bank",
            code: sdk::INSUFFICIENT_FUNDS,
            log_contains: "insufficient funds",
        },
        Case {
            name: "cannot pay the fee",
            tx: chain.send_with(&poor, CHAIN_ID, 0, 0, bob, 1, FEE),
            codespace: "sdk",
            code: sdk::UNKNOWN_ADDRESS,
            log_contains: "does not exist",
        },
        Case {
            name: "oversized tx",
            tx: build_signed_tx(
                alice,
                &signer(seq),
                &[AnyMsg {
                    type_url: <delivery_bank::MsgSend as delivery_module::Msg>::TYPE_URL.into(),
                    value: vec![0; 70_000],
                }],
                FEE,
                1,
                "",
            ),
            codespace: "sdk",
            code: sdk::TX_TOO_LARGE,
            log_contains: "maximum",
        },
        Case {
            name: "unknown msg type",
            tx: build_signed_tx(
                alice,
                &signer(seq),
                &[AnyMsg {
                    type_url: "/cosmos.gov.v1.MsgVote".into(),
                    value: vec![],
                }],
                FEE,
                1,
                "",
            ),
            codespace: "sdk",
            code: sdk::UNKNOWN_MSG,
            log_contains: "/cosmos.gov.v1.MsgVote",
        },
        Case {
            name: "two side msgs in one tx",
            tx: build_signed_tx(
                alice,
                &signer(seq),
                &[
                    AnyMsg::pack(&topup(alice, 0)),
                    AnyMsg::pack(&topup(alice, 1)),
                ],
                FEE,
                1,
                "",
            ),
            codespace: "sdk",
            code: sdk::TOO_MANY_SIDE_MSGS,
            log_contains: "at most one side message",
        },
    ]
}

#[test]
fn check_tx_refuses_each_bad_tx_with_a_distinct_code_and_log() {
    let mut chain = TestChain::new(1, 2);
    // Give alice a sequence > 0 so a replay is possible.
    let bob = chain.accounts[1].address();
    chain.block(vec![]);
    let first = chain.send(0, bob, BTT, 0);
    chain.block(vec![first]);
    let cases = cases(&chain);
    let mut seen = std::collections::BTreeSet::new();
    for case in &cases {
        let r = chain.check_tx(&case.tx);
        assert_eq!(
            (r.codespace.as_str(), r.code),
            (case.codespace, case.code),
            "{}: {}",
            case.name,
            r.log
        );
        assert!(
            !r.log.is_empty() && r.log.contains(case.log_contains),
            "{}: log {:?}",
            case.name,
            r.log
        );
        // Garbage and a truncated frame are both decode failures (sdk/2, as in the Cosmos SDK);
        // their logs tell them apart. Every other case has a code of its own.
        assert!(
            seen.insert((case.codespace, case.code)) || case.code == sdk::TX_DECODE,
            "{}: code is not distinct",
            case.name
        );
    }
    // A good tx still passes after all that.
    let alice = chain.accounts[0].address();
    let good = chain.send(0, bob, BTT, chain.sequence(&alice));
    assert_eq!(chain.check_tx(&good).code, 0);
}

#[test]
fn a_malicious_proposers_bad_txs_fail_in_finalize_block_without_state_change() {
    let accounts = vec![SecretKey::generate(), SecretKey::generate()];
    let mut honest = TestChain::build(1, accounts.clone(), Arc::new(NoRootChain));
    let mut attacked = TestChain::build(1, accounts, Arc::new(NoRootChain));
    let bob = honest.accounts[1].address();
    for chain in [&mut honest, &mut attacked] {
        chain.block(vec![]);
        let first = chain.send(0, bob, BTT, 0);
        chain.block(vec![first]);
    }
    assert_eq!(honest.app_hash(), attacked.app_hash());
    let bad: Vec<Vec<u8>> = cases(&attacked)
        .into_iter()
        // An in-block insufficient-funds send still pays its fee (an included tx pays); every
        // other case is refused before anything is charged.
        .filter(|c| c.name != "insufficient funds")
        .map(|c| c.tx)
        .collect();
    let n_bad = bad.len();
    // The honest chain's proposal at this height is empty; the attacker forces the bad txs in,
    // bypassing PrepareProposal and ProcessProposal (as >2/3 byzantine or a replay would).
    let honest_res = honest.finalize(honest.prepare(vec![]));
    let mut forced = attacked.prepare(vec![]);
    forced.extend(bad.into_iter().map(Into::into));
    let res = attacked.finalize(forced);
    assert_eq!(res.tx_results.len(), honest_res.tx_results.len() + n_bad);
    for r in res.tx_results.iter().skip(honest_res.tx_results.len()) {
        assert_ne!(r.code, 0, "a bad tx succeeded: {r:?}");
        assert!(!r.log.is_empty());
    }
    assert_eq!(
        honest.app_hash(),
        attacked.app_hash(),
        "bad txs changed state"
    );
}

#[test]
fn process_proposal_rejects_a_block_with_a_stateless_invalid_tx() {
    let mut chain = TestChain::new(1, 2);
    chain.block(vec![]);
    let mut proposal = chain.prepare(vec![]);
    proposal.push(b"garbage".to_vec().into());
    assert!(!chain.process(&proposal));
    // PrepareProposal itself drops garbage from the mempool.
    let proposal = chain.prepare(vec![b"garbage".to_vec()]);
    assert!(chain.process(&proposal));
    assert_eq!(proposal.len(), 1, "only the extended commit remains");
    let _ = Address::default();
}
