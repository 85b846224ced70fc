//! The checkpoint submitter against the real RootChain contract (its compiled artifact)
//! deployed on an in-process engine behind bttc-engine's JSON-RPC: a checkpoint signed by > 2/3
//! is accepted and its `NewHeaderBlock` decodes; submitting it again sends nothing; a wrong
//! checkpoint is refused before it is sent, with the contract's error decoded; a validator-set
//! change committed in checkpoint k is brought to the contract (`updateValidators`) before
//! checkpoint k + 1, which only the new set signed.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::panic,
    missing_docs
)]

mod common;

use std::sync::Arc;
use std::time::Duration;

use alloy_primitives::{Address, B256, U256};
use bttc_engine_contracts::checkpoint::{account_root, root_chain_init_code, sign_data, sign_hash};
use common::Chain;
use delivery_bridge::{
    RootChainContract, RootChainSender, RootLog, SendConfig, SendError, SetUpdate, Submission,
    SubmitError, SubmitOutcome,
};
use delivery_module::SecretKey;

const BTTC_CHAIN_ID: u64 = 4242;

fn validator(n: u8) -> SecretKey {
    SecretKey::from_bytes(&[0x30 + n; 32]).unwrap()
}

/// `(signer, power)` of validators `ids`, sorted by signer.
fn set(ids: &[u8], power: u64) -> Vec<([u8; 20], u64)> {
    let mut v: Vec<([u8; 20], u64)> = ids
        .iter()
        .map(|i| (validator(*i).address().0, power))
        .collect();
    v.sort();
    v
}

fn root_of(accounts: &[([u8; 20], u64)]) -> B256 {
    let words: Vec<(Address, U256)> = accounts
        .iter()
        .map(|(s, p)| (Address::from(*s), U256::from(*p)))
        .collect();
    account_root(&words)
}

struct Checkpoint {
    number: u64,
    data: Vec<u8>,
}

fn checkpoint(number: u64, start: u64, end: u64, accounts: &[([u8; 20], u64)]) -> Checkpoint {
    Checkpoint {
        number,
        data: sign_data(
            Address::from(validator(1).address().0),
            start,
            end,
            B256::repeat_byte(number as u8),
            root_of(accounts),
            BTTC_CHAIN_ID,
        )
        .to_vec(),
    }
}

/// Signatures by validators `ids`, in the order given (the submitter sorts them).
fn signed(c: &Checkpoint, ids: &[u8]) -> Vec<[u8; 65]> {
    let hash = sign_hash(&c.data);
    ids.iter()
        .map(|i| {
            let mut s = validator(*i).sign_recoverable(&hash.0);
            s[64] += 27;
            s
        })
        .collect()
}

fn submission(c: &Checkpoint, ids: &[u8], previous: Option<Vec<([u8; 20], u64)>>) -> Submission {
    Submission {
        number: c.number,
        sign_data: c.data.clone(),
        signatures: signed(c, ids),
        previous_accounts: previous,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn checkpoints_are_submitted_once_refusals_are_decoded_and_sets_follow() {
    let chain = Arc::new(Chain::start().await);
    let genesis_set = set(&[1, 2, 3, 4], 1);
    let signers: Vec<Address> = genesis_set.iter().map(|(s, _)| Address::from(*s)).collect();
    let init = root_chain_init_code(BTTC_CHAIN_ID, &signers, &[U256::from(1); 4]).unwrap();
    let (address, _) = chain.deploy(init.to_vec()).await;
    // The chain mines on its own from here (the sender waits for receipts).
    let miner = {
        let chain = Arc::clone(&chain);
        tokio::spawn(async move {
            loop {
                chain.mine().await;
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        })
    };
    // The submitter's key: key 2 of the testkit genesis (funded), as a Delivery key.
    let key = SecretKey::from_bytes(&[2; 32]).unwrap();
    let config = SendConfig {
        receipt_timeout: Duration::from_secs(20),
        receipt_poll: Duration::from_millis(50),
        ..SendConfig::default()
    };
    let sender = RootChainSender::new(chain.client(), key, bttc_engine_testkit::CHAIN_ID, config);
    let contract = RootChainContract::new(sender, address.0 .0);
    assert_eq!(contract.current_header_block().await.unwrap(), 0);
    assert_eq!(
        B256::from(contract.validator_set_root().await.unwrap()),
        root_of(&genesis_set)
    );

    // Checkpoint 1, signed by 3 of 4 (out of order): accepted, and its log is the event the
    // bridge relays.
    let one = checkpoint(1, 0, 15, &genesis_set);
    let out = contract
        .submit(&submission(&one, &[3, 1, 2], None))
        .await
        .unwrap();
    let SubmitOutcome::Submitted { mined, set_update } = out else {
        panic!("{out:?}")
    };
    assert_eq!(set_update, SetUpdate::NotNeeded);
    let log = mined
        .logs
        .iter()
        .find(|l| l.address == address.0 .0)
        .expect("a RootChain log");
    assert_eq!(
        delivery_bridge::decode(log).unwrap(),
        RootLog::NewHeaderBlock {
            proposer: validator(1).address().0,
            header_block_id: 1,
            reward: U256::ZERO,
            start: 0,
            end: 15,
            root: [1; 32],
        }
    );
    assert_eq!(contract.current_header_block().await.unwrap(), 1);
    let header = contract.header_block(1).await.unwrap();
    assert_eq!((header.start, header.end), (0, 15));
    assert_eq!(B256::from(header.account_root), root_of(&genesis_set));

    // Submitting it again sends nothing.
    let again = contract
        .submit(&submission(&one, &[1, 2, 3], None))
        .await
        .unwrap();
    assert_eq!(again, SubmitOutcome::AlreadyAccepted { current: 1 });

    // A checkpoint that does not start where the last ended: refused at the estimate, with
    // the contract's error named, and nothing accepted.
    let wrong = checkpoint(2, 0, 31, &genesis_set);
    let err = contract
        .submit(&submission(&wrong, &[1, 2, 3], None))
        .await
        .unwrap_err();
    match &err {
        SubmitError::Send(SendError::WouldRevert { reason, .. }) => assert!(
            reason.contains("StartNotNext") && reason.contains("expects 16"),
            "{reason}"
        ),
        other => panic!("{other:?}"),
    }
    // Only 2 of 4 signed: NotEnoughPower.
    let two = checkpoint(2, 16, 31, &genesis_set);
    let err = contract
        .submit(&submission(&two, &[1, 2], None))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("NotEnoughPower"), "{err}");
    // A number that skips one.
    let three = checkpoint(3, 16, 31, &genesis_set);
    assert_eq!(
        contract
            .submit(&submission(&three, &[1, 2, 3], None))
            .await
            .unwrap_err(),
        SubmitError::Gap {
            current: 1,
            number: 3
        }
    );

    // The set changes on Delivery: validator 4 leaves, 5 joins. Checkpoint 2 commits to the
    // new set and is signed by the old one (which the contract knows).
    let new_set = set(&[1, 2, 3, 5], 1);
    let two = checkpoint(2, 16, 31, &new_set);
    let out = contract
        .submit(&submission(&two, &[1, 2, 4], Some(genesis_set.clone())))
        .await
        .unwrap();
    assert!(
        matches!(
            out,
            SubmitOutcome::Submitted {
                set_update: SetUpdate::NotNeeded,
                ..
            }
        ),
        "{out:?}"
    );
    assert_eq!(
        B256::from(contract.validator_set_root().await.unwrap()),
        root_of(&genesis_set),
        "the contract still holds the old set"
    );

    // Checkpoint 3 is signed by 2, 3 and 5. Without the new list the contract cannot learn
    // the set: it is tried anyway and refused (5 counts 0 there: 2 of 4).
    let three = checkpoint(3, 32, 47, &new_set);
    let err = contract
        .submit(&submission(&three, &[5, 2, 3], None))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("NotEnoughPower"), "{err}");
    // A list whose root is not checkpoint 2's account root is not sent.
    let err = contract
        .submit(&submission(&three, &[5, 2, 3], Some(set(&[1, 2, 3, 5], 2))))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("NotEnoughPower"), "{err}");
    // With Delivery's list of checkpoint 2: updateValidators first, then the submission.
    let out = contract
        .submit(&submission(&three, &[5, 2, 3], Some(new_set.clone())))
        .await
        .unwrap();
    let SubmitOutcome::Submitted { mined, set_update } = out else {
        panic!("{out:?}")
    };
    let SetUpdate::Updated(update) = set_update else {
        panic!("{set_update:?}")
    };
    assert!(update.block_number <= mined.block_number);
    assert_eq!(
        B256::from(contract.validator_set_root().await.unwrap()),
        root_of(&new_set)
    );
    assert_eq!(contract.current_header_block().await.unwrap(), 3);
    miner.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_submission_without_funds_or_receipt_says_so() {
    let chain = Chain::start().await;
    let genesis_set = set(&[1, 2, 3, 4], 1);
    let signers: Vec<Address> = genesis_set.iter().map(|(s, _)| Address::from(*s)).collect();
    let init = root_chain_init_code(BTTC_CHAIN_ID, &signers, &[U256::from(1); 4]).unwrap();
    let (address, _) = chain.deploy(init.to_vec()).await;
    let one = checkpoint(1, 0, 15, &genesis_set);

    // An unfunded key: refused before sending.
    let poor = SecretKey::from_bytes(&[0x77; 32]).unwrap();
    let contract = RootChainContract::new(
        RootChainSender::new(
            chain.client(),
            poor,
            bttc_engine_testkit::CHAIN_ID,
            SendConfig::default(),
        ),
        address.0 .0,
    );
    let err = contract
        .submit(&submission(&one, &[1, 2, 3], None))
        .await
        .unwrap_err();
    assert!(
        matches!(err, SubmitError::Send(SendError::Funds { .. })),
        "{err}"
    );

    // Nobody mines: the receipt does not come within the time limit.
    let key = SecretKey::from_bytes(&[2; 32]).unwrap();
    let contract = RootChainContract::new(
        RootChainSender::new(
            chain.client(),
            key,
            bttc_engine_testkit::CHAIN_ID,
            SendConfig {
                receipt_timeout: Duration::from_millis(300),
                receipt_poll: Duration::from_millis(50),
                ..SendConfig::default()
            },
        ),
        address.0 .0,
    );
    let err = contract
        .submit(&submission(&one, &[1, 2, 3], None))
        .await
        .unwrap_err();
    assert!(
        matches!(err, SubmitError::Send(SendError::NotMined { .. })),
        "{err}"
    );
    // Once it is mined, the contract has it and a new attempt sends nothing.
    chain.mine().await;
    assert_eq!(
        contract
            .submit(&submission(&one, &[1, 2, 3], None))
            .await
            .unwrap(),
        SubmitOutcome::AlreadyAccepted { current: 1 }
    );
}
