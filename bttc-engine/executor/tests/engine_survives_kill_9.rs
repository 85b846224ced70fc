//! SIGKILL during block import leaves a consistent head: the head's state root equals a full
//! rebuild of the stored state, and the engine carries on.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::panic,
    missing_docs
)]

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use alloy_primitives::Address;
use bttc_engine_api::Engine;
use common::*;

const CHILD_ENV: &str = "BTTC_ENGINE_KILL9_CHILD_DIR";

/// In the child: import blocks forever, printing each committed block number.
fn child_loop(dir: &str) -> ! {
    let e = open(std::path::Path::new(dir));
    let alice = key(1);
    let producer = key(9);
    loop {
        let head = e.head().unwrap();
        let nonce = e
            .account(alice.address().0 .0)
            .unwrap()
            .map_or(0, |(_, n, _)| n);
        for i in 0..40u64 {
            let to = Address::left_padding_from(&(head.number * 100 + i).to_be_bytes());
            e.check_tx(&transfer(&alice, nonce + i, to, 1)).unwrap();
        }
        let p = build_sealed(&e, &producer, 10 + head.number, vec![]);
        import(&e, &p);
        println!("committed {}", p.block_number);
    }
}

#[test]
fn kill_9_during_import_leaves_a_consistent_head() {
    if let Ok(dir) = std::env::var(CHILD_ENV) {
        child_loop(&dir);
    }
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "kill_9_during_import_leaves_a_consistent_head",
            "--nocapture",
        ])
        .env(CHILD_ENV, dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    let mut last = 0u64;
    while last < 3 {
        let line = lines.next().expect("child ended early").unwrap();
        if let Some(n) = line.strip_prefix("committed ") {
            last = n.trim().parse().unwrap();
        }
    }
    // The child is in the middle of building/importing the next block.
    child.kill().unwrap(); // SIGKILL on Unix
    child.wait().unwrap();

    let e = open(dir.path());
    let head = e.head().unwrap();
    assert!(
        head.number >= last,
        "head {} went back below {last}",
        head.number
    );
    assert!(
        e.verify_head_state_root().unwrap(),
        "state root of head {} is inconsistent",
        head.number
    );
    // It carries on from there.
    let p = build_sealed(&e, &key(9), 10_000, vec![]);
    import(&e, &p);
    assert_eq!(e.head().unwrap().number, head.number + 1);
}
