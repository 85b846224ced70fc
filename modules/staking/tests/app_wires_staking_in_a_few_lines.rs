//! The module used only through its public API, the way app/app wires it: genesis through the
//! `Module` trait, InitChain's validator set, a side msg decoded from its type URL and run
//! through `check_stateless` / `check_stateful` / `post_execute`, FinalizeBlock's `end_block`,
//! and a query.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use delivery_module::crypto::SecretKey;
use delivery_module::{BlockInfo, Context, ExecMode, Module, Msg, SideMsgHandler};
use delivery_rootchain::RootEvent;
use delivery_staking::{
    active_validators, end_block, genesis_validator_updates, Genesis, MsgValidatorJoin,
    PowerUpdate, StakingModule, Validator, ATTO_PER_BTT,
};
use delivery_store::{EmptyState, StateDelta};
use prost::Message;

fn keys(seed: u8) -> (SecretKey, [u8; 32]) {
    let signer = SecretKey::from_bytes(&[seed; 32]).unwrap();
    let consensus = ed25519_dalek::SigningKey::from_bytes(&[seed.wrapping_add(100); 32])
        .verifying_key()
        .to_bytes();
    (signer, consensus)
}

#[test]
fn app_wires_staking_in_a_few_lines() {
    // InitChain: the genesis section from JSON, validated and written; its set goes to CometBFT.
    let (key1, cons1) = keys(1);
    let genesis_validator = Validator {
        id: 1,
        signer: key1.address(),
        signer_pubkey: key1.public_key().to_uncompressed(),
        consensus_pubkey: cons1,
        stake: 1_000_000_000_000 * ATTO_PER_BTT,
        start_epoch: 1,
        end_epoch: 0,
        nonce: 1,
    };
    let json = serde_json::json!({
        "current_epoch": 1,
        "validators": [serde_json::to_value(&genesis_validator).unwrap()],
    });
    let genesis: Genesis = serde_json::from_value(json).unwrap();
    StakingModule::validate_genesis(&genesis).unwrap();
    let mut state = StateDelta::new(EmptyState);
    StakingModule::init_genesis(&mut state, &genesis).unwrap();
    assert_eq!(
        genesis_validator_updates(&state).unwrap(),
        vec![PowerUpdate {
            consensus_pubkey: cons1,
            power: 1
        }]
    );

    // A tx carries a join as (type URL, bytes); the router decodes it by type URL.
    let (key2, cons2) = keys(2);
    let join = MsgValidatorJoin {
        from: key2.address().to_string(),
        event: Some(RootEvent {
            root_chain: "tron".into(),
            tx_hash: vec![9; 32],
            block_number: 77,
            log_index: 3,
        }),
        validator_id: 2,
        activation_epoch: 1,
        amount: (5 * ATTO_PER_BTT).to_string(),
        signer_pubkey: key2.public_key().to_uncompressed().to_vec(),
        consensus_pubkey: cons2.to_vec(),
        nonce: 1,
    };
    let (type_url, bytes) = (MsgValidatorJoin::TYPE_URL, join.encode_to_vec());
    assert_eq!(type_url, "/delivery.staking.v1.MsgValidatorJoin");
    let routed = MsgValidatorJoin::decode(bytes.as_slice()).unwrap();
    routed.check_stateless().unwrap();
    assert_eq!(routed.signer().unwrap(), key2.address());

    let block = BlockInfo {
        chain_id: "delivery-test".into(),
        height: 5,
        time_seconds: 1_700_000_000,
        time_nanos: 0,
    };
    let ctx = Context::new(&block, ExecMode::Deliver);
    SideMsgHandler::check_stateful(&routed, &ctx, &state).unwrap();

    // Next block, after the vote: the post-handler on a per-msg overlay, then end_block.
    let mut ctx = Context::new(&block, ExecMode::Deliver);
    let changes = {
        let mut overlay = StateDelta::new(&state);
        routed.post_execute(&mut ctx, &mut overlay).unwrap();
        overlay.into_changes()
    };
    state.apply(changes);
    assert_eq!(ctx.take_events()[0].kind, "staking.join");

    let updates = end_block(&mut state, &mut ctx).unwrap();
    assert_eq!(
        updates,
        vec![PowerUpdate {
            consensus_pubkey: cons2,
            power: 1
        }]
    );
    assert!(ctx
        .events()
        .iter()
        .any(|e| e.kind == "staking.validator_set_update"));

    // The span module's producer pool.
    let pool: Vec<(u64, i64)> = active_validators(&state)
        .unwrap()
        .iter()
        .map(|v| (v.id, v.power))
        .collect();
    assert_eq!(pool, vec![(1, 1), (2, 1)]);

    // `custom/staking/validator-set`.
    let answer: serde_json::Value =
        serde_json::from_slice(&StakingModule::query(&state, "validator-set", b"").unwrap())
            .unwrap();
    assert_eq!(answer["total_power"], 2);

    // Export and re-import give the same section.
    let exported = StakingModule::export_genesis(&state).unwrap();
    let mut again = StateDelta::new(EmptyState);
    StakingModule::init_genesis(&mut again, &exported).unwrap();
    assert_eq!(StakingModule::export_genesis(&again).unwrap(), exported);
}
