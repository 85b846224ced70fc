//! ICS23 proofs of presence and absence verify against the root of the version they were
//! made at, and fail against any other root, for another value, or for the other claim.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::panic
)]

mod common;

use std::collections::{BTreeMap, BTreeSet};

use common::{changes, commit, open};
use delivery_store::{
    proof_spec, verify_membership, verify_non_membership, verify_proof, Changes, StoreError,
    EMPTY_ROOT,
};
use ics23::commitment_proof::Proof;
use proptest::prelude::*;

#[test]
fn presence_and_absence_proofs_verify_against_their_root_only() {
    let dir = tempfile::tempdir().unwrap();
    let storage = open(dir.path(), 0);
    let r1 = commit(
        &storage,
        1,
        &changes(&[
            ("apple", Some("red")),
            ("banana", Some("")),
            ("cherry", Some("dark")),
        ]),
    );
    let r2 = commit(
        &storage,
        2,
        &changes(&[("apple", Some("green")), ("date", Some("brown"))]),
    );

    // Presence at 1.
    let (value, proof) = storage.prove(b"apple", 1).unwrap();
    assert_eq!(value, Some(b"red".to_vec()));
    assert!(matches!(proof.proof, Some(Proof::Exist(_))));
    assert!(verify_membership(&r1, b"apple", b"red", &proof));
    assert!(verify_proof(&r1, b"apple", Some(b"red"), &proof));
    assert!(
        !verify_membership(&r2, b"apple", b"red", &proof),
        "other root"
    );
    assert!(
        !verify_membership(&r1, b"apple", b"green", &proof),
        "other value"
    );
    assert!(
        !verify_membership(&r1, b"apple", b"", &proof),
        "empty value"
    );
    assert!(
        !verify_membership(&r1, b"apples", b"red", &proof),
        "other key"
    );
    assert!(
        !verify_non_membership(&r1, b"apple", &proof),
        "presence is not absence"
    );

    // Presence at 2 of the new value; the old proof does not fit the new root.
    let (value, proof2) = storage.prove(b"apple", 2).unwrap();
    assert_eq!(value, Some(b"green".to_vec()));
    assert!(verify_membership(&r2, b"apple", b"green", &proof2));
    assert!(!verify_membership(&r1, b"apple", b"green", &proof2));

    // An empty value is provable.
    let (value, proof) = storage.prove(b"banana", 2).unwrap();
    assert_eq!(value, Some(Vec::new()));
    assert!(verify_membership(&r2, b"banana", b"", &proof));
    assert!(!verify_membership(&r2, b"banana", b"x", &proof));

    // Absence: "date" at 1, and a few keys never written (their neighbours include the key
    // with an empty value).
    for (key, version, root, other) in [
        (&b"date"[..], 1, r1, r2),
        (b"aardvark", 2, r2, r1),
        (b"blueberry", 2, r2, r1),
        (b"zucchini", 2, r2, r1),
    ] {
        let (value, proof) = storage.prove(key, version).unwrap();
        assert_eq!(value, None);
        assert!(matches!(proof.proof, Some(Proof::Nonexist(_))));
        assert!(
            verify_non_membership(&root, key, &proof),
            "{}",
            String::from_utf8_lossy(key)
        );
        assert!(verify_proof(&root, key, None, &proof));
        assert!(!verify_non_membership(&other, key, &proof), "other root");
        assert!(
            !verify_membership(&root, key, b"anything", &proof),
            "absence is not presence"
        );
    }
    // An absence proof for one key does not show absence of a present key.
    let (_, absent) = storage.prove(b"blueberry", 2).unwrap();
    assert!(!verify_non_membership(&r2, b"banana", &absent));
    assert!(!verify_non_membership(&r2, b"apple", &absent));
}

#[test]
fn tampered_proofs_fail() {
    let dir = tempfile::tempdir().unwrap();
    let storage = open(dir.path(), 0);
    let mut c = Changes::new();
    for i in 0..50u32 {
        c.insert(
            format!("key/{i}").into_bytes(),
            Some(format!("value {i}").into_bytes()),
        );
    }
    let root = commit(&storage, 1, &c);

    let (_, proof) = storage.prove(b"key/7", 1).unwrap();
    assert!(verify_membership(&root, b"key/7", b"value 7", &proof));
    let Some(Proof::Exist(exist)) = &proof.proof else {
        panic!("expected an existence proof")
    };
    // Flip the value inside the proof (the verifier recomputes from the claimed value anyway).
    let mut tampered = exist.clone();
    tampered.value = b"\x01value 8".to_vec();
    let tampered = ics23::CommitmentProof {
        proof: Some(Proof::Exist(tampered)),
    };
    assert!(!verify_membership(&root, b"key/7", b"value 8", &tampered));
    assert!(!verify_membership(&root, b"key/7", b"value 7", &tampered));
    // Flip one bit of one sibling hash.
    let mut tampered = exist.clone();
    let step = tampered
        .path
        .iter_mut()
        .find(|op| !op.suffix.is_empty())
        .unwrap();
    step.suffix[0] ^= 1;
    let tampered = ics23::CommitmentProof {
        proof: Some(Proof::Exist(tampered)),
    };
    assert!(!verify_membership(&root, b"key/7", b"value 7", &tampered));
    // Drop a step.
    let mut tampered = exist.clone();
    tampered.path.pop();
    let tampered = ics23::CommitmentProof {
        proof: Some(Proof::Exist(tampered)),
    };
    assert!(!verify_membership(&root, b"key/7", b"value 7", &tampered));
    // An empty proof.
    assert!(!verify_membership(
        &root,
        b"key/7",
        b"value 7",
        &ics23::CommitmentProof::default()
    ));

    // Absence proof with a neighbour replaced by another key's existence proof.
    let (_, absent) = storage.prove(b"not-there", 1).unwrap();
    assert!(verify_non_membership(&root, b"not-there", &absent));
    let Some(Proof::Nonexist(mut nonexist)) = absent.proof.clone() else {
        panic!()
    };
    let Some(Proof::Exist(far)) = storage.prove(b"key/30", 1).unwrap().1.proof else {
        panic!()
    };
    if nonexist.left.is_some() {
        nonexist.left = Some(far);
    } else {
        nonexist.right = Some(far);
    }
    let tampered = ics23::CommitmentProof {
        proof: Some(Proof::Nonexist(nonexist)),
    };
    assert!(!verify_non_membership(&root, b"not-there", &tampered));
}

#[test]
fn an_empty_tree_has_no_proof_and_the_spec_is_jmts() {
    let dir = tempfile::tempdir().unwrap();
    let storage = open(dir.path(), 0);
    commit(&storage, 1, &Changes::new());
    assert_eq!(storage.root_at(1).unwrap(), EMPTY_ROOT);
    assert!(matches!(
        storage.prove(b"k", 1),
        Err(StoreError::ProofUnavailable { version: 1, .. })
    ));
    assert!(matches!(storage.prove(b"", 1), Err(StoreError::EmptyKey)));
    assert!(matches!(
        storage.prove(b"k", 2),
        Err(StoreError::NotCommitted { .. })
    ));
    assert_eq!(proof_spec(), jmt::ics23_spec());
}

fn key_strategy() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(any::<u8>(), 1..12)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn random_key_sets_prove_every_present_and_absent_key(
        entries in prop::collection::btree_map(key_strategy(), prop::collection::vec(any::<u8>(), 0..20), 1..40),
        absent in prop::collection::btree_set(key_strategy(), 1..10),
        deleted_count in 0usize..5,
    ) {
        let dir = tempfile::tempdir().unwrap();
        let storage = open(dir.path(), 0);
        let first: Changes = entries.iter().map(|(k, v)| (k.clone(), Some(v.clone()))).collect();
        let r1 = commit(&storage, 1, &first);
        // Delete a few keys in version 2 (but keep at least one).
        let deleted: BTreeSet<Vec<u8>> =
            entries.keys().take(deleted_count.min(entries.len() - 1)).cloned().collect();
        let second: Changes = deleted.iter().map(|k| (k.clone(), None)).collect();
        let r2 = commit(&storage, 2, &second);
        let mut at2: BTreeMap<Vec<u8>, Vec<u8>> = entries.clone();
        for key in &deleted {
            at2.remove(key);
        }

        for key in entries.keys().chain(absent.iter()) {
            for (version, root, other, model) in [(1, r1, r2, &entries), (2, r2, r1, &at2)] {
                let (value, proof) = storage.prove(key, version).unwrap();
                prop_assert_eq!(&value, &model.get(key).cloned());
                prop_assert!(verify_proof(&root, key, value.as_deref(), &proof));
                if root != other {
                    prop_assert!(!verify_proof(&other, key, value.as_deref(), &proof));
                }
                match &value {
                    Some(v) => {
                        let mut wrong = v.clone();
                        wrong.push(0);
                        prop_assert!(!verify_proof(&root, key, Some(&wrong), &proof));
                        prop_assert!(!verify_proof(&root, key, None, &proof));
                    }
                    None => prop_assert!(!verify_proof(&root, key, Some(b"x"), &proof)),
                }
            }
        }
    }
}
