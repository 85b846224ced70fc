//! The RootChain contract, deployed from its compiled artifact on an in-process engine and
//! driven by signed transactions: checkpoints signed by more than 2/3 of the validator power it
//! knows are accepted in order, every malformed or under-signed one is refused with its custom
//! error, validator-set changes are learnt from an accepted checkpoint's account root, the
//! StakeManager's epoch follows the accepted checkpoints, and the gas of a 105-validator set is
//! measured.
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
use alloy_signer::SignerSync as _;
use alloy_signer_local::PrivateKeySigner;
use alloy_sol_types::SolValue as _;
use bttc_engine_api::Engine as _;
use bttc_engine_contracts::abi::IStakeManager;
use bttc_engine_contracts::checkpoint::{
    account_root, block_leaf, checkpoint_root, merkle_proof, root_chain_init_code, sign_hash,
    submission_sigs, IRootChain, SignData, NEW_HEADER_BLOCK, SECP256K1N_HALF,
};
use bttc_engine_contracts::{stake_manager_init_code, test_token_init_code};
use common::chain::{error, tokens, Chain};
use common::{genesis, key};

/// The BTTC chain id the checkpoints name.
const BTTC: u64 = 199;
/// The power of each validator of the small sets.
const POWER: u64 = 10;

/// `keys` sorted by signer address (the order of a set and of a submission).
fn sorted(mut keys: Vec<PrivateKeySigner>) -> Vec<PrivateKeySigner> {
    keys.sort_by_key(|k| k.address());
    keys
}

/// The validators 11, 12, 13, 14 (equal power), sorted by address.
fn four() -> Vec<PrivateKeySigner> {
    sorted((11..=14).map(key).collect())
}

fn set_of(keys: &[PrivateKeySigner], power: u64) -> Vec<(Address, U256)> {
    keys.iter()
        .map(|k| (k.address(), U256::from(power)))
        .collect()
}

fn signers(keys: &[PrivateKeySigner]) -> Vec<Address> {
    keys.iter().map(|k| k.address()).collect()
}

fn powers(n: usize, power: u64) -> Vec<U256> {
    vec![U256::from(power); n]
}

/// The (made-up) header fields of BTTC block `n`.
fn header(n: u64) -> (u64, u64, B256, B256) {
    (
        n,
        1_700_000_000 + 2 * n,
        keccak256(format!("tx {n}")),
        keccak256(format!("receipts {n}")),
    )
}

fn leaves(start: u64, end: u64) -> Vec<B256> {
    (start..=end)
        .map(|n| {
            let (n, t, tx, rc) = header(n);
            block_leaf(n, t, tx, rc)
        })
        .collect()
}

/// A checkpoint of blocks `start..=end` committing to `account_root`, proposed by key 11.
fn checkpoint(start: u64, end: u64, account_root: B256) -> SignData {
    SignData {
        proposer: key(11).address(),
        start,
        end,
        root: checkpoint_root(&leaves(start, end)).unwrap(),
        account_root,
        bttc_chain_id: BTTC,
    }
}

/// The signatures of `signers` over `hash`, sorted by signer (as the bridge submits them).
fn sigs(signers: &[&PrivateKeySigner], hash: B256) -> Vec<[U256; 3]> {
    let raw: Vec<[u8; 65]> = signers
        .iter()
        .map(|k| k.sign_hash_sync(&hash).unwrap().as_bytes())
        .collect();
    submission_sigs(hash, &raw)
        .unwrap()
        .into_iter()
        .map(|(_, s)| s)
        .collect()
}

fn submit(data: Bytes, sigs: Vec<[U256; 3]>) -> IRootChain::submitCheckpointCall {
    IRootChain::submitCheckpointCall { data, sigs }
}

/// `d` signed by `signers` (sorted).
fn signed(d: &SignData, signers: &[&PrivateKeySigner]) -> IRootChain::submitCheckpointCall {
    submit(d.encode(), sigs(signers, d.sign_hash()))
}

fn update(keys: &[PrivateKeySigner], power: u64) -> IRootChain::updateValidatorsCall {
    IRootChain::updateValidatorsCall {
        signers: signers(keys),
        powers: powers(keys.len(), power),
    }
}

/// Gas used by the last transaction (each block holds one).
fn last_gas(chain: &Chain) -> u64 {
    let head = chain.engine.head().unwrap();
    let receipts = chain.engine.receipts(head.hash).unwrap().unwrap();
    assert_eq!(receipts.receipts.len(), 1);
    receipts.receipts[0].cumulative_gas_used()
}

/// A chain with a RootChain deployed by key 1 (its first transaction) with the validators
/// `keys` at power `power`; returns the chain, the contract and the deployment's logs.
fn deploy(
    chain_genesis: &serde_json::Value,
    legacy: bool,
    keys: &[PrivateKeySigner],
    power: u64,
) -> (Chain, Address, common::chain::Outcome) {
    let mut chain = Chain::new(chain_genesis, legacy);
    let init = root_chain_init_code(BTTC, &signers(keys), &powers(keys.len(), power)).unwrap();
    let out = chain.send(&key(1), TxKind::Create, init.to_vec());
    assert!(out.status, "RootChain deployment failed");
    (chain, key(1).address().create(0), out)
}

fn rig(keys: &[PrivateKeySigner]) -> (Chain, Address) {
    let (chain, rc, _) = deploy(&genesis(&[]), false, keys, POWER);
    (chain, rc)
}

fn header_block(chain: &Chain, rc: Address, id: u64) -> IRootChain::headerBlocksReturn {
    chain.view(
        rc,
        IRootChain::headerBlocksCall {
            headerBlockId: U256::from(id),
        },
    )
}

fn current(chain: &Chain, rc: Address) -> (U256, U256) {
    (
        chain.view(rc, IRootChain::currentHeaderBlockCall {}),
        chain.view(rc, IRootChain::nextStartCall {}),
    )
}

fn verify_block(chain: &Chain, rc: Address, id: u64, n: u64, proof: Vec<B256>) -> bool {
    let (n, t, tx, rc_root) = header(n);
    chain.view(
        rc,
        IRootChain::verifyBlockCall {
            headerBlockId: U256::from(id),
            number: U256::from(n),
            timestamp: U256::from(t),
            transactionsRoot: tx,
            receiptsRoot: rc_root,
            proof,
        },
    )
}

#[test]
fn a_checkpoint_signed_by_more_than_two_thirds_is_accepted_and_the_next_follows() {
    let v = four();
    let set_root = account_root(&set_of(&v, POWER));
    let (mut chain, rc, deployed) = deploy(&genesis(&[]), false, &v, POWER);

    // The genesis set.
    assert_eq!(
        deployed.event::<IRootChain::ValidatorSetUpdated>(rc),
        IRootChain::ValidatorSetUpdated {
            headerBlockId: U256::ZERO,
            accountRoot: set_root,
            totalPower: U256::from(40),
        }
    );
    assert_eq!(
        chain.view(rc, IRootChain::validatorSetRootCall {}),
        set_root
    );
    assert_eq!(
        chain.view(rc, IRootChain::totalPowerCall {}),
        U256::from(40)
    );
    assert_eq!(
        chain.view(rc, IRootChain::validatorCountCall {}),
        U256::from(4)
    );
    for k in &v {
        assert_eq!(
            chain.view(
                rc,
                IRootChain::powerOfCall {
                    signer: k.address()
                }
            ),
            U256::from(POWER)
        );
    }
    assert_eq!(
        chain.view(
            rc,
            IRootChain::powerOfCall {
                signer: key(15).address()
            }
        ),
        U256::ZERO
    );
    assert_eq!(
        chain.view(rc, IRootChain::bttcChainIdCall {}),
        U256::from(BTTC)
    );
    assert_eq!(chain.view(rc, IRootChain::ownerCall {}), key(1).address());
    assert_eq!(
        chain.view(rc, IRootChain::stakeManagerCall {}),
        Address::ZERO
    );
    assert_eq!(current(&chain, rc), (U256::ZERO, U256::ZERO));

    // Checkpoint 1: blocks 0..=9, signed by 3 of 4 (30 of 40 > 2/3), sent by someone who is
    // not a validator.
    let d = checkpoint(0, 9, set_root);
    let out = chain.exec(&key(2), rc, signed(&d, &[&v[0], &v[1], &v[3]]));
    assert_eq!(out.logs.len(), 1);
    assert_eq!(out.logs[0].topics()[0], NEW_HEADER_BLOCK);
    assert_eq!(
        out.event::<IRootChain::NewHeaderBlock>(rc),
        IRootChain::NewHeaderBlock {
            proposer: key(11).address(),
            headerBlockId: U256::from(1),
            reward: U256::ZERO,
            start: U256::ZERO,
            end: U256::from(9),
            root: d.root,
        }
    );
    let accepted_at = chain.engine.head().unwrap().timestamp;
    let h = header_block(&chain, rc, 1);
    assert_eq!(
        (
            h.root,
            h.start,
            h.end,
            h.accountRoot,
            h.proposer,
            h.timestamp
        ),
        (
            d.root,
            U256::ZERO,
            U256::from(9),
            set_root,
            key(11).address(),
            U256::from(accepted_at)
        )
    );
    assert_eq!(current(&chain, rc), (U256::from(1), U256::from(10)));

    // Every block of the checkpoint is proven against its root; nothing else is.
    let l = leaves(0, 9);
    for n in 0..=9u64 {
        let proof = merkle_proof(&l, n as usize).unwrap();
        assert_eq!(proof.len(), 4);
        assert!(verify_block(&chain, rc, 1, n, proof.clone()), "block {n}");
        // Another block's fields with this proof, a wrong checkpoint, a short proof: no.
        assert!(!verify_block(&chain, rc, 1, (n + 1) % 10, proof.clone()));
        assert!(!verify_block(&chain, rc, 2, n, proof.clone()));
        assert!(!verify_block(&chain, rc, 0, n, proof.clone()));
        assert!(!verify_block(&chain, rc, 1, n, proof[..3].to_vec()));
    }
    // A padding leaf (index 10..15) is outside the range: refused even with a valid path.
    let mut padded = l.clone();
    padded.resize(16, B256::ZERO);
    let proof = merkle_proof(&padded, 10).unwrap();
    assert!(!verify_block(&chain, rc, 1, 10, proof));

    // Checkpoint 2 starts at 10: one block, signed by all four, its own root.
    let d2 = checkpoint(10, 10, set_root);
    assert_eq!(d2.root, leaves(10, 10)[0]);
    let out = chain.exec(&key(2), rc, signed(&d2, &[&v[0], &v[1], &v[2], &v[3]]));
    let e = out.event::<IRootChain::NewHeaderBlock>(rc);
    assert_eq!(
        (e.headerBlockId, e.start, e.end, e.root),
        (U256::from(2), U256::from(10), U256::from(10), d2.root)
    );
    assert_eq!(current(&chain, rc), (U256::from(2), U256::from(11)));
    assert!(verify_block(&chain, rc, 2, 10, vec![]));
    assert!(!verify_block(&chain, rc, 2, 9, vec![]));

    // The same checkpoint again is a gap (start 10 != 11), not a second header block.
    let again = chain.exec_fails(&key(2), rc, signed(&d2, &[&v[0], &v[1], &v[2]]));
    assert_eq!(
        error::<IRootChain::StartNotNext>(&again),
        IRootChain::StartNotNext {
            expected: U256::from(11),
            found: U256::from(10),
        }
    );
}

#[test]
fn the_root_chain_refuses_bad_checkpoints() {
    let v = four();
    let set_root = account_root(&set_of(&v, POWER));
    let (mut chain, rc) = rig(&v);
    let from = key(2);
    let d = checkpoint(0, 9, set_root);
    let hash = d.sign_hash();
    let required = U256::from(27); // 2 * 40 / 3 + 1
    let not_enough = |signed: u64| IRootChain::NotEnoughPower {
        signedPower: U256::from(signed),
        totalPower: U256::from(40),
        requiredPower: required,
    };

    // 2 of 4 signatures: 20 of 40 is not more than 2/3.
    let r = chain.exec_fails(&from, rc, signed(&d, &[&v[0], &v[2]]));
    assert_eq!(error::<IRootChain::NotEnoughPower>(&r), not_enough(20));
    // No signature at all.
    let r = chain.exec_fails(&from, rc, submit(d.encode(), vec![]));
    assert_eq!(error::<IRootChain::NotEnoughPower>(&r), not_enough(0));

    // A duplicated signature (which would make 3 of 4 out of 2 signers).
    let two = sigs(&[&v[0], &v[1]], hash);
    let dup = vec![two[0], two[0], two[1]];
    let r = chain.exec_fails(&from, rc, submit(d.encode(), dup));
    assert_eq!(
        error::<IRootChain::DuplicateSigner>(&r),
        IRootChain::DuplicateSigner {
            index: U256::from(1),
            signer: v[0].address(),
        }
    );
    // The same signer twice, not adjacent: caught as out of order.
    let three = sigs(&[&v[0], &v[1], &v[2]], hash);
    let r = chain.exec_fails(
        &from,
        rc,
        submit(d.encode(), vec![three[0], three[1], three[0]]),
    );
    assert_eq!(
        error::<IRootChain::SignersNotAscending>(&r),
        IRootChain::SignersNotAscending {
            index: U256::from(2),
            previous: v[1].address(),
            signer: v[0].address(),
        }
    );

    // Unsorted signatures.
    let unsorted = vec![three[1], three[0], three[2]];
    let r = chain.exec_fails(&from, rc, submit(d.encode(), unsorted));
    assert_eq!(
        error::<IRootChain::SignersNotAscending>(&r),
        IRootChain::SignersNotAscending {
            index: U256::from(1),
            previous: v[1].address(),
            signer: v[0].address(),
        }
    );

    // Signatures over other data (another root): each recovers some unknown address, which
    // counts 0; sorted as the contract wants them, they carry no power.
    let mut other = d;
    other.root = keccak256("another root");
    let forged: Vec<[u8; 65]> = v[..3]
        .iter()
        .map(|k| k.sign_hash_sync(&other.sign_hash()).unwrap().as_bytes())
        .collect();
    let as_submitted: Vec<[U256; 3]> = submission_sigs(hash, &forged)
        .unwrap()
        .into_iter()
        .map(|(signer, s)| {
            assert!(!signers(&v).contains(&signer));
            s
        })
        .collect();
    let r = chain.exec_fails(&from, rc, submit(d.encode(), as_submitted));
    assert_eq!(error::<IRootChain::NotEnoughPower>(&r), not_enough(0));
    // Two good signatures and one over other data: 20 of 40.
    let mut raw: Vec<[u8; 65]> = v[..2]
        .iter()
        .map(|k| k.sign_hash_sync(&hash).unwrap().as_bytes())
        .collect();
    raw.push(forged[2]);
    let mixed = submission_sigs(hash, &raw)
        .unwrap()
        .into_iter()
        .map(|(_, s)| s)
        .collect();
    let r = chain.exec_fails(&from, rc, submit(d.encode(), mixed));
    assert_eq!(error::<IRootChain::NotEnoughPower>(&r), not_enough(20));

    // A gap in ranges: the first checkpoint must start at 0.
    let gap = checkpoint(1, 9, set_root);
    let r = chain.exec_fails(&from, rc, signed(&gap, &[&v[0], &v[1], &v[2]]));
    assert_eq!(
        error::<IRootChain::StartNotNext>(&r),
        IRootChain::StartNotNext {
            expected: U256::ZERO,
            found: U256::from(1),
        }
    );
    // Another BTTC chain id.
    let mut wrong_chain = d;
    wrong_chain.bttc_chain_id = BTTC + 1;
    let r = chain.exec_fails(&from, rc, signed(&wrong_chain, &[&v[0], &v[1], &v[2]]));
    assert_eq!(
        error::<IRootChain::WrongBttcChainId>(&r),
        IRootChain::WrongBttcChainId {
            expected: U256::from(BTTC),
            found: U256::from(BTTC + 1),
        }
    );

    // A high-s signature: the malleable twin of a valid one (same signer) is refused.
    let mut high = three.clone();
    let order = SECP256K1N_HALF * U256::from(2) + U256::from(1);
    high[1][1] = order - high[1][1];
    high[1][2] = if high[1][2] == U256::from(27) {
        U256::from(28)
    } else {
        U256::from(27)
    };
    let r = chain.exec_fails(&from, rc, submit(d.encode(), high.clone()));
    assert_eq!(
        error::<IRootChain::HighS>(&r),
        IRootChain::HighS {
            index: U256::from(1),
            s: high[1][1],
        }
    );
    // v other than 27 or 28 (0/1 parity, EIP-155 style, garbage).
    for bad in [0u64, 1, 29, 37, 1 << 40] {
        let mut bad_v = three.clone();
        bad_v[2][2] = U256::from(bad);
        let r = chain.exec_fails(&from, rc, submit(d.encode(), bad_v));
        assert_eq!(
            error::<IRootChain::BadSignatureV>(&r),
            IRootChain::BadSignatureV {
                index: U256::from(2),
                v: U256::from(bad),
            }
        );
    }
    // A signature that recovers nothing (r = 0).
    let mut zero_r = three.clone();
    zero_r[0][0] = U256::ZERO;
    let r = chain.exec_fails(&from, rc, submit(d.encode(), zero_r));
    assert_eq!(
        error::<IRootChain::BadSignature>(&r),
        IRootChain::BadSignature { index: U256::ZERO }
    );

    // Data that is not six words, and a proposer word with dirty high bits.
    let enc = d.encode();
    for bad in [enc[..160].to_vec(), [enc.to_vec(), vec![0; 32]].concat()] {
        let len = bad.len();
        let r = chain.exec_fails(
            &from,
            rc,
            submit(bad.into(), sigs(&[&v[0], &v[1], &v[2]], hash)),
        );
        assert_eq!(
            error::<IRootChain::BadDataLength>(&r),
            IRootChain::BadDataLength {
                expected: U256::from(192),
                found: U256::from(len),
            }
        );
    }
    let mut dirty = enc.to_vec();
    dirty[0] = 1;
    let dirty_hash = sign_hash(&dirty);
    let r = chain.exec_fails(
        &from,
        rc,
        submit(
            dirty.clone().into(),
            sigs(&[&v[0], &v[1], &v[2]], dirty_hash),
        ),
    );
    assert_eq!(
        error::<IRootChain::BadProposer>(&r),
        IRootChain::BadProposer {
            word: B256::from_slice(&dirty[..32]),
        }
    );

    // Nothing was accepted.
    assert_eq!(current(&chain, rc), (U256::ZERO, U256::ZERO));

    // A signer the contract does not know counts 0 and is not an error: 3 known + 1 unknown
    // is accepted, 2 known + 1 unknown is not.
    let stranger = key(16);
    let r = chain.exec_fails(&from, rc, signed(&d, &[&v[0], &v[1], &stranger]));
    assert_eq!(error::<IRootChain::NotEnoughPower>(&r), not_enough(20));
    chain.exec(&from, rc, signed(&d, &[&v[0], &v[1], &v[2], &stranger]));
    assert_eq!(current(&chain, rc), (U256::from(1), U256::from(10)));

    // After it: gaps either way, an end before the start, an end past u64.
    for start in [9u64, 11, 0] {
        let c = checkpoint(start, start + 5, set_root);
        let r = chain.exec_fails(&from, rc, signed(&c, &[&v[0], &v[1], &v[2]]));
        assert_eq!(
            error::<IRootChain::StartNotNext>(&r),
            IRootChain::StartNotNext {
                expected: U256::from(10),
                found: U256::from(start),
            }
        );
    }
    let by_hand = |start: U256, end: U256| -> Bytes {
        (
            key(11).address(),
            start,
            end,
            B256::repeat_byte(7),
            set_root,
            U256::from(BTTC),
        )
            .abi_encode_params()
            .into()
    };
    for (end, check) in [
        (U256::from(9), "before"),
        (U256::from(u64::MAX) + U256::from(1), "past"),
    ] {
        let data = by_hand(U256::from(10), end);
        let s = sigs(&[&v[0], &v[1], &v[2]], sign_hash(&data));
        let r = chain.exec_fails(&from, rc, submit(data, s));
        if check == "before" {
            assert_eq!(
                error::<IRootChain::EndBeforeStart>(&r),
                IRootChain::EndBeforeStart {
                    start: U256::from(10),
                    end,
                }
            );
        } else {
            assert_eq!(
                error::<IRootChain::EndTooLarge>(&r),
                IRootChain::EndTooLarge {
                    end,
                    max: U256::from(u64::MAX),
                }
            );
        }
    }
    // The largest end is fine.
    let data = by_hand(U256::from(10), U256::from(u64::MAX));
    let s = sigs(&[&v[0], &v[1], &v[2]], sign_hash(&data));
    chain.exec(&from, rc, submit(data, s));
    assert_eq!(
        current(&chain, rc),
        (U256::from(2), U256::from(u64::MAX) + U256::from(1))
    );
}

#[test]
fn a_new_validator_set_is_learnt_from_an_accepted_checkpoint() {
    let v = four();
    let (mut chain, rc) = rig(&v);
    let from = key(2);
    let old_root = account_root(&set_of(&v, POWER));

    // Before any checkpoint there is no set to learn.
    let r = chain.exec_fails(&from, rc, update(&v, POWER));
    error::<IRootChain::NoCheckpoint>(&r);

    // The new set: validator 15 joins, the highest-address old validator leaves.
    let removed = v[3].clone();
    let new_set = sorted(vec![v[0].clone(), v[1].clone(), v[2].clone(), key(15)]);
    let new_root = account_root(&set_of(&new_set, POWER));
    assert_ne!(new_root, old_root);

    // Checkpoint 1, signed by the old set, commits to the new set.
    let d1 = checkpoint(0, 3, new_root);
    chain.exec(&from, rc, signed(&d1, &[&v[0], &v[1], &v[3]]));
    // Until someone installs it, the old set still decides: the new set's members without
    // the old set's majority are not enough.
    let d2 = checkpoint(4, 7, new_root);
    let r = chain.exec_fails(&from, rc, signed(&d2, &[&v[0], &v[1], &key(15)]));
    assert_eq!(
        error::<IRootChain::NotEnoughPower>(&r).signedPower,
        U256::from(20)
    );

    // Wrong lists are refused: the old set, another power, the new set plus one, unsorted,
    // a zero power, mismatched lengths, an empty list.
    let r = chain.exec_fails(&from, rc, update(&v, POWER));
    assert_eq!(
        error::<IRootChain::AccountRootMismatch>(&r),
        IRootChain::AccountRootMismatch {
            expected: new_root,
            found: old_root,
        }
    );
    let r = chain.exec_fails(&from, rc, update(&new_set, POWER + 1));
    assert_eq!(
        error::<IRootChain::AccountRootMismatch>(&r).found,
        account_root(&set_of(&new_set, POWER + 1))
    );
    let plus_one = sorted([new_set.clone(), vec![removed.clone()]].concat());
    let r = chain.exec_fails(&from, rc, update(&plus_one, POWER));
    assert_eq!(
        error::<IRootChain::AccountRootMismatch>(&r).expected,
        new_root
    );
    let mut unsorted = update(&new_set, POWER);
    unsorted.signers.swap(1, 2);
    let r = chain.exec_fails(&from, rc, unsorted.clone());
    assert_eq!(
        error::<IRootChain::ValidatorsNotAscending>(&r),
        IRootChain::ValidatorsNotAscending {
            index: U256::from(2),
            previous: unsorted.signers[1],
            signer: unsorted.signers[2],
        }
    );
    let mut dup = update(&new_set, POWER);
    dup.signers[1] = dup.signers[0];
    let r = chain.exec_fails(&from, rc, dup);
    assert_eq!(
        error::<IRootChain::ValidatorsNotAscending>(&r).index,
        U256::from(1)
    );
    let mut zero = update(&new_set, POWER);
    zero.powers[3] = U256::ZERO;
    let r = chain.exec_fails(&from, rc, zero);
    assert_eq!(
        error::<IRootChain::ZeroPower>(&r),
        IRootChain::ZeroPower {
            index: U256::from(3),
            signer: new_set[3].address(),
        }
    );
    let mut short = update(&new_set, POWER);
    short.powers.pop();
    let r = chain.exec_fails(&from, rc, short);
    assert_eq!(
        error::<IRootChain::LengthMismatch>(&r),
        IRootChain::LengthMismatch {
            signers: U256::from(4),
            powers: U256::from(3),
        }
    );
    let r = chain.exec_fails(
        &from,
        rc,
        IRootChain::updateValidatorsCall {
            signers: vec![],
            powers: vec![],
        },
    );
    assert_eq!(
        error::<IRootChain::BadValidatorCount>(&r),
        IRootChain::BadValidatorCount {
            count: U256::ZERO,
            max: U256::from(256),
        }
    );
    let mut huge = update(&new_set, POWER);
    huge.powers[0] = U256::from(u128::MAX);
    let r = chain.exec_fails(&from, rc, huge);
    assert_eq!(
        error::<IRootChain::TotalPowerTooLarge>(&r).max,
        U256::from(u128::MAX)
    );

    // The right list, from anyone.
    let out = chain.exec(&key(1), rc, update(&new_set, POWER));
    assert_eq!(
        out.event::<IRootChain::ValidatorSetUpdated>(rc),
        IRootChain::ValidatorSetUpdated {
            headerBlockId: U256::from(1),
            accountRoot: new_root,
            totalPower: U256::from(40),
        }
    );
    assert_eq!(
        chain.view(rc, IRootChain::validatorSetRootCall {}),
        new_root
    );
    assert_eq!(
        chain.view(
            rc,
            IRootChain::powerOfCall {
                signer: removed.address()
            }
        ),
        U256::ZERO
    );
    assert_eq!(
        chain.view(
            rc,
            IRootChain::powerOfCall {
                signer: key(15).address()
            }
        ),
        U256::from(POWER)
    );
    // Installing it twice is refused.
    let r = chain.exec_fails(&from, rc, update(&new_set, POWER));
    assert_eq!(
        error::<IRootChain::ValidatorSetUnchanged>(&r),
        IRootChain::ValidatorSetUnchanged {
            accountRoot: new_root
        }
    );

    // Now a checkpoint that needs the removed validator fails, and the new set's passes.
    let r = chain.exec_fails(&from, rc, signed(&d2, &[&v[0], &v[1], &removed]));
    assert_eq!(
        error::<IRootChain::NotEnoughPower>(&r).signedPower,
        U256::from(20)
    );
    chain.exec(&from, rc, signed(&d2, &[&v[0], &v[1], &key(15)]));
    assert_eq!(current(&chain, rc), (U256::from(2), U256::from(8)));
    // Checkpoint 2 commits to the set in force: nothing to install.
    let r = chain.exec_fails(&from, rc, update(&new_set, POWER));
    assert_eq!(
        error::<IRootChain::ValidatorSetUnchanged>(&r).accountRoot,
        new_root
    );

    // A set with unequal powers, learnt the same way: 15 now holds 40 of 70, so it and one
    // other (50 of 70) suffice and the three others (30) do not.
    let weighted: Vec<(Address, U256)> = new_set
        .iter()
        .map(|k| {
            let p = if k.address() == key(15).address() {
                40
            } else {
                10
            };
            (k.address(), U256::from(p))
        })
        .collect();
    let weighted_root = account_root(&weighted);
    let d3 = checkpoint(8, 8, weighted_root);
    chain.exec(&from, rc, signed(&d3, &[&v[0], &v[1], &key(15)]));
    let out = chain.exec(
        &from,
        rc,
        IRootChain::updateValidatorsCall {
            signers: weighted.iter().map(|(a, _)| *a).collect(),
            powers: weighted.iter().map(|(_, p)| *p).collect(),
        },
    );
    assert_eq!(
        out.event::<IRootChain::ValidatorSetUpdated>(rc).totalPower,
        U256::from(70)
    );
    let d4 = checkpoint(9, 9, weighted_root);
    let r = chain.exec_fails(&from, rc, signed(&d4, &[&v[0], &v[1], &v[2]]));
    assert_eq!(
        error::<IRootChain::NotEnoughPower>(&r),
        IRootChain::NotEnoughPower {
            signedPower: U256::from(30),
            totalPower: U256::from(70),
            requiredPower: U256::from(47),
        }
    );
    chain.exec(&from, rc, signed(&d4, &[&v[2], &key(15)]));
}

#[test]
fn the_stake_manager_epoch_follows_accepted_checkpoints() {
    let v = four();
    let set_root = account_root(&set_of(&v, POWER));
    let (mut chain, rc) = rig(&v);
    let owner = key(1);
    let token = chain.deploy(
        &owner,
        test_token_init_code("BitTorrent", "BTT", tokens(1000)).unwrap(),
    );
    let sm = chain.deploy(
        &owner,
        stake_manager_init_code(token, U256::from(1), U256::from(1)).unwrap(),
    );
    // Only the owner, not the zero address, and only once the StakeManager names this
    // contract its checkpoint manager.
    let r = chain.exec_fails(
        &key(2),
        rc,
        IRootChain::setStakeManagerCall { stakeManager: sm },
    );
    assert_eq!(
        error::<IRootChain::NotOwner>(&r),
        IRootChain::NotOwner {
            caller: key(2).address(),
            owner: owner.address(),
        }
    );
    let r = chain.exec_fails(
        &owner,
        rc,
        IRootChain::setStakeManagerCall {
            stakeManager: Address::ZERO,
        },
    );
    error::<IRootChain::ZeroAddress>(&r);
    let r = chain.exec_fails(
        &owner,
        rc,
        IRootChain::setStakeManagerCall { stakeManager: sm },
    );
    assert_eq!(
        error::<IRootChain::StakeManagerNotWired>(&r),
        IRootChain::StakeManagerNotWired {
            stakeManager: sm,
            checkpointManager: Address::ZERO,
        }
    );
    // Without the hook, checkpoints leave the epoch alone.
    chain.exec(
        &key(2),
        rc,
        signed(&checkpoint(0, 4, set_root), &[&v[0], &v[1], &v[2]]),
    );
    assert_eq!(
        chain.view(sm, IStakeManager::currentEpochCall {}),
        U256::from(1)
    );

    chain.exec(
        &owner,
        sm,
        IStakeManager::setCheckpointManagerCall { manager: rc },
    );
    let out = chain.exec(
        &owner,
        rc,
        IRootChain::setStakeManagerCall { stakeManager: sm },
    );
    assert_eq!(
        out.event::<IRootChain::StakeManagerSet>(rc).stakeManager,
        sm
    );
    assert_eq!(chain.view(rc, IRootChain::stakeManagerCall {}), sm);
    let r = chain.exec_fails(
        &owner,
        rc,
        IRootChain::setStakeManagerCall { stakeManager: sm },
    );
    assert_eq!(error::<IRootChain::StakeManagerAlreadySet>(&r).current, sm);

    // Checkpoint 2 sets epoch 3, checkpoint 3 epoch 4: epoch = accepted checkpoints + 1.
    for (n, start) in [(2u64, 5u64), (3, 6)] {
        let out = chain.exec(
            &key(2),
            rc,
            signed(&checkpoint(start, start, set_root), &[&v[0], &v[1], &v[2]]),
        );
        assert_eq!(
            out.event::<IRootChain::NewHeaderBlock>(rc).headerBlockId,
            U256::from(n)
        );
        assert_eq!(
            out.event::<IStakeManager::CurrentEpochSet>(sm).epoch,
            U256::from(n + 1)
        );
        assert_eq!(
            chain.view(sm, IStakeManager::currentEpochCall {}),
            U256::from(n + 1)
        );
    }
    // A failed checkpoint leaves it alone.
    chain.exec_fails(
        &key(2),
        rc,
        signed(&checkpoint(7, 7, set_root), &[&v[0], &v[1]]),
    );
    assert_eq!(
        chain.view(sm, IStakeManager::currentEpochCall {}),
        U256::from(4)
    );
    // The owner moved the epoch ahead: checkpoints do not lower it (and are still accepted).
    chain.exec(
        &owner,
        sm,
        IStakeManager::setCurrentEpochCall {
            epoch: U256::from(10),
        },
    );
    let out = chain.exec(
        &key(2),
        rc,
        signed(&checkpoint(7, 7, set_root), &[&v[0], &v[1], &v[2]]),
    );
    assert!(out.events::<IStakeManager::CurrentEpochSet>(sm).is_empty());
    assert_eq!(
        chain.view(sm, IStakeManager::currentEpochCall {}),
        U256::from(10)
    );
    // If the StakeManager takes the role away, checkpoints fail loudly rather than letting
    // the epoch drift from the accepted checkpoints.
    chain.exec(
        &owner,
        sm,
        IStakeManager::setCheckpointManagerCall {
            manager: Address::ZERO,
        },
    );
    // Checkpoints 5 to 9 would set epochs 6 to 10: not above 10, so no call.
    for n in 0..5u64 {
        chain.exec(
            &key(2),
            rc,
            signed(&checkpoint(8 + n, 8 + n, set_root), &[&v[0], &v[1], &v[2]]),
        );
    }
    // Checkpoint 10 would raise the epoch to 11: the StakeManager refuses the caller.
    let r = chain.exec_fails(
        &key(2),
        rc,
        signed(&checkpoint(13, 13, set_root), &[&v[0], &v[1], &v[2]]),
    );
    assert_eq!(error::<IStakeManager::NotEpochSetter>(&r).caller, rc);
}

#[test]
fn a_set_of_105_validators_fits_well_within_a_block() {
    let v = four();
    let (mut chain, rc) = rig(&v);
    let from = key(2);
    let big = sorted((100..205u8).map(key).collect());
    assert_eq!(big.len(), 105);
    let big_root = account_root(&set_of(&big, POWER));

    chain.exec(
        &from,
        rc,
        signed(&checkpoint(0, 255, big_root), &[&v[0], &v[1], &v[2]]),
    );
    let check = chain.exec(&from, rc, update(&big, POWER));
    assert_eq!(
        check
            .event::<IRootChain::ValidatorSetUpdated>(rc)
            .totalPower,
        U256::from(1050)
    );
    let update_gas = last_gas(&chain);

    // 71 of 105 is more than 2/3 (213 > 210); 70 is not.
    let d = checkpoint(256, 511, big_root);
    let refs: Vec<&PrivateKeySigner> = big.iter().collect();
    let r = chain.exec_fails(&from, rc, signed(&d, &refs[..70]));
    assert_eq!(
        error::<IRootChain::NotEnoughPower>(&r),
        IRootChain::NotEnoughPower {
            signedPower: U256::from(700),
            totalPower: U256::from(1050),
            requiredPower: U256::from(701),
        }
    );
    chain.exec(&from, rc, signed(&d, &refs[..71]));
    let submit_71_gas = last_gas(&chain);
    let d = checkpoint(512, 1535, big_root);
    chain.exec(&from, rc, signed(&d, &refs));
    let submit_105_gas = last_gas(&chain);

    // Deploying with the 105 validators as the genesis set.
    let (chain2, _, _) = deploy(&genesis(&[]), false, &big, POWER);
    let deploy_gas = last_gas(&chain2);

    println!(
        "RootChain gas, 105 validators: updateValidators {update_gas}, submitCheckpoint with \
         71 signatures {submit_71_gas}, with 105 signatures {submit_105_gas}, deployment \
         {deploy_gas}"
    );
    assert!(update_gas < 5_000_000, "updateValidators used {update_gas}");
    assert!(
        submit_71_gas < 1_500_000,
        "submitCheckpoint used {submit_71_gas}"
    );
    assert!(
        submit_105_gas < 2_000_000,
        "submitCheckpoint used {submit_105_gas}"
    );
    assert!(deploy_gas < 6_000_000, "deployment used {deploy_gas}");
}

#[test]
fn the_largest_set_fits_and_a_larger_one_is_refused() {
    let v = four();
    let (mut chain, rc) = rig(&v);
    let from = key(2);
    let nth = |i: u32| PrivateKeySigner::from_bytes(&keccak256(format!("validator {i}"))).unwrap();
    let mut keys: Vec<PrivateKeySigner> = (0..256).map(nth).collect();
    let max = sorted(keys.clone());
    let max_root = account_root(&set_of(&max, 1));
    chain.exec(
        &from,
        rc,
        signed(&checkpoint(0, 0, max_root), &[&v[0], &v[1], &v[2]]),
    );
    chain.exec(&from, rc, update(&max, 1));
    let gas = last_gas(&chain);
    println!("RootChain gas: updateValidators with 256 validators {gas}");
    assert!(gas < 7_000_000, "updateValidators used {gas}");
    assert_eq!(
        chain.view(rc, IRootChain::validatorCountCall {}),
        U256::from(256)
    );

    keys.push(nth(256));
    let over = sorted(keys);
    let r = chain.exec_fails(&from, rc, update(&over, 1));
    assert_eq!(
        error::<IRootChain::BadValidatorCount>(&r),
        IRootChain::BadValidatorCount {
            count: U256::from(257),
            max: U256::from(256),
        }
    );
}

#[test]
fn the_root_chain_runs_on_the_berlin_profile() {
    // Root chains such as TRON lack the newest opcodes: RootChain is compiled for berlin and
    // must work on an engine with berlin rules (legacy transactions, no PUSH0).
    let v = four();
    let set_root = account_root(&set_of(&v, POWER));
    let (mut chain, rc, _) = deploy(&common::berlin(genesis(&[])), true, &v, POWER);
    let new_set = sorted(vec![v[0].clone(), v[1].clone(), v[2].clone(), key(15)]);
    let new_root = account_root(&set_of(&new_set, POWER));
    chain.exec(
        &key(2),
        rc,
        signed(&checkpoint(0, 2, new_root), &[&v[0], &v[1], &v[2]]),
    );
    chain.exec(&key(2), rc, update(&new_set, POWER));
    let out = chain.exec(
        &key(2),
        rc,
        signed(&checkpoint(3, 5, new_root), &[&v[0], &v[1], &key(15)]),
    );
    assert_eq!(
        out.event::<IRootChain::NewHeaderBlock>(rc).headerBlockId,
        U256::from(2)
    );
    let l = leaves(3, 5);
    assert!(verify_block(&chain, rc, 2, 4, merkle_proof(&l, 1).unwrap()));
    assert_ne!(set_root, new_root);
}
