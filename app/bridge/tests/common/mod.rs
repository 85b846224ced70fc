//! A real root chain for the bridge's tests: an `InProcessEngine` on the testkit genesis with
//! bttc-engine's Ethereum JSON-RPC server on a free port. Transactions go in through
//! `eth_sendRawTransaction`; blocks are built, sealed and imported on demand (so a test
//! decides exactly how deep a block is).
//!
//! Contracts: the compiled `TestToken` (ERC-20 `Transfer` logs) and a 29-byte "log emitter"
//! whose runtime emits `LOG3(topic0, topic1, topic2)` from calldata `topic0 ‖ topic1 ‖ topic2
//! ‖ data` (it stands in for the StateSender, which another crate builds: the bridge only
//! sees the log, whose encoding here is the `sol!` one). Calldata shorter than 96 bytes makes
//! it run out of gas (a failed transaction).
#![allow(dead_code)] // each test binary uses its own subset

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use alloy_primitives::{Address, Bytes, TxKind, B256, U256};
use alloy_rpc_client::RpcClient;
use alloy_sol_types::{sol, SolCall, SolEvent};
use bttc_engine_executor::InProcessEngine;
use bttc_engine_rpc::{RpcConfig, RpcHandle};
use bttc_engine_testkit::{build_sealed, import, init_code_for, key, tx1559, CHAIN_ID};
use delivery_bridge::{ClientConfig, RootChainClient};

sol! {
    function transfer(address to, uint256 amount) returns (bool);
    event Transfer(address indexed from, address indexed to, uint256 value);
}

/// Runtime of the log emitter (see the module docs).
pub const EMITTER_RUNTIME: [u8; 29] = [
    0x60, 0x60, 0x36, 0x03, // size = calldatasize - 96
    0x80, 0x60, 0x60, 0x60, 0x00, 0x37, // calldatacopy(0, 96, size)
    0x60, 0x40, 0x35, // topic2
    0x60, 0x20, 0x35, // topic1
    0x60, 0x00, 0x35, // topic0
    0x83, 0x60, 0x00, 0xa3, // log3(0, size, topic0, topic1, topic2)
    0x00, // stop
    0x00, 0x00, 0x00, 0x00, 0x00, // padding
];

/// The ERC-20 `Transfer` topic 0.
pub fn transfer_topic() -> [u8; 32] {
    Transfer::SIGNATURE_HASH.0
}

/// A root chain: engine + JSON-RPC server.
pub struct Chain {
    pub dir: tempfile::TempDir,
    pub engine: Arc<InProcessEngine>,
    pub rpc: RpcHandle,
    pub url: String,
    sender: RpcClient,
    time: AtomicU64,
    nonce: AtomicU64,
}

impl Chain {
    pub async fn start() -> Self {
        Self::start_with(RpcConfig::default()).await
    }

    pub async fn start_with(mut config: RpcConfig) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let engine = Arc::new(
            InProcessEngine::open(&dir.path().join("engine"), bttc_engine_testkit::spec()).unwrap(),
        );
        config.listen = "127.0.0.1:0".parse().unwrap();
        let rpc = bttc_engine_rpc::start(Arc::clone(&engine), CHAIN_ID, config)
            .await
            .unwrap();
        let url = format!("http://{}", rpc.local_addr());
        delivery_bridge::client::install_tls_provider();
        let sender = RpcClient::new_http(url.parse().unwrap());
        Self {
            dir,
            engine,
            rpc,
            url,
            sender,
            time: AtomicU64::new(1_000),
            nonce: AtomicU64::new(0),
        }
    }

    /// A bridge client for this chain, named `eth`.
    pub fn client(&self) -> RootChainClient {
        let mut config = ClientConfig::new("eth", self.url.clone());
        config.timeout = Duration::from_secs(5);
        RootChainClient::new(&config).unwrap()
    }

    /// Builds, seals and imports one block with the pool's transactions; returns its number.
    pub async fn mine(&self) -> u64 {
        let engine = Arc::clone(&self.engine);
        let ts = self.time.fetch_add(2, Ordering::Relaxed);
        tokio::task::spawn_blocking(move || {
            let payload = build_sealed(engine.as_ref(), &key(9), ts, vec![]);
            import(engine.as_ref(), &payload);
            payload.block_number
        })
        .await
        .unwrap()
    }

    /// Sends a transaction from key 1 (next nonce); returns its hash. Not mined yet.
    pub async fn send(&self, to: TxKind, gas: u64, input: Vec<u8>) -> [u8; 32] {
        let nonce = self.nonce.fetch_add(1, Ordering::Relaxed);
        let raw = tx1559(&key(1), nonce, to, 0, gas, input);
        let hash: B256 = self
            .sender
            .request("eth_sendRawTransaction", (Bytes::from(raw),))
            .await
            .unwrap();
        hash.0
    }

    /// Deploys `init` and mines it; returns the contract address and the block.
    pub async fn deploy(&self, init: Vec<u8>) -> (Address, u64) {
        let nonce = self.nonce.load(Ordering::Relaxed);
        self.send(TxKind::Create, 3_000_000, init).await;
        let block = self.mine().await;
        (key(1).address().create(nonce), block)
    }

    /// Deploys a TestToken whose whole supply belongs to key 1.
    pub async fn deploy_token(&self) -> (Address, u64) {
        let init = bttc_engine_contracts::test_token_init_code(
            "Test Token",
            "TT",
            U256::from(10u64).pow(U256::from(24)),
        )
        .unwrap();
        self.deploy(init.to_vec()).await
    }

    /// Deploys the log emitter.
    pub async fn deploy_emitter(&self) -> (Address, u64) {
        self.deploy(init_code_for(&EMITTER_RUNTIME)).await
    }

    /// Sends a token transfer of `amount` to `to` (not mined).
    pub async fn transfer(&self, token: Address, to: Address, amount: u64) -> [u8; 32] {
        let input = transferCall {
            to,
            amount: U256::from(amount),
        }
        .abi_encode();
        self.send(TxKind::Call(token), 100_000, input).await
    }

    /// Sends a call making the emitter log `event` (not mined). The event must have 3 topics.
    pub async fn emit<E: SolEvent>(&self, emitter: Address, event: &E) -> [u8; 32] {
        let log = event.encode_log_data();
        assert_eq!(log.topics().len(), 3, "the emitter logs exactly 3 topics");
        let mut input = Vec::new();
        for t in log.topics() {
            input.extend_from_slice(t.as_slice());
        }
        input.extend_from_slice(&log.data);
        self.send(TxKind::Call(emitter), 200_000, input).await
    }

    /// Sends a call that fails in the emitter (too short calldata: out of gas).
    pub async fn failing_call(&self, emitter: Address) -> [u8; 32] {
        self.send(TxKind::Call(emitter), 100_000, vec![1, 2, 3])
            .await
    }
}

/// A TCP port nobody listens on.
pub fn closed_port_url() -> String {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    drop(l);
    format!("http://{addr}")
}
