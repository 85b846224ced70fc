//! A writer process SIGKILLed at random moments leaves a store that opens at a consistent
//! latest version: its contents are exactly the replayed changes up to that version, its root
//! matches a recomputation from those contents, its metadata is from the same commit, and
//! committing continues from there.
//!
//! The writer is this test binary re-executed with `DELIVERY_STORE_CRASH_CHILD` set.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::panic
)]

mod common;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use common::{apply, commit, generated_changes, open, root_of};
use delivery_store::{verify_proof, StateRead, Storage};
use rand::Rng;

const CHILD_ENV: &str = "DELIVERY_STORE_CRASH_CHILD";
const KEEP_RECENT: u64 = 5;
const ROUNDS: usize = 20;

/// The child's body: commit generated versions forever (until killed).
#[test]
#[ignore = "runs only as the child process of a_killed_writer_leaves_a_consistent_store"]
fn crash_child_writer() {
    let Some(dir) = std::env::var_os(CHILD_ENV) else {
        return;
    };
    let storage = open(Path::new(&dir), KEEP_RECENT);
    let mut announced = false;
    loop {
        let version = storage.latest().map_or(1, |(v, _)| v + 1);
        let prepared = storage
            .prepare(version, &generated_changes(version))
            .unwrap();
        let root = prepared.root();
        storage
            .commit(
                prepared,
                vec![
                    (b"height".to_vec(), version.to_be_bytes().to_vec()),
                    (b"app_hash".to_vec(), root.to_vec()),
                ],
            )
            .unwrap();
        if !announced {
            // Tell the parent that this run made progress (and which version is durable).
            println!("committed {version}");
            std::io::stdout().flush().unwrap();
            announced = true;
        }
    }
}

/// Checks the store at `dir` and returns its latest version.
fn check_consistent(storage: &Storage, models: &mut Vec<BTreeMap<Vec<u8>, Vec<u8>>>) -> u64 {
    let Some((latest, root)) = storage.latest() else {
        return 0;
    };
    // Extend the replayed models (models[v] is the state after version v; models[0] empty).
    while models.len() as u64 <= latest {
        let version = models.len() as u64;
        let mut next = models.last().unwrap().clone();
        apply(&mut next, &generated_changes(version));
        models.push(next);
    }
    let model = &models[latest as usize];

    let snapshot = storage.latest_snapshot();
    let contents: BTreeMap<Vec<u8>, Vec<u8>> =
        snapshot.prefix_raw(b"").unwrap().into_iter().collect();
    assert_eq!(&contents, model, "contents at version {latest}");
    assert_eq!(
        root_of(&contents),
        root,
        "root of version {latest} recomputed from contents"
    );
    assert_eq!(
        storage.get_meta(b"height").unwrap(),
        Some(latest.to_be_bytes().to_vec())
    );
    assert_eq!(storage.get_meta(b"app_hash").unwrap(), Some(root.to_vec()));

    // Point reads and proofs agree, at the latest and the oldest kept version.
    let earliest = storage.earliest().unwrap();
    assert_eq!(earliest, latest.saturating_sub(KEEP_RECENT).max(1));
    for version in [earliest, latest] {
        let snapshot = storage.snapshot_at(version).unwrap();
        let root = storage.root_at(version).unwrap();
        for slot in (0..4_000).step_by(251) {
            let key = format!("k/{slot:05}").into_bytes();
            let want = models[version as usize].get(&key).cloned();
            assert_eq!(snapshot.get_raw(&key).unwrap(), want);
            let (value, proof) = storage.prove(&key, version).unwrap();
            assert_eq!(value, want);
            assert!(verify_proof(&root, &key, value.as_deref(), &proof));
        }
    }
    latest
}

#[test]
fn a_killed_writer_leaves_a_consistent_store() {
    let dir = tempfile::tempdir().unwrap();
    let exe = std::env::current_exe().unwrap();
    let mut rng = rand::thread_rng();
    let mut models = vec![BTreeMap::new()];
    let mut latest = 0u64;

    for round in 0..ROUNDS {
        let mut child = Command::new(&exe)
            .args([
                "--exact",
                "crash_child_writer",
                "--include-ignored",
                "--nocapture",
            ])
            .env(CHILD_ENV, dir.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // Wait for the child's first commit, then kill it at a random moment after.
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let acknowledged = loop {
            let Some(line) = lines.next() else {
                panic!("round {round}: the writer exited before its first commit")
            };
            if let Some(version) = line.unwrap().strip_prefix("committed ") {
                break version.parse::<u64>().unwrap();
            }
        };
        std::thread::sleep(Duration::from_millis(rng.gen_range(0..400)));
        if let Some(status) = child.try_wait().unwrap() {
            panic!("round {round}: the writer exited by itself with {status}");
        }
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();

        let storage = open(dir.path(), KEEP_RECENT);
        let now = check_consistent(&storage, &mut models);
        assert!(
            now >= latest,
            "round {round}: latest went back from {latest} to {now}"
        );
        assert!(
            now >= acknowledged,
            "round {round}: version {acknowledged} was acknowledged but the store reopened at {now}"
        );
        latest = now;
    }

    // Committing continues from the recovered version.
    let storage = open(dir.path(), KEEP_RECENT);
    for version in latest + 1..=latest + 3 {
        commit(&storage, version, &generated_changes(version));
    }
    drop(storage);
    let storage = open(dir.path(), KEEP_RECENT);
    let root = storage.latest().unwrap().1;
    assert_eq!(storage.latest().unwrap().0, latest + 3);
    let mut model = models[latest as usize].clone();
    for version in latest + 1..=latest + 3 {
        apply(&mut model, &generated_changes(version));
    }
    assert_eq!(root_of(&model), root);
}
