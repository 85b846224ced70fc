//! The bridge service against a real root chain: an `InProcessEngine` (testkit genesis) behind
//! bttc-engine's JSON-RPC server, with the real StateSender deployed from its compiled
//! artifact. Delivery state is a small in-memory view holding what the bridge reads (rootchain
//! params, the signer's account, applied events).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::panic,
    missing_docs
)]

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use alloy_primitives::{Address, Bytes, TxKind, B256};
use alloy_rpc_client::RpcClient;
use alloy_sol_types::SolCall;
use bttc_engine_contracts::abi::IStateSender;
use bttc_engine_executor::InProcessEngine;
use bttc_engine_testkit::{build_sealed, import, key, tx1559, CHAIN_ID};
use delivery_auth::AnyMsg;
use delivery_bridge::{
    CacheConfig, ClientConfig, Poller, PollerConfig, RootChainClient, RootEvent, Tick, Verdict,
    VerdictCache,
};
use delivery_clerk::MsgEventRecord;
use delivery_module::{Msg, SecretKey};
use delivery_rootchain::{Params, RootChainConfig, RootChainKind};
use delivery_store::{KeyValues, StateDelta, StateRead, StoreError};
use deliveryd::bridge::relay::RelayTarget;
use deliveryd::bridge::{
    BridgeVerifier, Broadcast, CheckTxOutcome, Claim, ClientSet, CommittedState, Relay,
};

// ---------------------------------------------------------------------------------------------
// A root chain

struct Chain {
    _dir: tempfile::TempDir,
    engine: Arc<InProcessEngine>,
    rpc: Option<bttc_engine_rpc::RpcHandle>,
    url: String,
    sender: RpcClient,
    time: AtomicU64,
    nonce: AtomicU64,
}

impl Chain {
    async fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let engine = Arc::new(
            InProcessEngine::open(&dir.path().join("engine"), bttc_engine_testkit::spec()).unwrap(),
        );
        let config = bttc_engine_rpc::RpcConfig {
            listen: "127.0.0.1:0".parse().unwrap(),
            ..bttc_engine_rpc::RpcConfig::default()
        };
        let rpc = bttc_engine_rpc::start(Arc::clone(&engine), CHAIN_ID, config)
            .await
            .unwrap();
        let url = format!("http://{}", rpc.local_addr());
        delivery_bridge::client::install_tls_provider();
        let sender = RpcClient::new_http(url.parse().unwrap());
        Self {
            _dir: dir,
            engine,
            rpc: Some(rpc),
            url,
            sender,
            time: AtomicU64::new(1_000),
            nonce: AtomicU64::new(0),
        }
    }

    fn client(&self) -> RootChainClient {
        let mut config = ClientConfig::new("eth", self.url.clone());
        config.timeout = Duration::from_secs(5);
        RootChainClient::new(&config).unwrap()
    }

    async fn mine(&self) -> u64 {
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

    async fn send(&self, to: TxKind, gas: u64, input: Vec<u8>) -> [u8; 32] {
        let nonce = self.nonce.fetch_add(1, Ordering::Relaxed);
        let raw = tx1559(&key(1), nonce, to, 0, gas, input);
        let hash: B256 = self
            .sender
            .request("eth_sendRawTransaction", (Bytes::from(raw),))
            .await
            .unwrap();
        hash.0
    }

    /// Deploys the real StateSender (owner: key 1) and registers key 1 as the sender for
    /// `receiver`.
    async fn deploy_state_sender(&self, receiver: Address) -> Address {
        let nonce = self.nonce.load(Ordering::Relaxed);
        let code = bttc_engine_contracts::state_sender()
            .unwrap()
            .bytecode
            .to_vec();
        self.send(TxKind::Create, 3_000_000, code).await;
        self.mine().await;
        let address = key(1).address().create(nonce);
        let register = IStateSender::registerCall {
            sender: key(1).address(),
            receiver,
        }
        .abi_encode();
        self.send(TxKind::Call(address), 200_000, register).await;
        self.mine().await;
        address
    }

    async fn sync_state(&self, state_sender: Address, receiver: Address, data: &[u8]) -> [u8; 32] {
        let call = IStateSender::syncStateCall {
            receiver,
            data: data.to_vec().into(),
        }
        .abi_encode();
        self.send(TxKind::Call(state_sender), 300_000, call).await
    }
}

// ---------------------------------------------------------------------------------------------
// Delivery state as the bridge reads it

#[derive(Clone, Default)]
struct MemView(Arc<BTreeMap<Vec<u8>, Vec<u8>>>);

impl StateRead for MemView {
    fn get_raw(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.0.get(key).cloned())
    }
    fn prefix_raw(&self, prefix: &[u8]) -> Result<KeyValues, StoreError> {
        Ok(self
            .0
            .range(prefix.to_vec()..)
            .take_while(|(k, _)| k.starts_with(prefix))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect())
    }
}

#[derive(Default)]
struct MemState {
    inner: Mutex<(u64, MemView)>,
}

impl MemState {
    /// Applies `f` to the state and commits it as the next height.
    fn commit(&self, f: impl FnOnce(&mut StateDelta<MemView>)) {
        let mut inner = self.inner.lock().unwrap();
        let mut delta = StateDelta::new(inner.1.clone());
        f(&mut delta);
        let (base, changes) = delta.into_parts();
        let mut map = (*base.0).clone();
        for (k, v) in changes {
            match v {
                Some(v) => map.insert(k, v),
                None => map.remove(&k),
            };
        }
        inner.0 += 1;
        inner.1 = MemView(Arc::new(map));
    }
}

impl CommittedState for MemState {
    type View = MemView;
    fn latest(&self) -> (u64, MemView) {
        let inner = self.inner.lock().unwrap();
        (inner.0, inner.1.clone())
    }
}

const CONFIRMATIONS: u64 = 2;

fn params(state_sender: Address) -> Params {
    Params {
        chains: vec![RootChainConfig {
            name: "eth".into(),
            kind: RootChainKind::Eth,
            chain_id: CHAIN_ID,
            stake_manager: Some([0x5a; 20]),
            state_sender: state_sender.0 .0,
            root_chain_manager: [0x7c; 20],
            root_chain_contract: None,
            confirmations: CONFIRMATIONS,
        }],
        staking_chain: "eth".into(),
    }
}

/// This node's ed25519 consensus key (public half).
fn consensus_key() -> [u8; 32] {
    ed25519_dalek::SigningKey::from_bytes(&[9; 32])
        .verifying_key()
        .to_bytes()
}

fn signer() -> SecretKey {
    SecretKey::from_bytes(&[0x42; 32]).unwrap()
}

fn delivery_state(state_sender: Address) -> Arc<MemState> {
    let state = Arc::new(MemState::default());
    state.commit(|s| {
        delivery_rootchain::set_params(s, &params(state_sender)).unwrap();
        // The chain id InitChain records (app/app genesis: `app/chain_id`, JSON string).
        delivery_module::codec::put_json(s, b"app/chain_id".to_vec(), &"delivery-test".to_string())
            .unwrap();
        delivery_auth::state::set_params(s, &delivery_auth::Params::default()).unwrap();
        delivery_auth::state::set_account(
            s,
            &delivery_auth::state::Account {
                address: signer().address().0.to_vec(),
                account_number: 3,
                sequence: 7,
                pub_key: vec![],
            },
        )
        .unwrap();
    });
    state
}

async fn settle<S: CommittedState>(v: &BridgeVerifier<S>, hash: &[u8; 32]) -> Verdict {
    for _ in 0..400 {
        if let Some(verdict) = v.verdict(hash) {
            return verdict;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("no verdict");
}

fn record(event: RootEvent, id: u64, contract: Address, data: &[u8]) -> Claim {
    Claim::EventRecord(MsgEventRecord {
        from: signer().address().to_string(),
        event: Some(event),
        id,
        contract: contract.0 .0.to_vec(),
        data: data.to_vec(),
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_verifier_votes_yes_only_on_the_true_state_sync_claim() {
    let chain = Chain::start().await;
    let receiver = Address::from([0x99; 20]);
    let sender = chain.deploy_state_sender(receiver).await;
    let data = b"hello bttc".to_vec();
    let tx = chain.sync_state(sender, receiver, &data).await;
    let block = chain.mine().await;
    let receipt = chain.client().receipt(tx).await.unwrap().unwrap();
    assert_eq!(receipt.success, Some(true));
    let log_index = receipt.logs[0].log_index.unwrap();
    let event = RootEvent {
        root_chain: "eth".into(),
        tx_hash: tx.to_vec(),
        block_number: block,
        log_index,
    };
    let state = delivery_state(sender);
    let clients = ClientSet::default();
    clients.insert(chain.client());
    let cache = VerdictCache::new(
        tokio::runtime::Handle::current(),
        CacheConfig {
            retry_unknown_after: Duration::from_millis(50),
            ..CacheConfig::default()
        },
    );
    let verifier = BridgeVerifier::new(Arc::clone(&state), clients, cache);

    // One confirmation of the two required: the true claim sent too early is NO (final for
    // that transaction); the same claim in a new transaction once deep enough is YES.
    let truth = record(event.clone(), 1, receiver, &data);
    assert!(verifier.request(&[2; 32], truth.clone()));
    let v = settle(&verifier, &[2; 32]).await;
    assert!(
        matches!(&v, Verdict::No(r) if r.contains("1 of 2 confirmations")),
        "{v:?}"
    );
    assert_eq!(verifier.cache().vote(&[2; 32]), delivery_module::Vote::No);
    chain.mine().await;
    assert!(verifier.request(&[1; 32], truth.clone()));
    let v = settle(&verifier, &[1; 32]).await;
    assert!(matches!(v, Verdict::Confirmed(_)), "{v:?}");
    assert_eq!(verifier.cache().vote(&[1; 32]), delivery_module::Vote::Yes);
    assert_eq!(verifier.cache().vote(&[2; 32]), delivery_module::Vote::No);

    // Every altered claim is NO, with the reason naming what differs.
    let mut wrong_index = event.clone();
    wrong_index.log_index += 1;
    let mut wrong_block = event.clone();
    wrong_block.block_number -= 1;
    let cases: Vec<(Claim, &str)> = vec![
        (record(event.clone(), 1, receiver, b"hello bttC"), "data"),
        (record(event.clone(), 2, receiver, &data), "id"),
        (
            record(event.clone(), 1, Address::from([0x98; 20]), &data),
            "contract",
        ),
        (record(wrong_index, 1, receiver, &data), "log index"),
        (record(wrong_block, 1, receiver, &data), "claimed block"),
    ];
    for (i, (claim, why)) in cases.into_iter().enumerate() {
        let hash = [i as u8 + 10; 32];
        assert!(verifier.request(&hash, claim));
        let v = settle(&verifier, &hash).await;
        assert!(
            matches!(&v, Verdict::No(r) if r.contains(why)),
            "{why}: {v:?}"
        );
        assert_eq!(verifier.cache().vote(&hash), delivery_module::Vote::No);
    }

    // A StakeManager claim about the StateSender's log: wrong emitter, NO.
    let exit = Claim::Exit(delivery_staking::MsgValidatorExit {
        from: signer().address().to_string(),
        event: Some(event.clone()),
        validator_id: 1,
        deactivation_epoch: 1,
        nonce: 2,
    });
    verifier.request(&[30; 32], exit);
    let v = settle(&verifier, &[30; 32]).await;
    assert!(
        matches!(&v, Verdict::No(r) if r.contains("emitted by")),
        "{v:?}"
    );

    // A chain this node has no RPC for: not checkable here (the vote stays UNKNOWN).
    let mut tron = event.clone();
    tron.root_chain = "tron".into();
    assert!(!verifier.request(&[31; 32], record(tron, 1, receiver, &data)));
    assert_eq!(
        verifier.cache().vote(&[31; 32]),
        delivery_module::Vote::Unknown
    );

    // The RPC goes down: a fresh claim is UNKNOWN.
    let mut chain = chain;
    let rpc = chain.rpc.take().unwrap();
    rpc.stop();
    rpc.stopped().await;
    verifier.request(&[32; 32], truth);
    let v = settle(&verifier, &[32; 32]).await;
    assert!(v.is_unknown(), "{v:?}");
    assert_eq!(
        verifier.cache().vote(&[32; 32]),
        delivery_module::Vote::Unknown
    );
}

// ---------------------------------------------------------------------------------------------
// The relay

#[derive(Clone, Default)]
struct Mempool {
    txs: Arc<Mutex<Vec<Vec<u8>>>>,
    refuse_next: Arc<Mutex<Vec<CheckTxOutcome>>>,
}

impl Broadcast for Mempool {
    async fn broadcast(&self, tx: Vec<u8>) -> Result<CheckTxOutcome, String> {
        if let Some(out) = self.refuse_next.lock().unwrap().pop() {
            return Ok(out);
        }
        self.txs.lock().unwrap().push(tx);
        Ok(CheckTxOutcome {
            code: 0,
            codespace: String::new(),
            log: String::new(),
        })
    }
}

fn decode(tx: &[u8]) -> (delivery_auth::DecodedTx, MsgEventRecord) {
    let decoded = delivery_auth::decode_tx(tx, &delivery_auth::Params::default()).unwrap();
    let AnyMsg { type_url, value } = decoded.msgs[0].clone();
    assert_eq!(type_url, MsgEventRecord::TYPE_URL);
    let msg = <MsgEventRecord as prost::Message>::decode(value.as_slice()).unwrap();
    (decoded, msg)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_relay_sends_each_state_sync_until_it_is_applied_and_only_then_moves_on() {
    let chain = Chain::start().await;
    let receiver = Address::from([0x99; 20]);
    let sender = chain.deploy_state_sender(receiver).await;
    let state = delivery_state(sender);
    let start_block = chain.client().head().await.unwrap() + 1;
    let tx = chain.sync_state(sender, receiver, b"first").await;
    let block = chain.mine().await;
    chain.mine().await; // 2 confirmations

    let mempool = Mempool::default();
    let relay = Relay::new(
        RelayTarget {
            root_chain: "eth".into(),
            stake_manager: Some([0x5a; 20]),
            state_sender: sender.0 .0,
            root_chain_contract: None,
        },
        Arc::clone(&state),
        mempool.clone(),
        signer(),
        consensus_key(),
        3,
    );
    let dir = tempfile::tempdir().unwrap();
    let config = PollerConfig {
        root_chain: "eth".into(),
        addresses: vec![sender.0 .0, [0x5a; 20]],
        topics: [
            delivery_bridge::events::STATE_SENDER_TOPICS.to_vec(),
            delivery_bridge::events::STAKE_MANAGER_TOPICS.to_vec(),
        ]
        .concat(),
        start_block,
        confirmations: CONFIRMATIONS,
        max_range: 100,
        cursor_path: dir.path().join("eth.cursor"),
        interval: Duration::from_millis(10),
    };
    let mut poller = Poller::open(chain.client(), config, relay).await.unwrap();

    // First pass: the record is sent (signed by the node's signer, sequence from state) and
    // the range is refused until it is applied.
    assert!(poller.tick().await.is_err());
    assert_eq!(poller.next_block(), start_block);
    let txs = mempool.txs.lock().unwrap().clone();
    assert_eq!(txs.len(), 1);
    let (decoded, msg) = decode(&txs[0]);
    assert_eq!(decoded.signer, signer().address());
    assert_eq!(decoded.sequence, 7);
    assert_eq!(msg.id, 1);
    assert_eq!(msg.contract, receiver.0 .0.to_vec());
    assert_eq!(msg.data, b"first".to_vec());
    assert_eq!(msg.from, signer().address().to_string());
    let event = msg.event.clone().unwrap();
    assert_eq!(event.tx_hash, tx.to_vec());
    assert_eq!(event.block_number, block);
    let receipt = chain.client().receipt(tx).await.unwrap().unwrap();
    assert_eq!(Some(event.log_index), receipt.logs[0].log_index);

    // Not applied, sent less than 3 blocks ago: not sent again.
    state.commit(|_| {});
    assert!(poller.tick().await.is_err());
    assert_eq!(mempool.txs.lock().unwrap().len(), 1);

    // Three blocks after sending it is sent again, with the next sequence.
    state.commit(|_| {});
    state.commit(|_| {});
    assert!(poller.tick().await.is_err());
    let txs = mempool.txs.lock().unwrap().clone();
    assert_eq!(txs.len(), 2);
    assert_eq!(decode(&txs[1]).0.sequence, 8);
    assert_eq!(decode(&txs[1]).1, msg);

    // A sequence mismatch: the expected sequence is taken from the rejection.
    for _ in 0..3 {
        state.commit(|_| {});
    }
    mempool.refuse_next.lock().unwrap().push(CheckTxOutcome {
        code: delivery_module::error::sdk::WRONG_SEQUENCE,
        codespace: delivery_module::error::sdk::CODESPACE.into(),
        log: "account sequence mismatch for x: expected 12, got 9".into(),
    });
    assert!(poller.tick().await.is_err());
    let txs = mempool.txs.lock().unwrap().clone();
    assert_eq!(txs.len(), 3);
    assert_eq!(decode(&txs[2]).0.sequence, 12);

    // Waits for its predecessor (clerk code 5): not recorded, so the next pass sends it.
    mempool.refuse_next.lock().unwrap().push(CheckTxOutcome {
        code: 5,
        codespace: "clerk".into(),
        log: "awaits record 0".into(),
    });
    for _ in 0..3 {
        state.commit(|_| {});
    }
    assert!(poller.tick().await.is_err());
    assert_eq!(mempool.txs.lock().unwrap().len(), 3);
    assert!(poller.tick().await.is_err());
    assert_eq!(mempool.txs.lock().unwrap().len(), 4);

    // Applied in Delivery: the range is accepted and the cursor moves past it, nothing sent.
    state.commit(|s| event.mark_applied(s));
    let tick = poller.tick().await.unwrap();
    assert!(matches!(tick, Tick::Scanned { logs: 1, .. }), "{tick:?}");
    assert!(poller.next_block() > block);
    assert_eq!(mempool.txs.lock().unwrap().len(), 4);
    assert_eq!(poller.consumer().in_flight(), 0);

    // The cursor is on disk: a new poller resumes past the applied event.
    let cursor = std::fs::read_to_string(dir.path().join("eth.cursor")).unwrap();
    assert!(cursor.contains("\"eth\""), "{cursor}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_relay_ignores_logs_it_must_not_send() {
    let chain = Chain::start().await;
    let receiver = Address::from([0x99; 20]);
    let sender = chain.deploy_state_sender(receiver).await;
    let state = delivery_state(sender);
    let target = RelayTarget {
        root_chain: "eth".into(),
        stake_manager: Some([0x5a; 20]),
        state_sender: [0x33; 20], // not the contract that emitted the log
        root_chain_contract: None,
    };
    let relay = Relay::new(
        target,
        Arc::clone(&state),
        Mempool::default(),
        signer(),
        consensus_key(),
        3,
    );
    let tx = chain.sync_state(sender, receiver, b"x").await;
    let block = chain.mine().await;
    let logs = chain
        .client()
        .logs(block, block, &[sender.0 .0], &[])
        .await
        .unwrap();
    assert_eq!(logs.len(), 1);
    let log = &logs[0];
    let polled = delivery_bridge::PolledLog {
        event: RootEvent {
            root_chain: "eth".into(),
            tx_hash: tx.to_vec(),
            block_number: block,
            log_index: log.log_index.unwrap(),
        },
        block_hash: log.block_hash,
        emitter: log.address,
        topics: log.topics.clone(),
        data: log.data.clone(),
    };
    // A StateSynced from a contract that is not this chain's StateSender: not relayed.
    assert_eq!(relay.message_for(&polled), None);
    // From the StateSender: relayed as the record.
    let relay = Relay::new(
        RelayTarget {
            root_chain: "eth".into(),
            stake_manager: Some([0x5a; 20]),
            state_sender: sender.0 .0,
            root_chain_contract: None,
        },
        state,
        Mempool::default(),
        signer(),
        consensus_key(),
        3,
    );
    let Some(Claim::EventRecord(m)) = relay.message_for(&polled) else {
        panic!("expected a record");
    };
    assert_eq!((m.id, m.data.as_slice()), (1, b"x".as_slice()));
    // Another validator's Staked: not ours to send.
    let other = SecretKey::from_bytes(&[0x43; 32]).unwrap();
    let staked = delivery_bridge::events::abi::Staked {
        signer: Address::from(other.address().0),
        validatorId: alloy_primitives::U256::from(2u64),
        nonce: alloy_primitives::U256::from(1u64),
        activationEpoch: alloy_primitives::U256::from(1u64),
        amount: alloy_primitives::U256::from(10u64),
        total: alloy_primitives::U256::from(10u64),
        signerPubkey: other.public_key().to_uncompressed().to_vec().into(),
    };
    let encoded = alloy_sol_types::SolEvent::encode_log_data(&staked);
    let mut staked_log = polled.clone();
    staked_log.emitter = [0x5a; 20];
    staked_log.topics = encoded.topics().iter().map(|t| t.0).collect();
    staked_log.data = encoded.data.to_vec();
    assert_eq!(relay.message_for(&staked_log), None);
    // Our own Staked: the join, with our consensus key.
    let ours = delivery_bridge::events::abi::Staked {
        signer: Address::from(signer().address().0),
        signerPubkey: signer().public_key().to_uncompressed().to_vec().into(),
        ..staked
    };
    let encoded = alloy_sol_types::SolEvent::encode_log_data(&ours);
    staked_log.topics = encoded.topics().iter().map(|t| t.0).collect();
    staked_log.data = encoded.data.to_vec();
    let Some(Claim::Join(join)) = relay.message_for(&staked_log) else {
        panic!("expected our join");
    };
    assert_eq!(join.consensus_pubkey, consensus_key().to_vec());
    assert_eq!(join.validator_id, 2);
    assert_eq!(join.amount, "10");
    join.check_stateless().unwrap();

    // A NewHeaderBlock from the chain's RootChain: relayed as the checkpoint ack, every field
    // from the log; from any other contract (or with no RootChain registered): not relayed.
    let header = delivery_bridge::events::abi::NewHeaderBlock {
        proposer: Address::from([0x21; 20]),
        headerBlockId: alloy_primitives::U256::from(3u64),
        reward: alloy_primitives::U256::ZERO,
        start: alloy_primitives::U256::from(32u64),
        end: alloy_primitives::U256::from(47u64),
        root: B256::repeat_byte(0x44),
    };
    let encoded = alloy_sol_types::SolEvent::encode_log_data(&header);
    let mut header_log = polled.clone();
    header_log.emitter = [0x6c; 20];
    header_log.topics = encoded.topics().iter().map(|t| t.0).collect();
    header_log.data = encoded.data.to_vec();
    assert_eq!(
        relay.message_for(&header_log),
        None,
        "no RootChain registered"
    );
    let with_root_chain = Relay::new(
        RelayTarget {
            root_chain: "eth".into(),
            stake_manager: Some([0x5a; 20]),
            state_sender: sender.0 .0,
            root_chain_contract: Some([0x6c; 20]),
        },
        delivery_state(sender),
        Mempool::default(),
        signer(),
        consensus_key(),
        3,
    );
    let Some(Claim::CheckpointAck(ack)) = with_root_chain.message_for(&header_log) else {
        panic!("expected the checkpoint ack");
    };
    assert_eq!(ack.number, 3);
    assert_eq!(ack.proposer, vec![0x21; 20]);
    assert_eq!((ack.start, ack.end), (32, 47));
    assert_eq!(ack.root_hash, vec![0x44; 32]);
    assert_eq!(ack.event.as_ref(), Some(&header_log.event));
    assert_eq!(ack.from, signer().address().to_string());
    ack.check_stateless().unwrap();
    header_log.emitter = [0x6d; 20];
    assert_eq!(
        with_root_chain.message_for(&header_log),
        None,
        "another contract"
    );
}
