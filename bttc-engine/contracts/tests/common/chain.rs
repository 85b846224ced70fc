//! A chain to run contracts on: one in-process engine, one transaction per block, eth_call for
//! views and revert reasons.

use std::collections::BTreeMap;

use alloy_primitives::{Address, Bytes, Log, TxKind, U256};
use alloy_signer_local::PrivateKeySigner;
use alloy_sol_types::{SolCall, SolError, SolEvent};
use bttc_engine_api::{self as api, Engine, TxCheck};
use bttc_engine_executor::{BlockSelector, CallOutcome, CallRequest, InProcessEngine};

use super::{build_and_import, key, logs, open};

/// Gas limit of every transaction sent by [`Chain::send`].
pub const TX_GAS: u64 = 8_000_000;

/// The outcome of one transaction.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// Whether it succeeded.
    pub status: bool,
    /// Its logs, in order.
    pub logs: Vec<Log>,
}

impl Outcome {
    /// The logs of `E` emitted by `emitter`, decoded, in order.
    pub fn events<E: SolEvent>(&self, emitter: Address) -> Vec<E> {
        self.logs
            .iter()
            .filter(|l| l.address == emitter && l.topics().first() == Some(&E::SIGNATURE_HASH))
            .map(|l| E::decode_log_data(&l.data).unwrap())
            .collect()
    }

    /// The one `E` emitted by `emitter`.
    pub fn event<E: SolEvent>(&self, emitter: Address) -> E {
        let mut all = self.events::<E>(emitter);
        assert_eq!(all.len(), 1, "expected one {} log", E::SIGNATURE);
        all.pop().unwrap()
    }
}

/// An engine that mines every transaction in its own block.
pub struct Chain {
    pub engine: InProcessEngine,
    _dir: tempfile::TempDir,
    nonces: BTreeMap<Address, u64>,
    /// Sign legacy transactions (for the berlin profile).
    legacy: bool,
}

impl Chain {
    /// A chain on `genesis`; `legacy` signs legacy transactions (needed on berlin).
    pub fn new(genesis: &serde_json::Value, legacy: bool) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let engine = open(dir.path(), genesis);
        Self {
            engine,
            _dir: dir,
            nonces: BTreeMap::new(),
            legacy,
        }
    }

    fn next_timestamp(&self) -> u64 {
        self.engine.head().unwrap().timestamp + 2
    }

    /// Mines a block with these state-sync records and no transaction; returns its logs.
    pub fn records(&mut self, records: Vec<api::StateSyncRecord>) -> Vec<Log> {
        let ts = self.next_timestamp();
        let p = build_and_import(&self.engine, &[], ts, records, None);
        logs(&self.engine, p.block_hash)
            .into_iter()
            .map(|(_, l)| l)
            .collect()
    }

    /// Sends one transaction and mines it alone in a block.
    pub fn send(&mut self, from: &PrivateKeySigner, to: TxKind, input: Vec<u8>) -> Outcome {
        let nonce = self.nonces.entry(from.address()).or_insert(0);
        let raw = if self.legacy {
            bttc_engine_testkit::legacy_tx(
                from,
                Some(bttc_engine_testkit::CHAIN_ID),
                *nonce,
                to,
                0,
                TX_GAS,
                input,
            )
        } else {
            bttc_engine_testkit::tx1559(from, *nonce, to, 0, TX_GAS, input)
        };
        *nonce += 1;
        match self.engine.check_tx(&raw).unwrap() {
            TxCheck::Accepted(_) => {}
            other => panic!("transaction refused by the pool: {other:?}"),
        }
        let ts = self.next_timestamp();
        let p = build_and_import(&self.engine, &[], ts, vec![], None);
        assert_eq!(p.transactions.len(), 1);
        let receipts = self.engine.receipts(p.block_hash).unwrap().unwrap();
        let r = &receipts.receipts[0];
        Outcome {
            status: r.status(),
            logs: r.logs().to_vec(),
        }
    }

    /// Sends `call` to `to`; asserts it succeeded.
    pub fn exec<C: SolCall>(&mut self, from: &PrivateKeySigner, to: Address, call: C) -> Outcome {
        let out = self.send(from, TxKind::Call(to), call.abi_encode());
        assert!(
            out.status,
            "{} from {} failed",
            C::SIGNATURE,
            from.address()
        );
        out
    }

    /// Sends `call` to `to`; asserts it failed (status 0, no logs) and returns the revert
    /// reason eth_call gives for the same call on the state it ran on.
    pub fn exec_fails<C: SolCall + Clone>(
        &mut self,
        from: &PrivateKeySigner,
        to: Address,
        call: C,
    ) -> Bytes {
        let reason = self.revert_of(from.address(), to, &call);
        let out = self.send(from, TxKind::Call(to), call.abi_encode());
        assert!(!out.status, "{} succeeded", C::SIGNATURE);
        assert!(out.logs.is_empty());
        reason
    }

    /// Deploys `init` from `from`; asserts it succeeded and returns the new address.
    pub fn deploy(&mut self, from: &PrivateKeySigner, init: Bytes) -> Address {
        let nonce = *self.nonces.get(&from.address()).unwrap_or(&0);
        let address = from.address().create(nonce);
        let out = self.send(from, TxKind::Create, init.to_vec());
        assert!(out.status, "deployment from {} failed", from.address());
        assert!(self.code_len(address) > 0);
        address
    }

    /// Runtime code size at `address`.
    pub fn code_len(&self, address: Address) -> usize {
        match self.engine.account(address.0 .0).unwrap() {
            Some((_, _, hash)) if hash != alloy_primitives::KECCAK256_EMPTY => 1,
            _ => 0,
        }
    }

    /// The code hash at `address`.
    pub fn code_hash(&self, address: Address) -> alloy_primitives::B256 {
        self.engine.account(address.0 .0).unwrap().unwrap().2
    }

    fn raw_call(&self, from: Address, to: Address, input: Vec<u8>) -> CallOutcome {
        let req = CallRequest {
            from: Some(from),
            to: Some(to),
            input: input.into(),
            ..CallRequest::default()
        };
        self.engine
            .call(&req, &BTreeMap::new(), BlockSelector::Latest)
            .unwrap()
    }

    /// eth_call of a view; asserts it succeeded.
    pub fn view<C: SolCall>(&self, to: Address, call: C) -> C::Return {
        match self.raw_call(key(1).address(), to, call.abi_encode()) {
            CallOutcome::Success { output, .. } => C::abi_decode_returns(&output).unwrap(),
            other => panic!("{} reverted: {other:?}", C::SIGNATURE),
        }
    }

    /// eth_call of `call` from `from`; asserts it reverts and returns the revert data.
    pub fn revert_of<C: SolCall>(&self, from: Address, to: Address, call: &C) -> Bytes {
        match self.raw_call(from, to, call.abi_encode()) {
            CallOutcome::Revert { output, .. } => output,
            other => panic!("{} did not revert: {other:?}", C::SIGNATURE),
        }
    }
}

/// Decodes revert data as the custom error `E` (panics on any other error).
pub fn error<E: SolError>(data: &Bytes) -> E {
    E::abi_decode(data)
        .unwrap_or_else(|e| panic!("revert data {data} is not {}: {e}", E::SIGNATURE))
}

/// The 65-byte uncompressed public key (0x04 ‖ X ‖ Y) of `signer`.
pub fn pubkey(signer: &PrivateKeySigner) -> Bytes {
    let point = signer.credential().verifying_key().to_encoded_point(false);
    Bytes::copy_from_slice(point.as_bytes())
}

/// `n` with 18 decimals.
pub fn tokens(n: u64) -> U256 {
    U256::from(n) * U256::from(10).pow(U256::from(18))
}
