//! Test support shared by the bttc-engine crates' tests: deterministic keys, a small test genesis,
//! signed EIP-1559 and legacy transactions, a hand-assembled contract and its deployment, seal
//! signing, and building, sealing and importing blocks through any [`Engine`].
//!
//! Every helper panics on failure: a failure here is a broken test, not an input to handle.
//! Block building and import assert what a well-behaved engine must answer (VALID statuses, the
//! seal hash it reports, the head moving to the imported block).
// Test-support code: a panic is how a helper reports a broken test.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

use alloy_consensus::{SignableTransaction, Signed, TxEip1559, TxEnvelope, TxLegacy};
use alloy_eips::eip2718::Encodable2718;
use alloy_primitives::{Address, Bytes, Signature, TxKind, B256, U256};
use alloy_signer::SignerSync;
use alloy_signer_local::PrivateKeySigner;
use bttc_engine_api::{self as api, Engine, ForkchoiceState, PayloadAttributes, PayloadStatus};
use bttc_engine_chainspec::ChainSpec;
use bttc_engine_executor::InProcessEngine;

/// The chain id of the test genesis and of every transaction signed here.
pub const CHAIN_ID: u64 = 1029;

/// `maxFeePerGas` of the EIP-1559 transactions signed here (10 gwei).
pub const MAX_FEE_PER_GAS: u128 = 10_000_000_000;

/// `maxPriorityFeePerGas` of the EIP-1559 transactions signed here (1 gwei).
pub const MAX_PRIORITY_FEE_PER_GAS: u128 = 1_000_000_000;

/// `gasPrice` of the legacy transactions signed here (5 gwei).
pub const LEGACY_GAS_PRICE: u128 = 5_000_000_000;

/// Genesis balance of keys 1 and 2 (100 ether), as genesis JSON hex.
pub const GENESIS_BALANCE: &str = "0x56bc75e2d63100000";

/// The deterministic test key whose secret is 32 bytes of `n` (`n` must not be 0).
pub fn key(n: u8) -> PrivateKeySigner {
    PrivateKeySigner::from_bytes(&B256::repeat_byte(n)).unwrap()
}

/// The test genesis as JSON: chain [`CHAIN_ID`], gas limit 30M, base fee 1 gwei, keys 1 and 2
/// funded with [`GENESIS_BALANCE`]. Callers may add `alloc` entries before parsing it.
pub fn genesis_json() -> serde_json::Value {
    let mut alloc = serde_json::Map::new();
    for n in [1, 2] {
        alloc.insert(
            key(n).address().to_string(),
            serde_json::json!({ "balance": GENESIS_BALANCE }),
        );
    }
    serde_json::json!({
        "config": { "chainId": CHAIN_ID },
        "gasLimit": "0x1c9c380",
        "baseFeePerGas": "0x3b9aca00",
        "alloc": alloc,
    })
}

/// Parses a genesis JSON value into a chain spec.
pub fn spec_from(genesis: &serde_json::Value) -> ChainSpec {
    ChainSpec::from_json(&genesis.to_string()).unwrap()
}

/// The chain spec of [`genesis_json`].
pub fn spec() -> ChainSpec {
    spec_from(&genesis_json())
}

/// An in-process engine on [`spec`] with its database in `dir`.
pub fn open(dir: &std::path::Path) -> InProcessEngine {
    InProcessEngine::open(dir, spec()).unwrap()
}

/// Signs any transaction type with `from`; returns its EIP-2718 encoding (plain RLP for legacy).
pub fn sign_tx<T>(from: &PrivateKeySigner, tx: T) -> Vec<u8>
where
    T: SignableTransaction<Signature>,
    TxEnvelope: From<Signed<T>>,
{
    let sig = from.sign_hash_sync(&tx.signature_hash()).unwrap();
    TxEnvelope::from(tx.into_signed(sig)).encoded_2718()
}

/// Signs a type-2 `tx` with `from`; returns the EIP-2718 encoding.
pub fn sign1559(from: &PrivateKeySigner, tx: TxEip1559) -> Vec<u8> {
    sign_tx(from, tx)
}

/// A signed type-2 transaction on [`CHAIN_ID`] with the default fees ([`MAX_FEE_PER_GAS`],
/// [`MAX_PRIORITY_FEE_PER_GAS`]).
pub fn tx1559(
    from: &PrivateKeySigner,
    nonce: u64,
    to: TxKind,
    value: u64,
    gas_limit: u64,
    input: Vec<u8>,
) -> Vec<u8> {
    sign1559(
        from,
        TxEip1559 {
            chain_id: CHAIN_ID,
            nonce,
            gas_limit,
            max_fee_per_gas: MAX_FEE_PER_GAS,
            max_priority_fee_per_gas: MAX_PRIORITY_FEE_PER_GAS,
            to,
            value: U256::from(value),
            input: Bytes::from(input),
            ..Default::default()
        },
    )
}

/// A signed type-2 transfer of `value` wei to `to` (gas limit 21,000).
pub fn transfer(from: &PrivateKeySigner, nonce: u64, to: Address, value: u64) -> Vec<u8> {
    tx1559(from, nonce, TxKind::Call(to), value, 21_000, vec![])
}

/// A signed legacy transaction at [`LEGACY_GAS_PRICE`]; `chain_id` `None` signs it without
/// EIP-155 replay protection.
pub fn legacy_tx(
    from: &PrivateKeySigner,
    chain_id: Option<u64>,
    nonce: u64,
    to: TxKind,
    value: u64,
    gas_limit: u64,
    input: Vec<u8>,
) -> Vec<u8> {
    sign_tx(
        from,
        TxLegacy {
            chain_id,
            nonce,
            gas_price: LEGACY_GAS_PRICE,
            gas_limit,
            to,
            value: U256::from(value),
            input: Bytes::from(input),
        },
    )
}

/// A signed legacy call of `to` with `data` on [`CHAIN_ID`] (no value, gas limit 100,000).
pub fn legacy_call(from: &PrivateKeySigner, nonce: u64, to: Address, data: Vec<u8>) -> Vec<u8> {
    legacy_tx(
        from,
        Some(CHAIN_ID),
        nonce,
        TxKind::Call(to),
        0,
        100_000,
        data,
    )
}

/// Runtime: SSTORE(0, 42); LOG1(topic 0xff, no data); STOP.
pub const RUNTIME: [u8; 13] = [
    0x60, 0x2a, 0x60, 0x00, 0x55, 0x60, 0xff, 0x60, 0x00, 0x60, 0x00, 0xa1, 0x00,
];

/// Init code that returns `runtime` (CODECOPY of the bytes after its 12-byte prefix, RETURN).
/// Panics if `runtime` is longer than 255 bytes.
pub fn init_code_for(runtime: &[u8]) -> Vec<u8> {
    let len = u8::try_from(runtime.len()).unwrap();
    let mut code = vec![
        0x60, len, 0x60, 0x0c, 0x60, 0x00, 0x39, 0x60, len, 0x60, 0x00, 0xf3,
    ];
    code.extend_from_slice(runtime);
    code
}

/// Init code that returns [`RUNTIME`].
pub fn init_code() -> Vec<u8> {
    init_code_for(&RUNTIME)
}

/// A signed type-2 deployment of [`RUNTIME`] (gas limit 200,000).
pub fn deploy(from: &PrivateKeySigner, nonce: u64) -> Vec<u8> {
    tx1559(from, nonce, TxKind::Create, 0, 200_000, init_code())
}

/// The mixed set the engine tests build their first block from, in nonce order: `alice` sends
/// `carol` 1,000 wei (type 2, nonce 0), deploys [`RUNTIME`] (type 2, nonce 1, so at
/// `alice.address().create(1)`), `bob` sends `carol` 2,000 wei (nonce 0), and `alice` calls the
/// contract with a legacy transaction (nonce 2), which stores 42 and logs once.
pub fn mixed_txs(alice: &PrivateKeySigner, bob: &PrivateKeySigner, carol: Address) -> Vec<Vec<u8>> {
    let contract = alice.address().create(1);
    vec![
        transfer(alice, 0, carol, 1_000),
        deploy(alice, 1),
        transfer(bob, 0, carol, 2_000),
        legacy_call(alice, 2, contract, vec![]),
    ]
}

/// `a` as the engine API's address type.
pub fn api_addr(a: Address) -> api::Address {
    api::Address(a.0 .0)
}

/// A state-sync record for the engine API.
pub fn record(id: u64, receiver: Address, data: &[u8]) -> api::StateSyncRecord {
    api::StateSyncRecord {
        id,
        receiver: api_addr(receiver),
        data: api::Bytes(data.to_vec()),
    }
}

/// Signs `payload`'s seal hash with `signer` and seals it.
pub fn sign_seal(signer: &PrivateKeySigner, payload: &mut api::ExecutablePayload) {
    let hash = payload.seal_hash().unwrap();
    let sig = signer.sign_hash_sync(&B256::from(hash.0)).unwrap();
    payload.seal(sig.as_rsy()).unwrap();
}

/// Builds a block on `engine`'s head with these system-call inputs, produced and sealed by
/// `producer`. Asserts the forkchoice update is VALID and the reported seal hash is the
/// payload's.
pub fn build_sealed_with(
    engine: &dyn Engine,
    producer: &PrivateKeySigner,
    timestamp: u64,
    records: Vec<api::StateSyncRecord>,
    span_commit: Option<api::SpanCommit>,
) -> api::ExecutablePayload {
    let head = engine.head().unwrap();
    let attrs = PayloadAttributes {
        timestamp,
        producer: api_addr(producer.address()),
        state_sync_records: records,
        span_commit,
        max_transactions_bytes: None,
    };
    let fcu = engine
        .forkchoice_updated(ForkchoiceState::finalized(head.hash), Some(attrs))
        .unwrap();
    assert!(fcu.payload_status.is_valid());
    let built = engine.get_payload(fcu.payload_id.unwrap()).unwrap();
    assert_eq!(built.seal_hash, built.payload.seal_hash().unwrap());
    let mut payload = built.payload;
    sign_seal(producer, &mut payload);
    payload
}

/// Builds a block on `engine`'s head with the producer `producer`, sealed by it (no span
/// commit); see [`build_sealed_with`].
pub fn build_sealed(
    engine: &dyn Engine,
    producer: &PrivateKeySigner,
    timestamp: u64,
    records: Vec<api::StateSyncRecord>,
) -> api::ExecutablePayload {
    build_sealed_with(engine, producer, timestamp, records, None)
}

/// `new_payload` then `forkchoice_updated` to the block; asserts both are VALID and the head is
/// the block.
pub fn import(engine: &dyn Engine, payload: &api::ExecutablePayload) {
    let status = engine.new_payload(payload.clone()).unwrap();
    assert_eq!(
        status,
        PayloadStatus::Valid {
            latest_valid_hash: payload.block_hash
        }
    );
    let fcu = engine
        .forkchoice_updated(ForkchoiceState::finalized(payload.block_hash), None)
        .unwrap();
    assert!(fcu.payload_status.is_valid());
    assert_eq!(engine.head().unwrap().hash, payload.block_hash);
}

/// The validation error of an INVALID status; panics on any other status.
pub fn invalid_reason(status: PayloadStatus) -> String {
    match status {
        PayloadStatus::Invalid {
            validation_error, ..
        } => validation_error,
        other => panic!("expected INVALID, got {other:?}"),
    }
}

/// Copies of a good sealed payload, each spoilt one way that `new_payload` must answer INVALID;
/// [`Tampered::cases`] pairs each with the words its reason must mention.
#[derive(Debug, Clone)]
pub struct Tampered {
    /// The last transaction replaced, re-sealed: execution disagrees with the header.
    pub changed_tx: api::ExecutablePayload,
    /// The last transaction dropped without re-sealing: the block hash no longer matches.
    pub unsealed_change: api::ExecutablePayload,
    /// A wrong state root, re-sealed.
    pub bad_root: api::ExecutablePayload,
    /// A parent that is not the head (on a chain at genesis), re-sealed.
    pub bad_parent: api::ExecutablePayload,
    /// Sealed by key 8 instead of the producer (the producer must not be key 8).
    pub bad_seal: api::ExecutablePayload,
    /// Gas used one over the gas limit, re-sealed.
    pub over_gas: api::ExecutablePayload,
}

impl Tampered {
    /// Spoils `good` (sealed by `producer`, with at least one transaction); `other_tx` is the
    /// signed transaction that replaces its last one in [`Tampered::changed_tx`].
    pub fn new(
        good: &api::ExecutablePayload,
        producer: &PrivateKeySigner,
        other_tx: Vec<u8>,
    ) -> Self {
        let resealed = |spoil: &dyn Fn(&mut api::ExecutablePayload)| {
            let mut p = good.clone();
            spoil(&mut p);
            sign_seal(producer, &mut p);
            p
        };
        let mut unsealed_change = good.clone();
        unsealed_change
            .transactions
            .pop()
            .expect("a good payload with a transaction");
        let mut bad_seal = good.clone();
        sign_seal(&key(8), &mut bad_seal);
        Self {
            changed_tx: resealed(&|p| {
                *p.transactions
                    .last_mut()
                    .expect("a good payload with a transaction") = api::Bytes(other_tx.clone());
            }),
            unsealed_change,
            bad_root: resealed(&|p| p.state_root = api::H256([7; 32])),
            bad_parent: resealed(&|p| p.parent_hash = api::H256([1; 32])),
            bad_seal,
            over_gas: resealed(&|p| p.gas_used = p.gas_limit + 1),
        }
    }

    /// Each spoilt payload with a name and the words one of which its INVALID reason must
    /// contain.
    pub fn cases(
        &self,
    ) -> [(
        &'static str,
        &api::ExecutablePayload,
        &'static [&'static str],
    ); 6] {
        [
            (
                "changed transaction",
                &self.changed_tx,
                &["state root", "receipts root"],
            ),
            ("unsealed change", &self.unsealed_change, &["block hash"]),
            ("wrong state root", &self.bad_root, &["state root"]),
            ("wrong parent", &self.bad_parent, &["is not the head"]),
            ("sealed by another key", &self.bad_seal, &["seal signed by"]),
            (
                "gas over the limit",
                &self.over_gas,
                &["exceeds the gas limit"],
            ),
        ]
    }
}

/// Asserts `status` is INVALID with a reason that contains at least one of `mentions`.
pub fn assert_invalid_mentioning(what: &str, status: PayloadStatus, mentions: &[&str]) {
    let reason = invalid_reason(status);
    assert!(
        mentions.iter().any(|m| reason.contains(m)),
        "{what}: {reason:?} mentions none of {mentions:?}"
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn init_code_for_runtime_matches_the_hand_assembled_prefix() {
        let mut expected = vec![
            0x60, 0x0d, 0x60, 0x0c, 0x60, 0x00, 0x39, 0x60, 0x0d, 0x60, 0x00, 0xf3,
        ];
        expected.extend_from_slice(&RUNTIME);
        assert_eq!(init_code(), expected);
    }

    #[test]
    fn genesis_funds_keys_1_and_2_on_the_test_chain() {
        let spec = spec();
        assert_eq!(spec.alloc.len(), 2);
        let balance: U256 = GENESIS_BALANCE.parse().unwrap();
        for n in [1, 2] {
            assert_eq!(spec.alloc[&key(n).address()].balance, balance);
        }
    }

    #[test]
    fn the_mixed_txs_fill_a_block_that_imports_into_a_second_engine() {
        let (da, db) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let (a, b) = (open(da.path()), open(db.path()));
        let (alice, carol) = (key(1), Address::repeat_byte(0xc0));
        for raw in mixed_txs(&alice, &key(2), carol) {
            let check = a.check_tx(&raw).unwrap();
            assert!(matches!(check, api::TxCheck::Accepted(_)), "{check:?}");
        }
        let payload = build_sealed(&a, &key(9), 10, vec![record(1, carol, &[1])]);
        assert_eq!(payload.transactions.len(), 4);
        import(&b, &payload);
        import(&a, &payload);
        assert_eq!(a.head().unwrap(), b.head().unwrap());
        let contract = alice.address().create(1);
        assert_eq!(
            b.storage_at(contract.0 .0, U256::ZERO).unwrap(),
            U256::from(42)
        );
    }

    #[test]
    fn every_tampered_payload_is_invalid_with_its_reason() {
        let (da, db) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let (a, b) = (open(da.path()), open(db.path()));
        let (alice, producer, carol) = (key(1), key(9), Address::repeat_byte(0xc0));
        a.check_tx(&transfer(&alice, 0, carol, 1_000)).unwrap();
        a.check_tx(&transfer(&alice, 1, carol, 1_000)).unwrap();
        let good = build_sealed(&a, &producer, 10, vec![]);
        let spoilt = Tampered::new(&good, &producer, transfer(&alice, 1, carol, 999));
        for (what, payload, mentions) in spoilt.cases() {
            assert_ne!(payload, &good, "{what}");
            assert_invalid_mentioning(what, b.new_payload(payload.clone()).unwrap(), mentions);
        }
        import(&b, &good);
    }

    #[test]
    #[should_panic(expected = "mentions none of")]
    fn assert_invalid_mentioning_rejects_another_reason() {
        let status = PayloadStatus::Invalid {
            latest_valid_hash: None,
            validation_error: "state root".into(),
        };
        assert_invalid_mentioning("case", status, &["block hash"]);
    }

    #[test]
    fn invalid_reason_returns_the_validation_error() {
        let status = PayloadStatus::Invalid {
            latest_valid_hash: None,
            validation_error: "bad".into(),
        };
        assert_eq!(invalid_reason(status), "bad");
    }
}
