#![allow(clippy::unwrap_used, clippy::indexing_slicing, missing_docs)]
//! Commit records the block's time beside the state (store meta, outside the app hash): a
//! restarted app reads it, so CheckTx and the producer see the last block's time before the
//! first block after the restart (not 0), and `deliveryd export` has the time of height H.

mod common;

use std::sync::Arc;

use common::TestChain;
use delivery_app::side::NoRootChain;
use delivery_app::{CommittedBlockTime, DeliveryApp};
use delivery_store::{Storage, StorageConfig};

#[test]
fn the_last_block_time_survives_a_restart() {
    let mut chain = TestChain::new(1, 1);
    chain.block(vec![]);
    chain.block(vec![]);
    let height = chain.height;
    let expected = u64::try_from(common::time(height).seconds).unwrap();
    assert_eq!(chain.app.last_block_time(), expected);
    let recorded = chain.app.committed_block_time().unwrap();
    assert_eq!(
        recorded,
        Some(CommittedBlockTime {
            height: u64::try_from(height).unwrap(),
            time_seconds: expected
        })
    );

    let TestChain { app, dir, .. } = chain;
    drop(app);
    let storage = Storage::open(dir.path(), StorageConfig { keep_recent: 0 }).unwrap();
    let reopened = DeliveryApp::new(storage, Arc::new(NoRootChain)).unwrap();
    assert_eq!(reopened.last_block_time(), expected);
    assert_eq!(reopened.committed_block_time().unwrap(), recorded);
}
