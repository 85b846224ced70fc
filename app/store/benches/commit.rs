//! Commit throughput: prepare + commit (fsync'd) of a version of N random 32-byte keys with
//! 100-byte values, on top of a store that already holds earlier batches. Reported as keys/s.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::arithmetic_side_effects,
    missing_docs
)]

use std::time::Duration;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use delivery_store::{Changes, Storage, StorageConfig};
use rand::{Rng, SeedableRng};

fn random_changes(rng: &mut rand::rngs::StdRng, keys: usize) -> Changes {
    (0..keys)
        .map(|_| {
            let key: [u8; 32] = rng.gen();
            let mut value = vec![0u8; 100];
            rng.fill(value.as_mut_slice());
            (key.to_vec(), Some(value))
        })
        .collect()
}

fn commit_throughput(c: &mut Criterion) {
    let mut group = c.benchmark_group("commit");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(8));
    for keys in [1_000usize, 10_000] {
        let dir = tempfile::tempdir().unwrap();
        let storage = Storage::open(dir.path(), StorageConfig { keep_recent: 100 }).unwrap();
        let mut rng = rand::rngs::StdRng::seed_from_u64(keys as u64);
        group.throughput(Throughput::Elements(keys as u64));
        group.bench_function(format!("{keys}_keys"), |b| {
            b.iter_batched(
                || random_changes(&mut rng, keys),
                |changes| {
                    let version = storage.latest().map_or(1, |(v, _)| v + 1);
                    let prepared = storage.prepare(version, &changes).unwrap();
                    storage.commit(prepared, Vec::new()).unwrap();
                },
                BatchSize::PerIteration,
            )
        });
    }
    group.finish();
}

criterion_group!(benches, commit_throughput);
criterion_main!(benches);
