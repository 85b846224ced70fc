#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    missing_docs
)]
//! Exporting the state at height H and importing it as a new chain's genesis reproduces the
//! exact state: InitChain returns the app hash the original chain had at H.

mod common;

use std::sync::Arc;

use common::{init_request, TestChain, BTT};
use delivery_abci::Application;
use delivery_app::side::NoRootChain;
use delivery_app::DeliveryApp;
use delivery_store::{Storage, StorageConfig};

#[test]
fn export_then_import_keeps_the_app_hash() {
    let mut chain = TestChain::new(4, 3);
    chain.block(vec![]);
    let to = chain.accounts[2].address();
    let txs = vec![chain.send(0, to, 3 * BTT, 0), chain.send(1, to, BTT, 0)];
    chain.block(txs);
    chain.block(vec![chain.send(0, to, BTT, 1)]);
    let original = chain.app_hash();
    let (height, exported) = chain.app.export_genesis().unwrap();
    assert_eq!(height, 3);
    let json = serde_json::to_value(&exported).unwrap();

    let dir = tempfile::tempdir().unwrap();
    let app = DeliveryApp::new(
        Storage::open(dir.path(), StorageConfig { keep_recent: 0 }).unwrap(),
        Arc::new(NoRootChain),
    )
    .unwrap();
    let mut req = init_request(&chain.validators, &json);
    req.initial_height = 4;
    let res = app.init_chain(req).unwrap();
    assert_eq!(
        res.app_hash.to_vec(),
        original,
        "imported state hashes differently"
    );

    // And the export of the import is the same document.
    let (_, again) = {
        // Commit one empty block on the imported chain so it can be exported.
        let ve_req = tendermint_proto::v0_38::abci::RequestFinalizeBlock {
            height: 4,
            hash: common::block_hash(4).into(),
            time: Some(common::time(4)),
            ..Default::default()
        };
        app.finalize_block(ve_req).unwrap();
        app.commit(Default::default()).unwrap();
        app.export_genesis().unwrap()
    };
    assert_eq!(again.auth, exported.auth);
    assert_eq!(again.bank, exported.bank);
    assert_eq!(chain.balance(&to), 1_000 * BTT + 5 * BTT);
}
