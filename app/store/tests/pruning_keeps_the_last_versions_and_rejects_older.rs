//! With `keep_recent = k`, versions `latest - k ..= latest` stay readable and provable; older
//! ones answer `Pruned`, even through a snapshot taken before they were pruned.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::panic
)]

mod common;

use std::collections::BTreeMap;

use common::{apply, changes, commit, generated_changes, open, root_of};
use delivery_store::{verify_proof, Changes, StateRead, StoreError};

#[test]
fn pruning_keeps_the_last_versions_and_rejects_older() {
    let dir = tempfile::tempdir().unwrap();
    let storage = open(dir.path(), 3);
    let mut models = BTreeMap::new();
    let mut model = BTreeMap::new();
    for version in 1..=12u64 {
        let c = generated_changes(version);
        apply(&mut model, &c);
        commit(&storage, version, &c);
        models.insert(version, model.clone());
        let earliest = version.saturating_sub(3).max(1);
        assert_eq!(
            storage.earliest(),
            Some(earliest),
            "after committing {version}"
        );
    }
    // Kept: 9..=12, each reading exactly its own state and proving against its own root.
    for version in 9..=12u64 {
        let snapshot = storage.snapshot_at(version).unwrap();
        let root = storage.root_at(version).unwrap();
        assert_eq!(root, root_of(&models[&version]), "root of {version}");
        for slot in (0..4_000).step_by(97) {
            let key = format!("k/{slot:05}").into_bytes();
            let want = models[&version].get(&key).cloned();
            assert_eq!(
                snapshot.get_raw(&key).unwrap(),
                want,
                "key {slot} at {version}"
            );
            let (value, proof) = storage.prove(&key, version).unwrap();
            assert_eq!(value, want);
            assert!(verify_proof(&root, &key, value.as_deref(), &proof));
        }
    }
    // Pruned: 1..=8.
    for version in 1..=8u64 {
        let err = storage.snapshot_at(version).unwrap_err();
        assert!(
            matches!(err, StoreError::Pruned { earliest: 9, .. }),
            "{err}"
        );
        assert!(err.to_string().contains("pruned"), "{err}");
        assert!(matches!(
            storage.prove(b"k/00001", version),
            Err(StoreError::Pruned { .. })
        ));
        assert!(matches!(
            storage.root_at(version),
            Err(StoreError::Pruned { .. })
        ));
    }

    // A snapshot held while its version gets pruned refuses to answer rather than answering
    // from a half-deleted version.
    let held = storage.snapshot_at(9).unwrap();
    let probe = b"k/00000".to_vec();
    assert_eq!(
        held.get_raw(&probe).unwrap(),
        models[&9].get(&probe).cloned()
    );
    commit(&storage, 13, &changes(&[("extra", Some("1"))]));
    assert!(matches!(
        held.get_raw(&probe),
        Err(StoreError::Pruned {
            version: 9,
            earliest: 10
        })
    ));

    // The pruning point survives a restart; with keep_recent = 0 nothing more is pruned.
    drop(held);
    drop(storage);
    let storage = open(dir.path(), 0);
    assert_eq!(storage.earliest(), Some(10));
    for version in 14..=20u64 {
        commit(&storage, version, &Changes::new());
    }
    assert_eq!(storage.earliest(), Some(10));
    assert!(storage.snapshot_at(10).is_ok());
}

#[test]
fn pruning_counts_from_the_first_committed_version() {
    let dir = tempfile::tempdir().unwrap();
    let storage = open(dir.path(), 1);
    commit(&storage, 100, &changes(&[("a", Some("100"))]));
    assert_eq!(storage.earliest(), Some(100));
    commit(&storage, 101, &changes(&[("a", Some("101"))]));
    assert_eq!(storage.earliest(), Some(100));
    commit(&storage, 102, &changes(&[("a", None)]));
    assert_eq!(storage.earliest(), Some(101));
    assert!(matches!(
        storage.snapshot_at(100),
        Err(StoreError::Pruned { .. })
    ));
    assert_eq!(
        storage.snapshot_at(101).unwrap().get_raw(b"a").unwrap(),
        Some(b"101".to_vec())
    );
    assert_eq!(
        storage.snapshot_at(102).unwrap().get_raw(b"a").unwrap(),
        None
    );
    // Once the deletion is the oldest kept version, its tombstone is gone too, and the key
    // still reads as absent.
    commit(&storage, 103, &Changes::new());
    commit(&storage, 104, &changes(&[("b", Some("x"))]));
    assert_eq!(storage.earliest(), Some(103));
    assert_eq!(
        storage.snapshot_at(103).unwrap().get_raw(b"a").unwrap(),
        None
    );
    assert_eq!(storage.latest_snapshot().get_raw(b"a").unwrap(), None);
    // And it can come back.
    commit(&storage, 105, &changes(&[("a", Some("again"))]));
    assert_eq!(
        storage.latest_snapshot().get_raw(b"a").unwrap(),
        Some(b"again".to_vec())
    );
    let mut model = BTreeMap::new();
    model.insert(b"a".to_vec(), b"again".to_vec());
    model.insert(b"b".to_vec(), b"x".to_vec());
    assert_eq!(storage.latest().unwrap().1, root_of(&model));
}
