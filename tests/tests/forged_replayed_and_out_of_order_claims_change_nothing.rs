//! Four validators (conductor) with two dev root chains (`bttc dev --root-chain tron`, staking,
//! and `--root-chain eth`), every node running the bridge. False claims get NO votes and change
//! nothing, a replayed event is refused, an out-of-order nonce waits (issue 5, done-when 3):
//!
//! 1. **no such transaction**: a `MsgEventRecord` naming a random tx hash in an eth block that
//!    exists and is deep: NO from every node ("no transaction"), resolved as rejected, no record;
//! 2. **wrong emitter**: a genuine, confirmed `StateSynced` emitted by a second StateSender that
//!    a dev account deployed on eth, registered itself on and synced through; the claim names
//!    root chain eth and matches the log in every field: NO ("emitted by"), no record;
//! 3. **not yet confirmed**: a real deposit's `StateSynced`, claimed with every field right as
//!    soon as its receipt exists (1 of the 2 confirmations): NO ("1 of 2 confirmations");
//! 4. **wrong data**: the same log once confirmed, one byte of its data changed: NO ("data");
//! 5. **wrong log index**: the same claim naming another log of the deposit's receipt (the
//!    predicate's LockedERC20): NO ("emitted by");
//!    after 3-5 the real record arrives once, through the bridges, with the next id;
//! 6. **replayed event**: that record's `MsgEventRecord` sent again (identical event): refused
//!    at CheckTx (`rootchain/3`, already applied), nothing changes;
//! 7. **out-of-order nonce**: validator 2's owner restakes twice on the tron StakeManager
//!    (`StakeUpdate` nonces 2 and 3); the nonce-3 `MsgStakeUpdate` sent at once (before nonce 2
//!    is applied) is refused at CheckTx with `staking/11` (waits for its predecessor); the
//!    bridges then apply nonce 2 and nonce 3, once each and in that order, and the validator
//!    ends with the second restake's stake and nonce 3; nonce 2 sent again is refused as
//!    applied.
//!
//! Every false claim is accepted into the mempool (it is well formed and names the next id) and
//! so is really voted on; "NO" is read from each node's deliveryd.log, "resolved" from the
//! `side_tx.*` event of the block that tallied it.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::panic,
    missing_docs
)]
#![allow(clippy::disallowed_methods, clippy::disallowed_types)]

mod common;

use std::time::{Duration, Instant};

use alloy_primitives::{keccak256, Address, TxKind, U256};
use alloy_signer_local::PrivateKeySigner;
use alloy_sol_types::SolCall as _;
use bttc_engine_contracts::abi::{IStakeManager, IStateSender, IERC20};
use bttc_engine_contracts::CHILD_CHAIN_MANAGER_ADDRESS;
use common::claims::{
    addr, contract, event_record, head, hex_field, is_applied, last_root_id, latest_id, logs_of,
    next_nonce, no_vote_reasons, record_by_root, root_chain, root_event, send_tx, side_tx_outcome,
    state_synced_log, validator, wait_blocks, wait_head, wait_no_votes, wait_receipt, wait_record,
    CheckTx, SideSender,
};
use common::{dev_account, quantity, BttcNet};
use delivery_auth::AnyMsg;
use serde_json::Value;

const STAKE_UPDATE: &str = "StakeUpdate(uint256,uint256,uint256)";
/// The staking validator whose owner restakes.
const VALIDATOR: u64 = 2;
/// The two restakes (atto-BTT).
const RESTAKE: [u128; 2] = [7_000, 11_000];
/// How often the time-critical steps poll the root chains (which mine every 500 ms).
const FAST: Duration = Duration::from_millis(5);

fn accepted(what: &str, r: &CheckTx) -> String {
    assert!(r.accepted(), "{what}: refused at CheckTx: {r:?}");
    r.hash.clone()
}

/// Waits for 3 NO votes on `hash` for `reason`, then for the block that tallied it: the claim
/// was not applied.
async fn voted_down(net: &BttcNet, what: &str, hash: &str, reason: &str) {
    wait_no_votes(net, what, hash, reason, 3).await;
    let outcome = side_tx_outcome(net, hash).await;
    assert!(
        outcome == "side_tx.rejected" || outcome.starts_with("refused in block"),
        "{what}: the claim {hash} ended as {outcome}"
    );
    let reasons = no_vote_reasons(net, hash);
    eprintln!(
        "{what}: NO from {} nodes ({:?}), then {outcome}",
        reasons.len(),
        reasons.first()
    );
}

fn stake(v: &Value) -> u128 {
    v["stake"].as_str().unwrap().parse().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn forged_replayed_and_out_of_order_claims_change_nothing() {
    let net = BttcNet::start_with_root_chains(4, 500).await;
    let started = Instant::now();
    let eth = root_chain(&net, "eth");
    let tron = root_chain(&net, "tron");
    let ccm = CHILD_CHAIN_MANAGER_ADDRESS;

    // Root-chain transactions sent now, mined while the bridges relay the deployments' syncs.
    // (a) A second StateSender on eth: dev account 3 deploys it, registers itself as the
    //     ChildChainManager's sender and syncs twice (that sender's ids 1 and 2).
    let rogue_owner = dev_account(3);
    let n = next_nonce(&eth.url, rogue_owner.address());
    let rogue = rogue_owner.address().create(n);
    let state_sender_code = bttc_engine_contracts::state_sender()
        .unwrap()
        .bytecode
        .to_vec();
    send_tx(
        eth,
        &rogue_owner,
        n,
        TxKind::Create,
        U256::ZERO,
        state_sender_code,
        3_000_000,
    );
    let rogue_call = |nonce: u64, input: Vec<u8>| {
        send_tx(
            eth,
            &rogue_owner,
            nonce,
            TxKind::Call(rogue),
            U256::ZERO,
            input,
            300_000,
        )
    };
    rogue_call(
        n + 1,
        IStateSender::registerCall {
            sender: rogue_owner.address(),
            receiver: ccm,
        }
        .abi_encode(),
    );
    rogue_call(
        n + 2,
        IStateSender::syncStateCall {
            receiver: ccm,
            data: b"rogue 1".to_vec().into(),
        }
        .abi_encode(),
    );
    let rogue_sync = rogue_call(
        n + 3,
        IStateSender::syncStateCall {
            receiver: ccm,
            data: b"rogue 2".to_vec().into(),
        }
        .abi_encode(),
    );
    // (b) Dev account 1 lets the predicate take its deposits.
    let depositor = dev_account(1);
    send_tx(
        eth,
        &depositor,
        next_nonce(&eth.url, depositor.address()),
        TxKind::Call(contract(eth, "test_token")),
        U256::ZERO,
        IERC20::approveCall {
            spender: contract(eth, "erc20_predicate"),
            value: U256::MAX,
        }
        .abi_encode(),
        200_000,
    );
    // (c) Validator 2's owner (its signer: the staked NFT's holder) gets gas and BTT on tron.
    let owner_addr = tron.contracts["validators"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["id"].as_u64() == Some(VALIDATOR))
        .map(|v| addr(&v["owner"]))
        .unwrap();
    let owner: PrivateKeySigner = net
        .signer_keys
        .iter()
        .map(|k| k.parse::<PrivateKeySigner>().unwrap())
        .find(|k| k.address() == owner_addr)
        .unwrap_or_else(|| panic!("validator {VALIDATOR}'s owner {owner_addr} is no signer"));
    let btt = contract(tron, "staking_token");
    let stake_manager = contract(tron, "stake_manager");
    let funder = dev_account(2);
    let fn0 = next_nonce(&tron.url, funder.address());
    let fund_gas = send_tx(
        tron,
        &funder,
        fn0,
        TxKind::Call(owner_addr),
        U256::from(10u128.pow(19)),
        vec![],
        21_000,
    );
    let fund_btt = send_tx(
        tron,
        &funder,
        fn0 + 1,
        TxKind::Call(btt),
        U256::ZERO,
        IERC20::transferCall {
            to: owner_addr,
            value: U256::from(RESTAKE[0] + RESTAKE[1]),
        }
        .abi_encode(),
        200_000,
    );

    // The deployments' MAP_TOKEN syncs (StateSynced 1 of each chain) come through the bridges.
    wait_record(&net, "eth", 1, Duration::from_secs(120)).await;
    wait_record(&net, "tron", 1, Duration::from_secs(60)).await;
    assert_eq!(last_root_id(&net, "eth"), 1);
    let latest = latest_id(&net);
    eprintln!("setup done after {:?}", started.elapsed());

    // 1. No such transaction, in a block that exists and is deep: NO; nothing recorded.
    let mut sender1 = SideSender::new(&net, 1);
    let deep_block = head(&eth.url) - 2;
    let nothing = delivery_clerk::MsgEventRecord {
        from: sender1.from(),
        event: Some(delivery_rootchain::RootEvent {
            root_chain: "eth".into(),
            tx_hash: keccak256("no such transaction").to_vec(),
            block_number: deep_block,
            log_index: 0,
        }),
        id: 2,
        contract: ccm.to_vec(),
        data: b"nothing happened".to_vec(),
    };
    let no_tx = accepted("no such tx", &sender1.send(&net, AnyMsg::pack(&nothing)));

    // 2. Wrong emitter: the second StateSender's genuine StateSynced 2, confirmed.
    let receipt = wait_receipt(eth, &rogue_sync, Duration::from_millis(100)).await;
    let rogue_log = state_synced_log(&receipt);
    assert_eq!(addr(&rogue_log["address"]), rogue);
    wait_head(
        eth,
        quantity(&rogue_log["blockNumber"]) + 1,
        Duration::from_millis(100),
    )
    .await;
    let forged = event_record(&sender1.from(), "eth", &rogue_log);
    assert_eq!((forged.id, forged.data.as_slice()), (2, &b"rogue 2"[..]));
    let wrong_emitter = accepted("wrong emitter", &sender1.send(&net, AnyMsg::pack(&forged)));

    voted_down(&net, "no such tx", &no_tx, "no transaction").await;
    voted_down(&net, "wrong emitter", &wrong_emitter, "emitted by").await;
    assert_eq!(latest_id(&net), latest);
    assert!(record_by_root(&net, "eth", 2).is_none());
    assert!(!is_applied(&net, nothing.event.as_ref().unwrap()));
    assert!(!is_applied(&net, forged.event.as_ref().unwrap()));
    eprintln!("cases 1-2 done after {:?}", started.elapsed());

    // 3. Not yet confirmed: a real deposit's StateSynced claimed, every field right, the moment
    // its receipt exists (its block is the head: 1 of the 2 confirmations). The root chain mines
    // every 500 ms and the claim goes out within a few ms, checked by every node at CheckTx.
    let mut sender2 = SideSender::new(&net, 2);
    let receiver = Address::repeat_byte(0x5b);
    let deposit = send_deposit_prepared(&net, receiver, 1_000);
    let receipt = wait_receipt(eth, &deposit, FAST).await;
    let log = state_synced_log(&receipt);
    let block = quantity(&log["blockNumber"]);
    let truth = event_record(&sender2.from(), "eth", &log);
    let at = head(&eth.url);
    assert_eq!(
        at, block,
        "the eth chain mined past the deposit's block before the test saw it"
    );
    let early = accepted(
        "not yet confirmed",
        &sender2.send(&net, AnyMsg::pack(&truth)),
    );
    assert_eq!(truth.id, 2);

    // 4-5. Once confirmed (before the bridges' claim is applied), wrong data and a wrong log
    // index, otherwise the deposit's true claim.
    wait_head(eth, block + 1, FAST).await;
    let mut wrong_data = truth.clone();
    *wrong_data.data.last_mut().unwrap() ^= 0x01;
    let wrong_data = accepted("wrong data", &sender2.send(&net, AnyMsg::pack(&wrong_data)));
    let locked = logs_of(&receipt, "LockedERC20(address,address,address,uint256)");
    assert_eq!(locked.len(), 1, "{receipt}");
    let mut wrong_index = truth.clone();
    wrong_index.event.as_mut().unwrap().log_index = quantity(&locked[0]["logIndex"]);
    let wrong_index = accepted(
        "wrong log index",
        &sender2.send(&net, AnyMsg::pack(&wrong_index)),
    );

    voted_down(&net, "not yet confirmed", &early, "1 of 2 confirmations").await;
    voted_down(&net, "wrong data", &wrong_data, "data").await;
    voted_down(&net, "wrong log index", &wrong_index, "emitted by").await;
    // The real record arrives once, through the bridges, with the next id.
    let record = wait_record(&net, "eth", 2, Duration::from_secs(60)).await;
    assert_eq!(
        hex_field(&record["tx_hash"]),
        hex_field(&log["transactionHash"])
    );
    assert_eq!(record["block_number"].as_u64().unwrap(), block);
    assert_eq!(
        record["log_index"].as_u64().unwrap(),
        quantity(&log["logIndex"])
    );
    assert_eq!(hex_field(&record["data"]), truth.data);
    assert_eq!(hex_field(&record["contract"]), ccm.to_vec());
    assert_eq!(record["id"].as_u64().unwrap(), latest + 1);
    assert_eq!(latest_id(&net), latest + 1);
    assert_eq!(last_root_id(&net, "eth"), 2);
    eprintln!("cases 3-5 done after {:?}", started.elapsed());

    // 6. The applied event claimed again, identical: refused at CheckTx, nothing changes.
    let mut sender3 = SideSender::new(&net, 3);
    let replay = delivery_clerk::MsgEventRecord {
        from: sender3.from(),
        event: Some(delivery_rootchain::RootEvent {
            root_chain: "eth".into(),
            tx_hash: hex_field(&record["tx_hash"]),
            block_number: record["block_number"].as_u64().unwrap(),
            log_index: record["log_index"].as_u64().unwrap(),
        }),
        id: record["root_id"].as_u64().unwrap(),
        contract: hex_field(&record["contract"]),
        data: hex_field(&record["data"]),
    };
    assert_eq!(
        replay,
        delivery_clerk::MsgEventRecord {
            from: sender3.from(),
            ..truth.clone()
        }
    );
    let r = sender3.send(&net, AnyMsg::pack(&replay));
    assert!(
        r.codespace == "rootchain" && r.code == 3 && r.log.contains("already applied"),
        "a replayed event: {r:?}"
    );
    wait_blocks(&net, 2).await;
    assert_eq!(latest_id(&net), latest + 1);
    assert!(record_by_root(&net, "eth", 3).is_none());
    eprintln!("case 6 done after {:?}", started.elapsed());

    // 7. Out-of-order nonce: two restakes (StakeUpdate nonces 2 and 3); nonce 3 claimed at once.
    let before = validator(&net, VALIDATOR);
    assert_eq!(before["nonce"].as_u64(), Some(1), "{before}");
    let stake0 = stake(&before);
    wait_receipt(tron, &fund_gas, Duration::from_millis(100)).await;
    wait_receipt(tron, &fund_btt, Duration::from_millis(100)).await;
    let on = next_nonce(&tron.url, owner_addr);
    let owner_call = |nonce: u64, to: Address, input: Vec<u8>| {
        send_tx(
            tron,
            &owner,
            nonce,
            TxKind::Call(to),
            U256::ZERO,
            input,
            300_000,
        )
    };
    owner_call(
        on,
        btt,
        IERC20::approveCall {
            spender: stake_manager,
            value: U256::from(RESTAKE[0] + RESTAKE[1]),
        }
        .abi_encode(),
    );
    let restakes: Vec<String> = RESTAKE
        .iter()
        .zip(1..)
        .map(|(amount, i)| {
            owner_call(
                on + i,
                stake_manager,
                IStakeManager::restakeCall {
                    validatorId: U256::from(VALIDATOR),
                    amount: U256::from(*amount),
                }
                .abi_encode(),
            )
        })
        .collect();
    let second = wait_receipt(tron, &restakes[1], FAST).await;
    let update = logs_of(&second, STAKE_UPDATE)[0].clone();
    let final_stake = stake0 + RESTAKE[0] + RESTAKE[1];
    assert_eq!(
        U256::from_be_slice(&hex_field(&update["topics"][2])),
        U256::from(3)
    );
    assert_eq!(
        U256::from_be_slice(&hex_field(&update["topics"][3])),
        U256::from(final_stake)
    );
    let mut sender0 = SideSender::new(&net, 0);
    let ahead = delivery_staking::MsgStakeUpdate {
        from: sender0.from(),
        event: Some(root_event("tron", &update)),
        validator_id: VALIDATOR,
        new_amount: final_stake.to_string(),
        nonce: 3,
    };
    let r = sender0.send(&net, AnyMsg::pack(&ahead));
    assert!(
        r.codespace == "staking"
            && u32::try_from(r.code).unwrap() == delivery_staking::CODE_NONCE_AHEAD
            && r.log.contains("waits for its predecessor"),
        "nonce 3 before nonce 2: {r:?}"
    );
    assert_eq!(validator(&net, VALIDATOR)["nonce"].as_u64(), Some(1));

    // The bridges apply nonce 2, then nonce 3 (refused as ahead until 2 is in, then resent).
    let first = wait_receipt(tron, &restakes[0], FAST).await;
    let first_update = logs_of(&first, STAKE_UPDATE)[0].clone();
    let expected = [(1, stake0), (2, stake0 + RESTAKE[0]), (3, final_stake)];
    let mut seen = vec![(1u64, stake0)];
    let deadline = Instant::now() + Duration::from_secs(60);
    while seen.last().unwrap().0 < 3 {
        let v = validator(&net, VALIDATOR);
        let now = (v["nonce"].as_u64().unwrap(), stake(&v));
        assert!(
            expected.contains(&now),
            "validator {VALIDATOR} at {now:?}: {v}"
        );
        assert!(
            now.0 >= seen.last().unwrap().0,
            "the nonce went back: {seen:?} then {now:?}"
        );
        if now != *seen.last().unwrap() {
            seen.push(now);
        }
        if Instant::now() >= deadline {
            net.dump_logs();
            panic!("validator {VALIDATOR} stake updates seen: {seen:?}, expected nonce 3");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(is_applied(&net, &root_event("tron", &first_update)));
    assert!(is_applied(&net, &root_event("tron", &update)));
    // Nonce 2 again: its event is applied, refused; the validator stays at nonce 3.
    let again = delivery_staking::MsgStakeUpdate {
        from: sender0.from(),
        event: Some(root_event("tron", &first_update)),
        validator_id: VALIDATOR,
        new_amount: (stake0 + RESTAKE[0]).to_string(),
        nonce: 2,
    };
    let r = sender0.send(&net, AnyMsg::pack(&again));
    assert!(
        r.codespace == "rootchain" && r.code == 3,
        "nonce 2 again: {r:?}"
    );
    wait_blocks(&net, 2).await;
    let after = validator(&net, VALIDATOR);
    assert_eq!(
        (after["nonce"].as_u64(), stake(&after)),
        (Some(3), final_stake),
        "{after}"
    );
    eprintln!(
        "case 7 done after {:?} (stake updates seen: {seen:?})",
        started.elapsed()
    );
}

/// `RootChainManager.depositFor(receiver)` from dev account 1 (approved at the start); returns
/// the transaction hash at once.
fn send_deposit_prepared(net: &BttcNet, receiver: Address, amount: u64) -> String {
    let eth = root_chain(net, "eth");
    let depositor = dev_account(1);
    send_tx(
        eth,
        &depositor,
        next_nonce(&eth.url, depositor.address()),
        TxKind::Call(contract(eth, "root_chain_manager")),
        U256::ZERO,
        bttc_engine_contracts::abi::IRootChainManager::depositForCall {
            user: receiver,
            rootToken: contract(eth, "test_token"),
            depositData: U256::from(amount).to_be_bytes::<32>().to_vec().into(),
        }
        .abi_encode(),
        1_000_000,
    )
}
