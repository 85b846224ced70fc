//! Readers on other threads, holding snapshots while one writer commits and prunes, read
//! exactly their snapshot's version (or get a clear error), never the next one.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::panic
)]

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use common::open;
use delivery_store::{Changes, StateRead, StoreError};

const KEYS: u64 = 20;
const VERSIONS: u64 = 150;

/// Version `v` sets every `k/i` to `v` (as decimal), so a value tells which version wrote it.
fn changes_for(version: u64) -> Changes {
    (0..KEYS)
        .map(|i| {
            (
                format!("k/{i:02}").into_bytes(),
                Some(version.to_string().into_bytes()),
            )
        })
        .collect()
}

#[test]
fn readers_never_see_a_later_version() {
    let dir = tempfile::tempdir().unwrap();
    let storage = open(dir.path(), 4);
    let done = Arc::new(AtomicBool::new(false));

    let readers: Vec<_> = (0..3)
        .map(|reader| {
            let storage = storage.clone();
            let done = done.clone();
            std::thread::spawn(move || {
                let mut checked = 0u64;
                let mut pruned = 0u64;
                let mut historical = 0u64;
                // Keep an old snapshot around and keep reading it as versions move on.
                let mut held = storage.latest_snapshot();
                while !done.load(Ordering::SeqCst) {
                    let snapshot = storage.latest_snapshot();
                    let Some(version) = snapshot.version() else {
                        continue;
                    };
                    let expected = version.to_string().into_bytes();
                    // The writer may run more than `keep_recent` versions ahead while this
                    // loop runs: then the snapshot says Pruned, it never answers wrongly.
                    let mut all_read = true;
                    for i in 0..KEYS {
                        let key = format!("k/{i:02}").into_bytes();
                        match snapshot.get_raw(&key) {
                            Ok(value) => assert_eq!(value.as_ref(), Some(&expected)),
                            Err(StoreError::Pruned { .. }) => {
                                pruned += 1;
                                all_read = false;
                                break;
                            }
                            Err(other) => panic!("reader {reader}: {other}"),
                        }
                    }
                    if !all_read {
                        continue;
                    }
                    match snapshot.prefix_raw(b"k/") {
                        Ok(listed) => {
                            assert_eq!(listed.len() as u64, KEYS);
                            for (_, value) in listed {
                                assert_eq!(value, expected, "iteration at {version}");
                            }
                        }
                        Err(StoreError::HistoricalIteration { .. }) => historical += 1,
                        Err(other) => panic!("reader {reader}: {other}"),
                    }
                    if let Some(old) = held.version() {
                        let want = old.to_string().into_bytes();
                        match held.get_raw(b"k/00") {
                            Ok(value) => assert_eq!(value, Some(want), "held snapshot at {old}"),
                            Err(StoreError::Pruned { .. }) => {
                                pruned += 1;
                                held = snapshot.clone();
                            }
                            Err(other) => panic!("reader {reader}: {other}"),
                        }
                    } else {
                        held = snapshot.clone();
                    }
                    checked += 1;
                }
                (checked, pruned, historical)
            })
        })
        .collect();

    for version in 1..=VERSIONS {
        let prepared = storage.prepare(version, &changes_for(version)).unwrap();
        storage.commit(prepared, vec![]).unwrap();
    }
    done.store(true, Ordering::SeqCst);
    let mut total = 0;
    for reader in readers {
        let (checked, _pruned, _historical) = reader.join().unwrap();
        total += checked;
    }
    assert!(total > 0, "readers ran");
    assert_eq!(storage.earliest(), Some(VERSIONS - 4));
}
