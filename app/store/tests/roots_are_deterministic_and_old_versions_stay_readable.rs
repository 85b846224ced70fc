//! Roots depend only on content; every kept version reads as it was committed; prefix
//! iteration works on the latest version only; version rules are enforced.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::panic
)]

mod common;

use std::collections::BTreeMap;

use common::{apply, changes, commit, open, root_of};
use delivery_store::{Changes, Prepared, Snapshot, StateRead, Storage, StoreError, EMPTY_ROOT};

fn assert_send_sync<T: Send + Sync + Clone>() {}
fn assert_send<T: Send>() {}

#[test]
fn handles_are_shareable_across_threads() {
    assert_send_sync::<Storage>();
    assert_send_sync::<Snapshot>();
    assert_send::<Prepared>();
}

#[test]
fn same_content_gives_the_same_root_whatever_the_history() {
    let keys: Vec<(String, String)> = (0..200)
        .map(|i| (format!("acct/{i:04}"), format!("balance-{}", i * 37)))
        .collect();

    // Store A: everything in one version.
    let a_dir = tempfile::tempdir().unwrap();
    let a = open(a_dir.path(), 0);
    let all: Changes = keys
        .iter()
        .map(|(k, v)| (k.clone().into_bytes(), Some(v.clone().into_bytes())))
        .collect();
    let root_a = commit(&a, 1, &all);

    // Store B: reverse order, ten keys per version, with detours (a key set, changed, deleted).
    let b_dir = tempfile::tempdir().unwrap();
    let b = open(b_dir.path(), 0);
    let mut version = 1;
    for chunk in keys.iter().rev().collect::<Vec<_>>().chunks(10) {
        let mut c: Changes = chunk
            .iter()
            .map(|(k, v)| (k.clone().into_bytes(), Some(v.clone().into_bytes())))
            .collect();
        c.insert(format!("tmp/{version}").into_bytes(), Some(b"x".to_vec()));
        commit(&b, version, &c);
        version += 1;
        commit(
            &b,
            version,
            &changes(&[(&format!("tmp/{}", version - 1), None)]),
        );
        version += 1;
    }
    assert_eq!(b.latest().unwrap().1, root_a);

    // Store C: same as A, opened separately: roots are deterministic.
    let c_dir = tempfile::tempdir().unwrap();
    let c = open(c_dir.path(), 0);
    assert_eq!(commit(&c, 1, &all), root_a);

    // And a different value anywhere changes the root.
    let mut other = all.clone();
    other.insert(b"acct/0007".to_vec(), Some(b"balance-0".to_vec()));
    let d_dir = tempfile::tempdir().unwrap();
    let d = open(d_dir.path(), 0);
    assert_ne!(commit(&d, 1, &other), root_a);
}

#[test]
fn root_of_a_fixed_state_is_pinned() {
    // Golden value: changing the tree encoding or hashing changes every app hash.
    let dir = tempfile::tempdir().unwrap();
    let storage = open(dir.path(), 0);
    let root = commit(
        &storage,
        1,
        &changes(&[
            ("alpha", Some("1")),
            ("beta", Some("")),
            ("gamma", Some("333")),
        ]),
    );
    assert_eq!(hex::encode(root), GOLDEN_ROOT);
}

#[test]
fn a_single_leaf_root_matches_the_documented_hashing() {
    // Computed by hand from the crate docs: root of one leaf =
    // sha256("JMT::LeafNode" ‖ sha256(key) ‖ sha256(0x01 ‖ value)).
    use sha2::{Digest, Sha256};
    let dir = tempfile::tempdir().unwrap();
    let storage = open(dir.path(), 0);
    let root = commit(&storage, 1, &changes(&[("only", Some("value"))]));
    let key_hash = Sha256::digest(b"only");
    let value_hash = Sha256::digest(b"\x01value");
    let mut leaf = Sha256::new();
    leaf.update(b"JMT::LeafNode");
    leaf.update(key_hash);
    leaf.update(value_hash);
    let expected: [u8; 32] = leaf.finalize().into();
    assert_eq!(root, expected);
}

const GOLDEN_ROOT: &str = "ab70e5ae95f4b948be2214d1de2107f8069d743d500f3c0bf2b918c117d3a12c";

#[test]
fn every_kept_version_reads_as_committed() {
    let dir = tempfile::tempdir().unwrap();
    let storage = open(dir.path(), 0);
    assert_eq!(storage.latest(), None);
    let empty = storage.latest_snapshot();
    assert_eq!(empty.version(), None);
    assert_eq!(empty.root_hash(), EMPTY_ROOT);
    assert_eq!(empty.get_raw(b"a").unwrap(), None);
    assert_eq!(empty.prefix_raw(b"").unwrap(), vec![]);

    let r1 = commit(&storage, 1, &changes(&[("a", Some("1")), ("b", Some("1"))]));
    let r2 = commit(&storage, 2, &changes(&[("a", Some("2")), ("c", Some(""))]));
    let r3 = commit(&storage, 3, &changes(&[("a", None), ("zz-missing", None)]));
    let r4 = commit(&storage, 4, &Changes::new());
    assert_eq!(r4, r3, "a version without changes keeps the root");
    assert_eq!(storage.latest(), Some((4, r4)));

    let expect = |version: u64, key: &str, value: Option<&str>| {
        let snapshot = storage.snapshot_at(version).unwrap();
        assert_eq!(snapshot.version(), Some(version));
        assert_eq!(
            snapshot.get_raw(key.as_bytes()).unwrap(),
            value.map(|v| v.as_bytes().to_vec()),
            "{key} at version {version}"
        );
    };
    expect(1, "a", Some("1"));
    expect(1, "c", None);
    expect(2, "a", Some("2"));
    expect(2, "b", Some("1"));
    expect(2, "c", Some(""));
    expect(3, "a", None);
    expect(3, "c", Some(""));
    expect(4, "a", None);
    expect(4, "b", Some("1"));
    assert_eq!(storage.root_at(1).unwrap(), r1);
    assert_eq!(storage.root_at(2).unwrap(), r2);
    assert_eq!(storage.snapshot_at(2).unwrap().root_hash(), r2);

    // Deleting gives the root of a store that never had the key.
    let mut model = BTreeMap::new();
    model.insert(b"b".to_vec(), b"1".to_vec());
    model.insert(b"c".to_vec(), Vec::new());
    assert_eq!(root_of(&model), r3);

    // Deleting the last key gives the empty root back.
    let r5 = commit(&storage, 5, &changes(&[("b", None), ("c", None)]));
    assert_eq!(r5, EMPTY_ROOT);
    let r6 = commit(&storage, 6, &changes(&[("b", Some("again"))]));
    assert_ne!(r6, EMPTY_ROOT);
    expect(6, "b", Some("again"));
    expect(5, "b", None);
    expect(4, "b", Some("1"));
}

#[test]
fn prefix_iteration_is_ordered_and_only_on_the_latest_version() {
    let dir = tempfile::tempdir().unwrap();
    let storage = open(dir.path(), 0);
    let before = storage.latest_snapshot();
    commit(
        &storage,
        10,
        &changes(&[
            ("bank/b", Some("2")),
            ("bank/a", Some("1")),
            ("bank0", Some("x")),
            ("auth/z", Some("9")),
            ("bank/c", Some("")),
        ]),
    );
    let mut high = Changes::new();
    high.insert(vec![0x01, 0xff], Some(b"h1".to_vec()));
    high.insert(vec![0x01, 0xff, 0x00], Some(b"h2".to_vec()));
    high.insert(vec![0x02], Some(b"h3".to_vec()));
    high.insert(b"bank/d".to_vec(), Some(b"4".to_vec()));
    high.insert(b"bank/a".to_vec(), None);
    commit(&storage, 11, &high);

    let latest = storage.latest_snapshot();
    let listed = latest.prefix_raw(b"bank/").unwrap();
    let want: Vec<(Vec<u8>, Vec<u8>)> = vec![
        (b"bank/b".to_vec(), b"2".to_vec()),
        (b"bank/c".to_vec(), b"".to_vec()),
        (b"bank/d".to_vec(), b"4".to_vec()),
    ];
    assert_eq!(listed, want);
    assert_eq!(
        latest.prefix_raw(&[0x01, 0xff]).unwrap(),
        vec![
            (vec![0x01, 0xff], b"h1".to_vec()),
            (vec![0x01, 0xff, 0x00], b"h2".to_vec())
        ]
    );
    assert_eq!(latest.prefix_raw(b"nothing").unwrap(), vec![]);
    let everything = latest.prefix_raw(b"").unwrap();
    assert_eq!(everything.len(), 8);
    assert!(everything.windows(2).all(|w| w[0].0 < w[1].0), "sorted");

    // Older snapshots may still read single keys, but not iterate.
    let old = storage.snapshot_at(10).unwrap();
    assert_eq!(old.get_raw(b"bank/a").unwrap(), Some(b"1".to_vec()));
    assert!(matches!(
        old.prefix_raw(b"bank/"),
        Err(StoreError::HistoricalIteration {
            version: Some(10),
            latest: Some(11)
        })
    ));
    assert!(matches!(
        before.prefix_raw(b""),
        Err(StoreError::HistoricalIteration {
            version: None,
            latest: Some(11)
        })
    ));
    // Once another version lands, the former latest snapshot refuses to iterate too.
    commit(&storage, 12, &Changes::new());
    assert!(matches!(
        latest.prefix_raw(b""),
        Err(StoreError::HistoricalIteration { .. })
    ));
    assert_eq!(latest.get_raw(b"bank/d").unwrap(), Some(b"4".to_vec()));
}

#[test]
fn version_rules_are_enforced_with_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let storage = open(dir.path(), 0);
    assert!(matches!(
        storage.prepare(u64::MAX, &Changes::new()),
        Err(StoreError::ReservedVersion(_))
    ));
    assert!(matches!(
        storage.snapshot_at(0),
        Err(StoreError::NotCommitted { latest: None, .. })
    ));

    commit(&storage, 3, &changes(&[("k", Some("v"))]));
    let err = storage.prepare(5, &Changes::new()).unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::UnexpectedVersion {
                expected: 4,
                got: 5
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("must be 4"), "{err}");
    assert!(matches!(
        storage.prepare(3, &Changes::new()),
        Err(StoreError::UnexpectedVersion {
            expected: 4,
            got: 3
        })
    ));
    let err = storage.snapshot_at(4).unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::NotCommitted {
                version: 4,
                latest: Some(3)
            }
        ),
        "{err}"
    );
    // Versions before the first commit were never written.
    assert!(storage.snapshot_at(2).is_err());

    assert!(matches!(
        storage.prepare(4, &changes(&[("", Some("v"))])),
        Err(StoreError::EmptyKey)
    ));

    // Two versions prepared on the same base: the second commit is refused.
    let first = storage.prepare(4, &changes(&[("k", Some("one"))])).unwrap();
    let second = storage.prepare(4, &changes(&[("k", Some("two"))])).unwrap();
    storage.commit(first, vec![]).unwrap();
    let err = storage.commit(second, vec![]).unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::StalePrepared {
                version: 4,
                prepared_on: Some(3),
                latest: Some(4)
            }
        ),
        "{err}"
    );
    assert_eq!(
        storage.latest_snapshot().get_raw(b"k").unwrap(),
        Some(b"one".to_vec())
    );
}

#[test]
fn metadata_and_versions_survive_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let root = {
        let storage = open(dir.path(), 0);
        assert_eq!(storage.get_meta(b"height").unwrap(), None);
        let prepared = storage.prepare(1, &changes(&[("a", Some("1"))])).unwrap();
        let root = prepared.root();
        storage
            .commit(
                prepared,
                vec![(b"height".to_vec(), b"1".to_vec()), (b"x".to_vec(), vec![])],
            )
            .unwrap();
        let prepared = storage.prepare(2, &changes(&[("b", Some("2"))])).unwrap();
        storage
            .commit(prepared, vec![(b"height".to_vec(), b"2".to_vec())])
            .unwrap();
        root
    };
    let storage = open(dir.path(), 0);
    assert_eq!(storage.latest().unwrap().0, 2);
    assert_eq!(storage.root_at(1).unwrap(), root);
    assert_eq!(storage.get_meta(b"height").unwrap(), Some(b"2".to_vec()));
    assert_eq!(storage.get_meta(b"x").unwrap(), Some(vec![]));
    assert_eq!(
        storage.latest_snapshot().get_raw(b"a").unwrap(),
        Some(b"1".to_vec())
    );
    // A second handle on the same directory is refused (RocksDB's lock), with the path named.
    let err = delivery_store::Storage::open(dir.path(), Default::default()).unwrap_err();
    assert!(matches!(err, StoreError::Backend(_)), "{err}");
    assert!(
        err.to_string().contains(&dir.path().display().to_string()),
        "{err}"
    );
    commit(&storage, 3, &Changes::new());
    let model: BTreeMap<Vec<u8>, Vec<u8>> = storage
        .latest_snapshot()
        .prefix_raw(b"")
        .unwrap()
        .into_iter()
        .collect();
    let mut expected = BTreeMap::new();
    apply(
        &mut expected,
        &changes(&[("a", Some("1")), ("b", Some("2"))]),
    );
    assert_eq!(model, expected);
}
