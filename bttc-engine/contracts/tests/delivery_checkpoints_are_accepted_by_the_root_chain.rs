//! The two implementations of the checkpoint formats agree: what Delivery's checkpoint module
//! (`delivery-checkpoint`) computes and signs is what the RootChain contract and this crate's
//! `checkpoint` helpers compute, byte for byte. A checkpoint made and signed only with the
//! Delivery side's code is accepted by the contract; its account root installs the set it
//! names; a block proof from Delivery's Merkle code verifies in the contract.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::panic,
    missing_docs
)]

mod common;

use alloy_primitives::{keccak256, Address, Bytes, TxKind, B256, U256};
use alloy_signer_local::PrivateKeySigner;
use bttc_engine_contracts::checkpoint::{
    account_root, block_leaf, checkpoint_root, recover_signer, root_chain_init_code, sign_data,
    submission_sigs, validator_leaf, IRootChain,
};
use common::chain::Chain;
use common::{genesis, key};
use delivery_checkpoint::merkle::{self, Header};
use delivery_checkpoint::{sign, Checkpoint};
use delivery_module::{Address as DAddress, SecretKey};

const BTTC: u64 = 199;

fn header(n: u64) -> Header {
    Header {
        number: n,
        timestamp: 1_700_000_000 + 2 * n,
        transactions_root: keccak256(format!("tx {n}")).0,
        receipts_root: keccak256(format!("receipts {n}")).0,
    }
}

fn delivery_key(k: &PrivateKeySigner) -> SecretKey {
    SecretKey::from_bytes(k.to_bytes().as_slice()).unwrap()
}

fn daddr(a: Address) -> DAddress {
    DAddress(a.0 .0)
}

/// Validators 21..=24 sorted by address, with unequal powers.
fn validators() -> Vec<(PrivateKeySigner, u64)> {
    let mut v: Vec<(PrivateKeySigner, u64)> =
        (21..=24).map(|i| (key(i), u64::from(i) - 20)).collect();
    v.sort_by_key(|(k, _)| k.address());
    v
}

#[test]
fn leaves_roots_account_roots_and_sign_data_are_the_same_bytes() {
    for len in [1u64, 2, 3, 5, 8, 13] {
        let headers: Vec<Header> = (7..7 + len).map(header).collect();
        let ours: Vec<B256> = headers
            .iter()
            .map(|h| {
                block_leaf(
                    h.number,
                    h.timestamp,
                    h.transactions_root.into(),
                    h.receipts_root.into(),
                )
            })
            .collect();
        let theirs = merkle::block_leaves(&headers);
        assert_eq!(
            ours.iter().map(|l| l.0).collect::<Vec<_>>(),
            theirs,
            "leaves of {len}"
        );
        assert_eq!(
            checkpoint_root(&ours).unwrap().0,
            merkle::root(&theirs),
            "root of {len}"
        );
    }
    let set: Vec<(Address, u64)> = validators()
        .iter()
        .map(|(k, p)| (k.address(), *p))
        .collect();
    let ours = account_root(
        &set.iter()
            .map(|(a, p)| (*a, U256::from(*p)))
            .collect::<Vec<_>>(),
    );
    let theirs =
        merkle::account_root(&set.iter().map(|(a, p)| (daddr(*a), *p)).collect::<Vec<_>>())
            .unwrap();
    assert_eq!(ours.0, theirs);
    assert_eq!(
        validator_leaf(set[0].0, U256::from(set[0].1)).0,
        merkle::account_leaf(&daddr(set[0].0), set[0].1)
    );

    let cp = Checkpoint {
        number: 1,
        root_chain: "eth".into(),
        proposer: daddr(key(21).address()),
        start: 0,
        end: 12,
        root_hash: [7; 32],
        account_root_hash: theirs,
        bttc_chain_id: BTTC,
    };
    let ours = sign_data(
        key(21).address(),
        0,
        12,
        B256::repeat_byte(7),
        B256::from(theirs),
        BTTC,
    );
    assert_eq!(ours.as_ref(), cp.sign_data().as_slice());
    assert_eq!(
        bttc_engine_contracts::checkpoint::sign_hash(&ours).0,
        cp.sign_hash()
    );
    // A Delivery signature recovers, under the contract's rules, to the signer.
    let sig = sign::sign(&delivery_key(&key(22)), &cp.sign_hash());
    assert_eq!(
        recover_signer(cp.sign_hash().into(), &sig, 0).unwrap(),
        key(22).address()
    );
}

#[test]
fn a_checkpoint_made_and_signed_by_delivery_code_is_accepted_and_its_set_installed() {
    let vals = validators();
    let signers: Vec<Address> = vals.iter().map(|(k, _)| k.address()).collect();
    let powers: Vec<U256> = vals.iter().map(|(_, p)| U256::from(*p)).collect();
    let mut chain = Chain::new(&genesis(&[]), false);
    let init = root_chain_init_code(BTTC, &signers, &powers).unwrap();
    assert!(chain.send(&key(1), TxKind::Create, init.to_vec()).status);
    let rc = key(1).address().create(0);

    // The next set: the first validator leaves, a new one (25) joins.
    let mut next: Vec<(Address, u64)> = vals[1..]
        .iter()
        .map(|(k, p)| (k.address(), *p))
        .chain([(key(25).address(), 4)])
        .collect();
    next.sort_by_key(|(a, _)| *a);
    let headers: Vec<Header> = (0..=9).map(header).collect();
    let leaves = merkle::block_leaves(&headers);
    let cp = Checkpoint {
        number: 1,
        root_chain: "eth".into(),
        proposer: daddr(vals[0].0.address()),
        start: 0,
        end: 9,
        root_hash: merkle::root(&leaves),
        account_root_hash: merkle::account_root(
            &next
                .iter()
                .map(|(a, p)| (daddr(*a), *p))
                .collect::<Vec<_>>(),
        )
        .unwrap(),
        bttc_chain_id: BTTC,
    };
    // Powers 1..=4 (total 10): validators of power 2, 3 and 4 sign (9 > 20/3).
    let hash = cp.sign_hash();
    let raw: Vec<[u8; 65]> = vals
        .iter()
        .filter(|(_, p)| *p >= 2)
        .map(|(k, _)| sign::sign(&delivery_key(k), &hash))
        .collect();
    let sigs: Vec<[U256; 3]> = submission_sigs(hash.into(), &raw)
        .unwrap()
        .into_iter()
        .map(|(_, s)| s)
        .collect();
    let out = chain.exec(
        &key(2),
        rc,
        IRootChain::submitCheckpointCall {
            data: Bytes::copy_from_slice(&cp.sign_data()),
            sigs,
        },
    );
    assert!(out.status, "the RootChain refused Delivery's checkpoint");
    let event = out.event::<IRootChain::NewHeaderBlock>(rc);
    assert_eq!(event.headerBlockId, U256::from(1u8));
    assert_eq!(event.root.0, cp.root_hash);
    assert_eq!((event.start, event.end), (U256::ZERO, U256::from(9u8)));

    // A block proof made by Delivery's Merkle code verifies in the contract.
    let h = &headers[6];
    let proof: Vec<B256> = merkle::proof(&leaves, 6)
        .unwrap()
        .into_iter()
        .map(B256::from)
        .collect();
    assert!(chain.view(
        rc,
        IRootChain::verifyBlockCall {
            headerBlockId: U256::from(1u8),
            number: U256::from(h.number),
            timestamp: U256::from(h.timestamp),
            transactionsRoot: h.transactions_root.into(),
            receiptsRoot: h.receipts_root.into(),
            proof,
        }
    ));

    // The set Delivery committed to installs.
    let out = chain.exec(
        &key(2),
        rc,
        IRootChain::updateValidatorsCall {
            signers: next.iter().map(|(a, _)| *a).collect(),
            powers: next.iter().map(|(_, p)| U256::from(*p)).collect(),
        },
    );
    assert!(out.status, "the committed set was refused");
    assert_eq!(
        chain.view(rc, IRootChain::validatorSetRootCall {}).0,
        cp.account_root_hash
    );
}
