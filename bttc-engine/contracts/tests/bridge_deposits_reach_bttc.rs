//! The token bridge end to end on two in-process engines: a root chain whose RootChainManager
//! maps a token and takes a deposit, and a BTTC chain (berlin profile) where the StateSynced
//! records, delivered by the StateReceiver's system call as Delivery's records are, make the
//! ChildChainManager deploy and mint the child token. Holders burn it with `withdraw`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::panic,
    missing_docs
)]

mod common;

use alloy_primitives::{keccak256, Address, Bytes, Log, U256};
use alloy_sol_types::{SolEvent as _, SolValue as _};
use bttc_engine_contracts::abi::{
    IChildChainManager, IChildERC20, IRootChainManager, IStateSender, IERC20,
};
use bttc_engine_contracts::{
    child_chain_manager, child_erc20, child_token_address, deposit_payload, map_token_payload,
    CHILD_CHAIN_MANAGER_ADDRESS, DEPOSIT, MAP_TOKEN, STATE_RECEIVER_ADDRESS,
};
use common::chain::{error, Chain};
use common::root::bridge;
use common::{berlin, genesis, key, record, CHAIN_ID};

/// (id, success) of the StateReceiver's StateCommitted logs.
fn committed(logs: &[Log]) -> Vec<(u64, bool)> {
    let sig = keccak256("StateCommitted(uint256,bool)");
    logs.iter()
        .filter(|l| l.address == STATE_RECEIVER_ADDRESS && l.topics()[0] == sig)
        .map(|l| {
            (
                U256::from_be_bytes(l.topics()[1].0).to::<u64>(),
                U256::from_be_slice(&l.data.data) == U256::from(1),
            )
        })
        .collect()
}

fn decode<E: alloy_sol_types::SolEvent>(logs: &[Log], emitter: Address) -> Vec<E> {
    logs.iter()
        .filter(|l| l.address == emitter && l.topics()[0] == E::SIGNATURE_HASH)
        .map(|l| E::decode_log_data(&l.data).unwrap())
        .collect()
}

fn balance(chain: &Chain, token: Address, who: Address) -> U256 {
    chain.view(token, IERC20::balanceOfCall { holder: who })
}

#[test]
fn a_root_deposit_mints_the_child_token_and_withdraw_burns_it() {
    // Root chain: map the token, deposit 2500 for key 2.
    let mut b = bridge(true);
    let (owner, alice) = (key(1), key(2));
    let (rcm, token) = (b.rcm, b.token);
    let amount = U256::from(2500);
    let mut synced = Vec::new();
    let out = b.chain.exec(
        &owner,
        rcm,
        IRootChainManager::mapTokenCall { rootToken: token },
    );
    synced.push(out.event::<IStateSender::StateSynced>(b.ss));
    b.chain.exec(
        &alice,
        token,
        IERC20::approveCall {
            spender: b.predicate,
            value: amount,
        },
    );
    let out = b.chain.exec(
        &alice,
        rcm,
        IRootChainManager::depositForCall {
            user: alice.address(),
            rootToken: token,
            depositData: amount.abi_encode().into(),
        },
    );
    synced.push(out.event::<IStateSender::StateSynced>(b.ss));
    assert_eq!(
        synced.iter().map(|e| e.id.to::<u64>()).collect::<Vec<_>>(),
        vec![1, 2]
    );

    // BTTC: the genesis holds the ChildChainManager.
    let mut bttc = Chain::new(&berlin(genesis(&[])), true);
    assert_eq!(
        bttc.code_hash(CHILD_CHAIN_MANAGER_ADDRESS),
        keccak256(&child_chain_manager().unwrap().deployed_bytecode)
    );
    let records = synced
        .iter()
        .map(|e| record(e.id.to(), e.contractAddress, &e.data))
        .collect();
    let logs = bttc.records(records);
    assert_eq!(committed(&logs), vec![(1, true), (2, true)]);

    // MAP_TOKEN deployed the child token at the CREATE2 address everyone computes.
    let child = child_token_address(CHAIN_ID, token).unwrap();
    assert_eq!(
        bttc.code_hash(child),
        keccak256(&child_erc20().unwrap().deployed_bytecode)
    );
    assert_eq!(
        decode::<IChildChainManager::TokenMapped>(&logs, CHILD_CHAIN_MANAGER_ADDRESS),
        vec![IChildChainManager::TokenMapped {
            rootChainId: U256::from(CHAIN_ID),
            rootToken: token,
            childToken: child,
        }]
    );
    assert_eq!(bttc.view(child, IERC20::nameCall {}), "Test Token");
    assert_eq!(bttc.view(child, IERC20::symbolCall {}), "TT");
    assert_eq!(bttc.view(child, IERC20::decimalsCall {}), 18);
    assert_eq!(
        bttc.view(child, IChildERC20::rootChainIdCall {}),
        U256::from(CHAIN_ID)
    );
    assert_eq!(bttc.view(child, IChildERC20::rootTokenCall {}), token);
    assert_eq!(
        bttc.view(child, IChildERC20::managerCall {}),
        CHILD_CHAIN_MANAGER_ADDRESS
    );
    let mapped = bttc.view(
        CHILD_CHAIN_MANAGER_ADDRESS,
        IChildChainManager::rootToChildTokenCall {
            rootChainId: U256::from(CHAIN_ID),
            rootToken: token,
        },
    );
    assert_eq!(mapped, child);
    let root = bttc.view(
        CHILD_CHAIN_MANAGER_ADDRESS,
        IChildChainManager::childToRootTokenCall { childToken: child },
    );
    assert_eq!(
        (root.rootChainId, root.rootToken),
        (U256::from(CHAIN_ID), token)
    );

    // DEPOSIT minted the amount to the receiver.
    assert_eq!(
        decode::<IERC20::Transfer>(&logs, child),
        vec![IERC20::Transfer {
            from: Address::ZERO,
            to: alice.address(),
            value: amount,
        }]
    );
    assert_eq!(balance(&bttc, child, alice.address()), amount);
    assert_eq!(bttc.view(child, IERC20::totalSupplyCall {}), amount);

    // onStateReceive from anyone but the StateReceiver is refused.
    let forged = IChildChainManager::onStateReceiveCall {
        stateId: U256::from(3),
        data: deposit_payload(CHAIN_ID, owner.address(), token, U256::from(10_000)),
    };
    let reason = bttc.exec_fails(&owner, CHILD_CHAIN_MANAGER_ADDRESS, forged);
    assert_eq!(
        error::<IChildChainManager::NotStateReceiver>(&reason).caller,
        owner.address()
    );
    assert_eq!(balance(&bttc, child, owner.address()), U256::ZERO);

    // Records the manager refuses are committed with success = false and change nothing.
    let bad_deposit_data = {
        let inner = (
            U256::from(CHAIN_ID),
            alice.address(),
            token,
            Bytes::from([amount.abi_encode(), amount.abi_encode()].concat()),
        )
            .abi_encode_params();
        Bytes::from((DEPOSIT, Bytes::from(inner)).abi_encode_params())
    };
    let unknown_type = Bytes::from((keccak256("WITHDRAW"), Bytes::new()).abi_encode_params());
    let other_chain = 728_126_428u64;
    let records = vec![
        // A deposit of a token never mapped (another root chain's token at the same address).
        record(
            3,
            CHILD_CHAIN_MANAGER_ADDRESS,
            &deposit_payload(other_chain, alice.address(), token, amount),
        ),
        // The same token mapped twice.
        record(
            4,
            CHILD_CHAIN_MANAGER_ADDRESS,
            &map_token_payload(CHAIN_ID, token, "Again", "AG", 6),
        ),
        record(5, CHILD_CHAIN_MANAGER_ADDRESS, &unknown_type),
        record(6, CHILD_CHAIN_MANAGER_ADDRESS, b"not abi"),
        record(7, CHILD_CHAIN_MANAGER_ADDRESS, &bad_deposit_data),
        record(
            8,
            CHILD_CHAIN_MANAGER_ADDRESS,
            &map_token_payload(CHAIN_ID, Address::ZERO, "Zero", "Z", 18),
        ),
        // Then a good deposit still lands.
        record(
            9,
            CHILD_CHAIN_MANAGER_ADDRESS,
            &deposit_payload(CHAIN_ID, alice.address(), token, U256::from(500)),
        ),
    ];
    let logs = bttc.records(records);
    assert_eq!(
        committed(&logs),
        vec![
            (3, false),
            (4, false),
            (5, false),
            (6, false),
            (7, false),
            (8, false),
            (9, true)
        ]
    );
    assert_eq!(bttc.view(child, IERC20::nameCall {}), "Test Token");
    assert_eq!(balance(&bttc, child, alice.address()), U256::from(3000));
    assert_eq!(
        bttc.code_len(child_token_address(CHAIN_ID, Address::ZERO).unwrap()),
        0
    );

    // The same token address on another root chain maps to its own child token.
    let logs = bttc.records(vec![record(
        10,
        CHILD_CHAIN_MANAGER_ADDRESS,
        &map_token_payload(other_chain, token, "Tron Token", "TRT", 6),
    )]);
    assert_eq!(committed(&logs), vec![(10, true)]);
    let tron_child = child_token_address(other_chain, token).unwrap();
    assert_ne!(tron_child, child);
    assert_eq!(bttc.view(tron_child, IERC20::decimalsCall {}), 6);
    assert_eq!(bttc.view(tron_child, IERC20::symbolCall {}), "TRT");

    // ChildERC20: only the manager mints or initializes; withdraw burns the caller's tokens.
    let reason = bttc.exec_fails(
        &owner,
        child,
        IChildERC20::mintCall {
            to: owner.address(),
            amount,
        },
    );
    assert_eq!(
        error::<IChildERC20::NotManager>(&reason).caller,
        owner.address()
    );
    let reason = bttc.exec_fails(
        &owner,
        child,
        IChildERC20::initializeCall {
            name: "X".into(),
            symbol: "X".into(),
            decimals: 1,
            rootChainId: U256::from(1),
            rootToken: owner.address(),
        },
    );
    error::<IChildERC20::NotManager>(&reason);
    let out = bttc.exec(
        &alice,
        child,
        IChildERC20::withdrawCall {
            amount: U256::from(1000),
        },
    );
    assert_eq!(
        out.event::<IERC20::Transfer>(child),
        IERC20::Transfer {
            from: alice.address(),
            to: Address::ZERO,
            value: U256::from(1000),
        }
    );
    assert_eq!(balance(&bttc, child, alice.address()), U256::from(2000));
    assert_eq!(
        bttc.view(child, IERC20::totalSupplyCall {}),
        U256::from(2000)
    );
    let reason = bttc.exec_fails(
        &alice,
        child,
        IChildERC20::withdrawCall {
            amount: U256::from(2001),
        },
    );
    assert_eq!(
        error::<IERC20::ERC20InsufficientBalance>(&reason),
        IERC20::ERC20InsufficientBalance {
            sender: alice.address(),
            balance: U256::from(2000),
            needed: U256::from(2001),
        }
    );
    // A child token moves like any ERC-20.
    bttc.exec(
        &alice,
        child,
        IERC20::transferCall {
            to: owner.address(),
            value: U256::from(1),
        },
    );
    assert_eq!(balance(&bttc, child, owner.address()), U256::from(1));
    assert!(bttc.engine.verify_head_state_root().unwrap());
    // The sync types are the hashes of their names.
    assert_eq!(MAP_TOKEN, keccak256("MAP_TOKEN"));
    assert_eq!(
        IChildChainManager::TokenMapped::SIGNATURE,
        "TokenMapped(uint256,address,address)"
    );
}
