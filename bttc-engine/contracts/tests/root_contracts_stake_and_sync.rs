//! The root-chain contracts (StakeManager, StateSender, RootChainManager, ERC20Predicate),
//! deployed from their compiled artifacts on an in-process engine and driven by signed
//! transactions: every event the bridge reads is checked field by field, every refusal by its
//! custom error.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::panic,
    missing_docs
)]

mod common;

use alloy_primitives::{Address, Bytes, U256};
use alloy_signer_local::PrivateKeySigner;
use alloy_sol_types::{SolCall as _, SolValue as _};
use bttc_engine_contracts::abi::{
    IERC20Predicate, IRootChainManager, IStakeManager, IStateSender, IERC20,
};
use bttc_engine_contracts::{
    child_token_address, deposit_payload, map_token_payload, stake_manager_init_code,
    test_token_init_code, CHILD_CHAIN_MANAGER_ADDRESS, DEPOSIT, MAP_TOKEN,
};
use common::chain::{error, pubkey, tokens, Chain};
use common::root::bridge;
use common::{genesis, key, CHAIN_ID};

const MIN_STAKE: u64 = 1000;
const WITHDRAWAL_DELAY: u64 = 2;

/// A root chain with a staking token (key 1 holds it all) and a StakeManager owned by key 1.
struct Staking {
    chain: Chain,
    token: Address,
    sm: Address,
}

fn staking() -> Staking {
    let mut chain = Chain::new(&genesis(&[]), false);
    let owner = key(1);
    let token = chain.deploy(
        &owner,
        test_token_init_code("BitTorrent", "BTT", tokens(1_000_000)).unwrap(),
    );
    let sm = chain.deploy(
        &owner,
        stake_manager_init_code(token, U256::from(MIN_STAKE), U256::from(WITHDRAWAL_DELAY))
            .unwrap(),
    );
    // Key 2 gets tokens; both approve the StakeManager.
    chain.exec(
        &owner,
        token,
        IERC20::transferCall {
            to: key(2).address(),
            value: tokens(1000),
        },
    );
    for k in [key(1), key(2)] {
        chain.exec(
            &k,
            token,
            IERC20::approveCall {
                spender: sm,
                value: U256::MAX,
            },
        );
    }
    Staking { chain, token, sm }
}

fn balance(chain: &Chain, token: Address, who: Address) -> U256 {
    chain.view(token, IERC20::balanceOfCall { holder: who })
}

fn record(s: &Staking, id: u64) -> IStakeManager::ValidatorRecord {
    s.chain.view(
        s.sm,
        IStakeManager::getValidatorCall {
            validatorId: U256::from(id),
        },
    )
}

fn stake_for(user: Address, amount: u64, signer: &PrivateKeySigner) -> IStakeManager::stakeForCall {
    IStakeManager::stakeForCall {
        user,
        amount: U256::from(amount),
        signerPubkey: pubkey(signer),
    }
}

fn set_epoch(s: &mut Staking, epoch: u64) {
    let out = s.chain.exec(
        &key(1),
        s.sm,
        IStakeManager::setCurrentEpochCall {
            epoch: U256::from(epoch),
        },
    );
    assert_eq!(
        out.event::<IStakeManager::CurrentEpochSet>(s.sm).epoch,
        U256::from(epoch)
    );
}

#[test]
fn a_validator_joins_restakes_changes_signer_unstakes_and_claims() {
    let mut s = staking();
    let (alice, bob) = (key(2), key(1));
    let (signer_a, signer_b, signer_c) = (key(5), key(6), key(7));
    let sm = s.sm;

    // Parameters and the initial state.
    assert_eq!(
        s.chain.view(sm, IStakeManager::currentEpochCall {}),
        U256::from(1)
    );
    assert_eq!(
        s.chain.view(sm, IStakeManager::minStakeCall {}),
        U256::from(MIN_STAKE)
    );
    assert_eq!(
        s.chain.view(sm, IStakeManager::withdrawalDelayCall {}),
        U256::from(WITHDRAWAL_DELAY)
    );
    assert_eq!(s.chain.view(sm, IStakeManager::tokenCall {}), s.token);
    assert_eq!(s.chain.view(sm, IStakeManager::ownerCall {}), bob.address());
    assert_eq!(
        s.chain.view(sm, IStakeManager::nameCall {}),
        "BTTC Validator"
    );
    assert_eq!(
        s.chain.view(sm, IStakeManager::totalStakedCall {}),
        U256::ZERO
    );
    assert_eq!(record(&s, 1).status, 0);

    // Join: alice stakes 5000 for herself with signer A. Validator id 1, nonce 1, epoch 1.
    let before = balance(&s.chain, s.token, alice.address());
    let out = s
        .chain
        .exec(&alice, sm, stake_for(alice.address(), 5000, &signer_a));
    assert_eq!(
        out.event::<IStakeManager::Staked>(sm),
        IStakeManager::Staked {
            signer: signer_a.address(),
            validatorId: U256::from(1),
            nonce: U256::from(1),
            activationEpoch: U256::from(1),
            amount: U256::from(5000),
            total: U256::from(5000),
            signerPubkey: pubkey(&signer_a),
        }
    );
    // The validator NFT (id 1) is minted to alice; the stake moved from alice.
    assert_eq!(
        out.event::<IStakeManager::Transfer>(sm),
        IStakeManager::Transfer {
            from: Address::ZERO,
            to: alice.address(),
            tokenId: U256::from(1),
        }
    );
    assert_eq!(
        out.event::<IERC20::Transfer>(s.token),
        IERC20::Transfer {
            from: alice.address(),
            to: sm,
            value: U256::from(5000),
        }
    );
    assert_eq!(
        balance(&s.chain, s.token, alice.address()),
        before - U256::from(5000)
    );
    assert_eq!(balance(&s.chain, s.token, sm), U256::from(5000));
    assert_eq!(
        s.chain.view(
            sm,
            IStakeManager::ownerOfCall {
                tokenId: U256::from(1)
            }
        ),
        alice.address()
    );
    assert_eq!(
        record(&s, 1),
        IStakeManager::ValidatorRecord {
            signer: signer_a.address(),
            signerPubkey: pubkey(&signer_a),
            amount: U256::from(5000),
            activationEpoch: U256::from(1),
            deactivationEpoch: U256::ZERO,
            nonce: U256::from(1),
            status: 1,
        }
    );
    assert_eq!(
        s.chain.view(
            sm,
            IStakeManager::signerToValidatorCall {
                signer: signer_a.address()
            }
        ),
        U256::from(1)
    );

    // A second validator, staked by bob for bob at epoch 3: id 2, its own nonce 1.
    set_epoch(&mut s, 3);
    let out = s
        .chain
        .exec(&bob, sm, stake_for(bob.address(), 3000, &signer_b));
    assert_eq!(
        out.event::<IStakeManager::Staked>(sm),
        IStakeManager::Staked {
            signer: signer_b.address(),
            validatorId: U256::from(2),
            nonce: U256::from(1),
            activationEpoch: U256::from(3),
            amount: U256::from(3000),
            total: U256::from(8000),
            signerPubkey: pubkey(&signer_b),
        }
    );
    assert_eq!(
        s.chain.view(sm, IStakeManager::validatorCountCall {}),
        U256::from(2)
    );

    // Restake: nonce 2, newAmount is the validator's new total stake.
    let out = s.chain.exec(
        &alice,
        sm,
        IStakeManager::restakeCall {
            validatorId: U256::from(1),
            amount: U256::from(700),
        },
    );
    assert_eq!(
        out.event::<IStakeManager::StakeUpdate>(sm),
        IStakeManager::StakeUpdate {
            validatorId: U256::from(1),
            nonce: U256::from(2),
            newAmount: U256::from(5700),
        }
    );
    assert_eq!(
        s.chain.view(sm, IStakeManager::totalStakedCall {}),
        U256::from(8700)
    );
    assert_eq!(balance(&s.chain, s.token, sm), U256::from(8700));

    // Signer change: nonce 3; the old signer is released, the new one taken.
    let out = s.chain.exec(
        &alice,
        sm,
        IStakeManager::updateSignerCall {
            validatorId: U256::from(1),
            signerPubkey: pubkey(&signer_c),
        },
    );
    assert_eq!(
        out.event::<IStakeManager::SignerChange>(sm),
        IStakeManager::SignerChange {
            validatorId: U256::from(1),
            nonce: U256::from(3),
            oldSigner: signer_a.address(),
            newSigner: signer_c.address(),
            signerPubkey: pubkey(&signer_c),
        }
    );
    let holder = |s: &Staking, k: &PrivateKeySigner| {
        s.chain.view(
            s.sm,
            IStakeManager::signerToValidatorCall {
                signer: k.address(),
            },
        )
    };
    assert_eq!(holder(&s, &signer_a), U256::ZERO);
    assert_eq!(holder(&s, &signer_c), U256::from(1));

    // Unstake at epoch 4: nonce 4, deactivationEpoch 4, the stake still counts.
    set_epoch(&mut s, 4);
    let out = s.chain.exec(
        &alice,
        sm,
        IStakeManager::unstakeCall {
            validatorId: U256::from(1),
        },
    );
    assert_eq!(
        out.event::<IStakeManager::UnstakeInit>(sm),
        IStakeManager::UnstakeInit {
            user: alice.address(),
            validatorId: U256::from(1),
            nonce: U256::from(4),
            deactivationEpoch: U256::from(4),
            amount: U256::from(5700),
        }
    );
    let r = record(&s, 1);
    assert_eq!(
        (r.status, r.deactivationEpoch, r.nonce),
        (2, U256::from(4), U256::from(4))
    );
    assert_eq!(
        s.chain.view(sm, IStakeManager::totalStakedCall {}),
        U256::from(8700)
    );

    // The claim opens at deactivationEpoch + withdrawalDelay = 6.
    set_epoch(&mut s, 5);
    let reason = s.chain.exec_fails(
        &alice,
        sm,
        IStakeManager::unstakeClaimCall {
            validatorId: U256::from(1),
        },
    );
    assert_eq!(
        error::<IStakeManager::WithdrawalDelayNotOver>(&reason),
        IStakeManager::WithdrawalDelayNotOver {
            validatorId: U256::from(1),
            currentEpoch: U256::from(5),
            claimableEpoch: U256::from(6),
        }
    );
    set_epoch(&mut s, 6);
    let before = balance(&s.chain, s.token, alice.address());
    let out = s.chain.exec(
        &alice,
        sm,
        IStakeManager::unstakeClaimCall {
            validatorId: U256::from(1),
        },
    );
    assert_eq!(
        out.event::<IStakeManager::Unstaked>(sm),
        IStakeManager::Unstaked {
            user: alice.address(),
            validatorId: U256::from(1),
            amount: U256::from(5700),
            total: U256::from(3000),
        }
    );
    // The NFT is burnt, the stake returned, the record kept (nonce unchanged) as unstaked.
    assert_eq!(
        out.event::<IStakeManager::Transfer>(sm),
        IStakeManager::Transfer {
            from: alice.address(),
            to: Address::ZERO,
            tokenId: U256::from(1),
        }
    );
    assert_eq!(
        balance(&s.chain, s.token, alice.address()),
        before + U256::from(5700)
    );
    assert_eq!(balance(&s.chain, s.token, sm), U256::from(3000));
    let reason = s.chain.revert_of(
        alice.address(),
        sm,
        &IStakeManager::ownerOfCall {
            tokenId: U256::from(1),
        },
    );
    assert_eq!(
        error::<IStakeManager::ERC721NonexistentToken>(&reason).tokenId,
        U256::from(1)
    );
    let r = record(&s, 1);
    assert_eq!(
        (r.status, r.amount, r.nonce),
        (3, U256::ZERO, U256::from(4))
    );
    assert_eq!(holder(&s, &signer_c), U256::ZERO);

    // The released signer can serve a new validator, which gets the next id.
    let out = s
        .chain
        .exec(&alice, sm, stake_for(alice.address(), 1000, &signer_c));
    let staked = out.event::<IStakeManager::Staked>(sm);
    assert_eq!(
        (
            staked.validatorId,
            staked.nonce,
            staked.activationEpoch,
            staked.total
        ),
        (
            U256::from(3),
            U256::from(1),
            U256::from(6),
            U256::from(4000)
        )
    );

    // The validator NFT moves like any ERC-721 and its new owner controls the validator.
    s.chain.exec(
        &bob,
        sm,
        IStakeManager::transferFromCall {
            from: bob.address(),
            to: alice.address(),
            tokenId: U256::from(2),
        },
    );
    let out = s.chain.exec(
        &alice,
        sm,
        IStakeManager::restakeCall {
            validatorId: U256::from(2),
            amount: U256::from(1),
        },
    );
    assert_eq!(
        out.event::<IStakeManager::StakeUpdate>(sm).nonce,
        U256::from(2)
    );
    let reason = s.chain.exec_fails(
        &bob,
        sm,
        IStakeManager::unstakeCall {
            validatorId: U256::from(2),
        },
    );
    assert_eq!(
        error::<IStakeManager::NotValidatorOwner>(&reason).owner,
        alice.address()
    );
}

#[test]
fn staking_refuses_small_stakes_bad_keys_taken_signers_and_strangers() {
    let mut s = staking();
    let (alice, bob) = (key(2), key(1));
    let sm = s.sm;

    // Below the minimum stake (and zero).
    for amount in [MIN_STAKE - 1, 0] {
        let reason = s
            .chain
            .exec_fails(&alice, sm, stake_for(alice.address(), amount, &key(5)));
        assert_eq!(
            error::<IStakeManager::StakeBelowMinimum>(&reason),
            IStakeManager::StakeBelowMinimum {
                amount: U256::from(amount),
                minStake: U256::from(MIN_STAKE),
            }
        );
    }
    // Public keys that are not 65 bytes with the 0x04 prefix.
    let good = pubkey(&key(5));
    let mut compressed_prefix = good.to_vec();
    compressed_prefix[0] = 0x03;
    for (bad, length, prefix) in [
        (Bytes::copy_from_slice(&good[..64]), 64u64, 0x04u8),
        (Bytes::from(compressed_prefix), 65, 0x03),
        (Bytes::new(), 0, 0),
        (Bytes::from([good.to_vec(), vec![0]].concat()), 66, 0x04),
    ] {
        let call = IStakeManager::stakeForCall {
            user: alice.address(),
            amount: U256::from(MIN_STAKE),
            signerPubkey: bad,
        };
        let reason = s.chain.exec_fails(&alice, sm, call);
        let e = error::<IStakeManager::InvalidSignerPubkey>(&reason);
        assert_eq!((e.length, e.prefix.0[0]), (U256::from(length), prefix));
    }
    // Validator tokens cannot go to the zero address.
    let reason = s
        .chain
        .exec_fails(&alice, sm, stake_for(Address::ZERO, MIN_STAKE, &key(5)));
    error::<IStakeManager::ZeroUser>(&reason);
    // Without an allowance the token transfer fails and the stake is refused.
    let carol = key(3);
    let reason = s.chain.revert_of(
        carol.address(),
        sm,
        &stake_for(carol.address(), MIN_STAKE, &key(5)),
    );
    assert_eq!(
        error::<IStakeManager::TokenCallFailed>(&reason),
        IStakeManager::TokenCallFailed {
            token: s.token,
            selector: IERC20::transferFromCall::SELECTOR.into(),
        }
    );
    assert_eq!(
        s.chain.view(sm, IStakeManager::validatorCountCall {}),
        U256::ZERO
    );

    // One validator per signer.
    s.chain
        .exec(&alice, sm, stake_for(alice.address(), MIN_STAKE, &key(5)));
    let reason = s
        .chain
        .exec_fails(&bob, sm, stake_for(bob.address(), MIN_STAKE, &key(5)));
    assert_eq!(
        error::<IStakeManager::SignerInUse>(&reason),
        IStakeManager::SignerInUse {
            signer: key(5).address(),
            validatorId: U256::from(1),
        }
    );
    s.chain
        .exec(&bob, sm, stake_for(bob.address(), MIN_STAKE, &key(6)));
    let change = |k: &PrivateKeySigner| IStakeManager::updateSignerCall {
        validatorId: U256::from(1),
        signerPubkey: pubkey(k),
    };
    let reason = s.chain.exec_fails(&alice, sm, change(&key(6)));
    assert_eq!(
        error::<IStakeManager::SignerInUse>(&reason).validatorId,
        U256::from(2)
    );
    let reason = s.chain.exec_fails(&alice, sm, change(&key(5)));
    assert_eq!(
        error::<IStakeManager::SameSigner>(&reason).signer,
        key(5).address()
    );

    // Only the NFT owner may restake, change the signer, unstake or claim validator 1.
    let not_owner = IStakeManager::NotValidatorOwner {
        caller: bob.address(),
        validatorId: U256::from(1),
        owner: alice.address(),
    };
    let id1 = U256::from(1);
    let reason = s.chain.exec_fails(
        &bob,
        sm,
        IStakeManager::restakeCall {
            validatorId: id1,
            amount: U256::from(1),
        },
    );
    assert_eq!(
        error::<IStakeManager::NotValidatorOwner>(&reason),
        not_owner
    );
    let reason = s.chain.exec_fails(&bob, sm, change(&key(7)));
    assert_eq!(
        error::<IStakeManager::NotValidatorOwner>(&reason),
        not_owner
    );
    let reason = s
        .chain
        .exec_fails(&bob, sm, IStakeManager::unstakeCall { validatorId: id1 });
    assert_eq!(
        error::<IStakeManager::NotValidatorOwner>(&reason),
        not_owner
    );
    let reason = s.chain.exec_fails(
        &bob,
        sm,
        IStakeManager::unstakeClaimCall { validatorId: id1 },
    );
    assert_eq!(
        error::<IStakeManager::NotValidatorOwner>(&reason),
        not_owner
    );
    // A validator that does not exist.
    let reason = s.chain.exec_fails(
        &bob,
        sm,
        IStakeManager::unstakeCall {
            validatorId: U256::from(9),
        },
    );
    assert_eq!(
        error::<IStakeManager::ERC721NonexistentToken>(&reason).tokenId,
        U256::from(9)
    );
    // Restaking zero, claiming while active.
    let reason = s.chain.exec_fails(
        &alice,
        sm,
        IStakeManager::restakeCall {
            validatorId: id1,
            amount: U256::ZERO,
        },
    );
    error::<IStakeManager::ZeroAmount>(&reason);
    let reason = s.chain.exec_fails(
        &alice,
        sm,
        IStakeManager::unstakeClaimCall { validatorId: id1 },
    );
    assert_eq!(
        error::<IStakeManager::ValidatorNotUnstaking>(&reason),
        IStakeManager::ValidatorNotUnstaking {
            validatorId: id1,
            status: 1,
        }
    );
    // Once unstaking: no second unstake, no restake, no signer change.
    s.chain
        .exec(&alice, sm, IStakeManager::unstakeCall { validatorId: id1 });
    let not_active = IStakeManager::ValidatorNotActive {
        validatorId: id1,
        status: 2,
    };
    let reason = s
        .chain
        .exec_fails(&alice, sm, IStakeManager::unstakeCall { validatorId: id1 });
    assert_eq!(
        error::<IStakeManager::ValidatorNotActive>(&reason),
        not_active
    );
    let reason = s.chain.exec_fails(
        &alice,
        sm,
        IStakeManager::restakeCall {
            validatorId: id1,
            amount: U256::from(1),
        },
    );
    assert_eq!(
        error::<IStakeManager::ValidatorNotActive>(&reason),
        not_active
    );
    let reason = s.chain.exec_fails(&alice, sm, change(&key(7)));
    assert_eq!(
        error::<IStakeManager::ValidatorNotActive>(&reason),
        not_active
    );
    // Nonces moved only with the accepted events: Staked (1), UnstakeInit (2).
    assert_eq!(
        s.chain
            .view(sm, IStakeManager::validatorNonceCall { validatorId: id1 }),
        U256::from(2)
    );

    // The epoch: only the owner or the checkpoint manager sets it, and only upwards.
    let reason = s.chain.exec_fails(
        &alice,
        sm,
        IStakeManager::setCurrentEpochCall {
            epoch: U256::from(2),
        },
    );
    assert_eq!(
        error::<IStakeManager::NotEpochSetter>(&reason).caller,
        alice.address()
    );
    let reason = s.chain.exec_fails(
        &bob,
        sm,
        IStakeManager::setCurrentEpochCall {
            epoch: U256::from(1),
        },
    );
    assert_eq!(
        error::<IStakeManager::EpochNotIncreasing>(&reason),
        IStakeManager::EpochNotIncreasing {
            currentEpoch: U256::from(1),
            proposed: U256::from(1),
        }
    );
    let reason = s.chain.exec_fails(
        &alice,
        sm,
        IStakeManager::setCheckpointManagerCall {
            manager: alice.address(),
        },
    );
    assert_eq!(
        error::<IStakeManager::NotOwner>(&reason),
        IStakeManager::NotOwner {
            caller: alice.address(),
            owner: bob.address(),
        }
    );
    let out = s.chain.exec(
        &bob,
        sm,
        IStakeManager::setCheckpointManagerCall {
            manager: alice.address(),
        },
    );
    assert_eq!(
        out.event::<IStakeManager::CheckpointManagerSet>(sm)
            .checkpointManager,
        alice.address()
    );
    s.chain.exec(
        &alice,
        sm,
        IStakeManager::setCurrentEpochCall {
            epoch: U256::from(2),
        },
    );
    assert_eq!(
        s.chain.view(sm, IStakeManager::currentEpochCall {}),
        U256::from(2)
    );
}

#[test]
fn state_sender_refuses_unregistered_senders_and_counts_ids_from_one() {
    let mut chain = Chain::new(&genesis(&[]), false);
    let ss = common::root::state_sender_on(&mut chain);
    let (owner, sender) = (key(1), key(2));
    let receiver = Address::repeat_byte(0xee);
    let sync = |data: &[u8]| IStateSender::syncStateCall {
        receiver,
        data: Bytes::copy_from_slice(data),
    };

    // Nobody is registered yet: not the sender, not the owner.
    for k in [&sender, &owner] {
        let reason = chain.exec_fails(k, ss, sync(b"early"));
        assert_eq!(
            error::<IStateSender::NotRegisteredSender>(&reason),
            IStateSender::NotRegisteredSender {
                caller: k.address(),
                receiver,
                registered: Address::ZERO,
            }
        );
    }
    // Only the owner registers.
    let register = IStateSender::registerCall {
        sender: sender.address(),
        receiver,
    };
    let reason = chain.exec_fails(&sender, ss, register.clone());
    assert_eq!(
        error::<IStateSender::NotOwner>(&reason).caller,
        sender.address()
    );
    let reason = chain.exec_fails(
        &owner,
        ss,
        IStateSender::registerCall {
            sender: Address::ZERO,
            receiver,
        },
    );
    error::<IStateSender::ZeroAddress>(&reason);
    let out = chain.exec(&owner, ss, register);
    assert_eq!(
        out.event::<IStateSender::NewRegistration>(ss),
        IStateSender::NewRegistration {
            user: owner.address(),
            sender: sender.address(),
            receiver,
        }
    );
    assert_eq!(
        chain.view(ss, IStateSender::registrationsCall { receiver }),
        sender.address()
    );

    // Ids count from 1, one per sync.
    for (id, data) in [(1u64, &b"first"[..]), (2, &[0u8; 100][..]), (3, &b""[..])] {
        let out = chain.exec(&sender, ss, sync(data));
        assert_eq!(
            out.event::<IStateSender::StateSynced>(ss),
            IStateSender::StateSynced {
                id: U256::from(id),
                contractAddress: receiver,
                data: Bytes::copy_from_slice(data),
            }
        );
    }
    assert_eq!(chain.view(ss, IStateSender::counterCall {}), U256::from(3));
    // The owner is still not a sender, and the sender only reaches its own receiver.
    chain.exec_fails(&owner, ss, sync(b"x"));
    let reason = chain.exec_fails(
        &sender,
        ss,
        IStateSender::syncStateCall {
            receiver: Address::repeat_byte(0xef),
            data: Bytes::new(),
        },
    );
    assert_eq!(
        error::<IStateSender::NotRegisteredSender>(&reason).registered,
        Address::ZERO
    );
    assert_eq!(chain.view(ss, IStateSender::counterCall {}), U256::from(3));
}

fn deposit_call(user: Address, token: Address, amount: U256) -> IRootChainManager::depositForCall {
    IRootChainManager::depositForCall {
        user,
        rootToken: token,
        depositData: amount.abi_encode().into(),
    }
}

#[test]
fn map_token_and_deposit_lock_tokens_and_sync_the_specified_payloads() {
    let mut b = bridge(false);
    let (owner, alice) = (key(1), key(2));
    let receiver = Address::repeat_byte(0x77);
    let (rcm, token) = (b.rcm, b.token);

    // The manager deployed its predicate (its first CREATE) and knows its settings.
    assert_eq!(b.predicate, rcm.create(1));
    assert!(b.chain.code_len(b.predicate) > 0);
    assert_eq!(
        b.chain.view(b.predicate, IERC20Predicate::managerCall {}),
        rcm
    );
    assert_eq!(
        b.chain.view(rcm, IRootChainManager::stateSenderCall {}),
        b.ss
    );
    assert_eq!(
        b.chain
            .view(rcm, IRootChainManager::childTokenCodeHashCall {}),
        bttc_engine_contracts::child_token_code_hash().unwrap()
    );
    assert_eq!(
        b.chain.view(rcm, IRootChainManager::MAP_TOKENCall {}),
        MAP_TOKEN
    );
    assert_eq!(
        b.chain.view(rcm, IRootChainManager::DEPOSITCall {}),
        DEPOSIT
    );
    let child = child_token_address(CHAIN_ID, token).unwrap();
    assert_eq!(
        b.chain.view(
            rcm,
            IRootChainManager::childTokenAddressCall { rootToken: token }
        ),
        child
    );

    // Not mapped yet: no deposit. Only the owner maps, and only once registered.
    let reason = b
        .chain
        .exec_fails(&alice, rcm, deposit_call(receiver, token, U256::from(1)));
    assert_eq!(
        error::<IRootChainManager::TokenNotMapped>(&reason).rootToken,
        token
    );
    let map = IRootChainManager::mapTokenCall { rootToken: token };
    let reason = b.chain.exec_fails(&alice, rcm, map.clone());
    assert_eq!(
        error::<IRootChainManager::NotOwner>(&reason).caller,
        alice.address()
    );
    let reason = b.chain.exec_fails(&owner, rcm, map.clone());
    assert_eq!(
        error::<IStateSender::NotRegisteredSender>(&reason),
        IStateSender::NotRegisteredSender {
            caller: rcm,
            receiver: CHILD_CHAIN_MANAGER_ADDRESS,
            registered: Address::ZERO,
        }
    );
    b.chain.exec(
        &owner,
        b.ss,
        IStateSender::registerCall {
            sender: rcm,
            receiver: CHILD_CHAIN_MANAGER_ADDRESS,
        },
    );

    // mapToken: MAP_TOKEN sync with the token's metadata, then TokenMapped.
    let out = b.chain.exec(&owner, rcm, map.clone());
    let synced = out.event::<IStateSender::StateSynced>(b.ss);
    assert_eq!(
        synced,
        IStateSender::StateSynced {
            id: U256::from(1),
            contractAddress: CHILD_CHAIN_MANAGER_ADDRESS,
            data: map_token_payload(CHAIN_ID, token, "Test Token", "TT", 18),
        }
    );
    assert_eq!(
        out.event::<IRootChainManager::TokenMapped>(rcm),
        IRootChainManager::TokenMapped {
            rootToken: token,
            childToken: child,
        }
    );
    assert_eq!(
        b.chain.view(
            rcm,
            IRootChainManager::rootToChildTokenCall { rootToken: token }
        ),
        child
    );
    assert_eq!(
        b.chain.view(
            rcm,
            IRootChainManager::childToRootTokenCall { childToken: child }
        ),
        token
    );
    let reason = b.chain.exec_fails(&owner, rcm, map);
    assert_eq!(
        error::<IRootChainManager::TokenAlreadyMapped>(&reason),
        IRootChainManager::TokenAlreadyMapped {
            rootToken: token,
            childToken: child,
        }
    );

    // depositFor: needs the predicate's allowance.
    let amount = U256::from(2500);
    let reason = b
        .chain
        .exec_fails(&alice, rcm, deposit_call(receiver, token, amount));
    assert_eq!(
        error::<IERC20Predicate::TokenCallFailed>(&reason),
        IERC20Predicate::TokenCallFailed {
            token,
            selector: IERC20::transferFromCall::SELECTOR.into(),
        }
    );
    b.chain.exec(
        &alice,
        token,
        IERC20::approveCall {
            spender: b.predicate,
            value: U256::MAX,
        },
    );
    let alice_before = balance(&b.chain, token, alice.address());
    let out = b
        .chain
        .exec(&alice, rcm, deposit_call(receiver, token, amount));
    // Logs in order: the token transfer, LockedERC20, StateSynced (DEPOSIT).
    assert_eq!(out.logs.len(), 3);
    assert_eq!(
        out.event::<IERC20::Transfer>(token),
        IERC20::Transfer {
            from: alice.address(),
            to: b.predicate,
            value: amount,
        }
    );
    assert_eq!(
        out.event::<IERC20Predicate::LockedERC20>(b.predicate),
        IERC20Predicate::LockedERC20 {
            depositor: alice.address(),
            depositReceiver: receiver,
            rootToken: token,
            amount,
        }
    );
    assert_eq!(out.logs[1].address, b.predicate);
    assert_eq!(out.logs[2].address, b.ss);
    assert_eq!(
        out.event::<IStateSender::StateSynced>(b.ss),
        IStateSender::StateSynced {
            id: U256::from(2),
            contractAddress: CHILD_CHAIN_MANAGER_ADDRESS,
            data: deposit_payload(CHAIN_ID, receiver, token, amount),
        }
    );
    assert_eq!(balance(&b.chain, token, b.predicate), amount);
    assert_eq!(
        balance(&b.chain, token, alice.address()),
        alice_before - amount
    );

    // Refused deposits: malformed depositData, zero, the zero receiver, an unmapped token.
    let mut long = deposit_call(receiver, token, amount);
    long.depositData = [amount.abi_encode(), amount.abi_encode()].concat().into();
    let reason = b.chain.exec_fails(&alice, rcm, long);
    assert_eq!(
        error::<IRootChainManager::BadDepositData>(&reason).length,
        U256::from(64)
    );
    let reason = b
        .chain
        .exec_fails(&alice, rcm, deposit_call(receiver, token, U256::ZERO));
    error::<IRootChainManager::ZeroAmount>(&reason);
    let reason = b
        .chain
        .exec_fails(&alice, rcm, deposit_call(Address::ZERO, token, amount));
    error::<IRootChainManager::ZeroAddress>(&reason);
    let other = Address::repeat_byte(0x99);
    let reason = b
        .chain
        .exec_fails(&alice, rcm, deposit_call(receiver, other, amount));
    assert_eq!(
        error::<IRootChainManager::TokenNotMapped>(&reason).rootToken,
        other
    );
    // Only the manager locks or releases through the predicate.
    let reason = b.chain.exec_fails(
        &alice,
        b.predicate,
        IERC20Predicate::lockTokensCall {
            depositor: alice.address(),
            depositReceiver: receiver,
            rootToken: token,
            depositData: amount.abi_encode().into(),
        },
    );
    assert_eq!(
        error::<IERC20Predicate::NotManager>(&reason).caller,
        alice.address()
    );
    let reason = b.chain.exec_fails(
        &alice,
        b.predicate,
        IERC20Predicate::releaseTokensCall {
            exitor: alice.address(),
            rootToken: token,
            amount,
        },
    );
    assert_eq!(
        error::<IERC20Predicate::NotManager>(&reason).caller,
        alice.address()
    );
    assert_eq!(balance(&b.chain, token, b.predicate), amount);
    assert_eq!(
        b.chain.view(b.ss, IStateSender::counterCall {}),
        U256::from(2)
    );
}

#[test]
fn the_predicate_releases_only_for_its_manager() {
    // The exit path of the checkpoint issue: a predicate whose manager is an account.
    let mut chain = Chain::new(&genesis(&[]), false);
    let (owner, manager) = (key(1), key(2));
    let token = chain.deploy(
        &owner,
        test_token_init_code("Test Token", "TT", tokens(1000)).unwrap(),
    );
    let mut init = bttc_engine_contracts::erc20_predicate()
        .unwrap()
        .bytecode
        .to_vec();
    init.extend_from_slice(&manager.address().abi_encode());
    let predicate = chain.deploy(&owner, init.into());
    chain.exec(
        &owner,
        token,
        IERC20::approveCall {
            spender: predicate,
            value: U256::MAX,
        },
    );
    let amount = tokens(3);
    let out = chain.exec(
        &manager,
        predicate,
        IERC20Predicate::lockTokensCall {
            depositor: owner.address(),
            depositReceiver: owner.address(),
            rootToken: token,
            depositData: amount.abi_encode().into(),
        },
    );
    assert_eq!(
        out.event::<IERC20Predicate::LockedERC20>(predicate).amount,
        amount
    );
    let exitor = Address::repeat_byte(0x55);
    let out = chain.exec(
        &manager,
        predicate,
        IERC20Predicate::releaseTokensCall {
            exitor,
            rootToken: token,
            amount: tokens(1),
        },
    );
    assert_eq!(
        out.event::<IERC20Predicate::ExitedERC20>(predicate),
        IERC20Predicate::ExitedERC20 {
            exitor,
            rootToken: token,
            amount: tokens(1),
        }
    );
    assert_eq!(balance(&chain, token, exitor), tokens(1));
    assert_eq!(balance(&chain, token, predicate), tokens(2));
    // Releasing more than it holds fails in the token.
    let reason = chain.exec_fails(
        &manager,
        predicate,
        IERC20Predicate::releaseTokensCall {
            exitor,
            rootToken: token,
            amount: tokens(5),
        },
    );
    assert_eq!(
        error::<IERC20Predicate::TokenCallFailed>(&reason).token,
        token
    );
}

#[test]
fn the_root_contracts_run_on_the_berlin_profile() {
    // Root chains such as TRON lack the newest opcodes: the root contracts are compiled for
    // berlin and must work on an engine with berlin rules (legacy transactions, no PUSH0).
    let mut chain = Chain::new(&common::berlin(genesis(&[])), true);
    let owner = key(1);
    // A berlin-compiled ERC-20 as the staking token: a ChildERC20 whose manager is key 1.
    let token = chain.deploy(
        &owner,
        bttc_engine_contracts::child_erc20()
            .unwrap()
            .bytecode
            .clone(),
    );
    chain.exec(
        &owner,
        token,
        bttc_engine_contracts::abi::IChildERC20::mintCall {
            to: owner.address(),
            amount: tokens(10),
        },
    );
    let sm = chain.deploy(
        &owner,
        stake_manager_init_code(token, U256::from(1), U256::ZERO).unwrap(),
    );
    chain.exec(
        &owner,
        token,
        IERC20::approveCall {
            spender: sm,
            value: U256::MAX,
        },
    );
    let out = chain.exec(&owner, sm, stake_for(owner.address(), 10, &key(5)));
    assert_eq!(
        out.event::<IStakeManager::Staked>(sm).validatorId,
        U256::from(1)
    );
    chain.exec(
        &owner,
        sm,
        IStakeManager::unstakeCall {
            validatorId: U256::from(1),
        },
    );
    let out = chain.exec(
        &owner,
        sm,
        IStakeManager::unstakeClaimCall {
            validatorId: U256::from(1),
        },
    );
    assert_eq!(
        out.event::<IStakeManager::Unstaked>(sm).amount,
        U256::from(10)
    );
    let ss = common::root::state_sender_on(&mut chain);
    let rcm = chain.deploy(
        &owner,
        bttc_engine_contracts::root_chain_manager_init_code(ss).unwrap(),
    );
    chain.exec(
        &owner,
        ss,
        IStateSender::registerCall {
            sender: rcm,
            receiver: CHILD_CHAIN_MANAGER_ADDRESS,
        },
    );
    let out = chain.exec(
        &owner,
        rcm,
        IRootChainManager::mapTokenCall { rootToken: token },
    );
    assert_eq!(
        out.event::<IRootChainManager::TokenMapped>(rcm).childToken,
        child_token_address(CHAIN_ID, token).unwrap()
    );
}
