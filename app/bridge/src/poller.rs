//! [`Poller`]: one root chain's log poller with a persisted cursor.
//!
//! The cursor is the next block to scan (every block below it was handed over). Each
//! [`tick`](Poller::tick):
//!
//! 1. reads the head and takes the last confirmed block `head - confirmations + 1`
//!    ([`crate::verify::is_deep_enough`]'s rule; nothing to do if it is below the cursor);
//! 2. scans `[cursor, min(last confirmed, cursor + max_range - 1)]` with one `eth_getLogs` for
//!    the configured addresses and topics;
//! 3. hands the range's logs, sorted by (block, logIndex), to the [`LogConsumer`] in one call
//!    (no call for a range without logs);
//! 4. only after the consumer accepted them, writes the new cursor (the range's end + 1)
//!    atomically (temporary file, fsync, rename, fsync of the directory) and advances.
//!
//! A failure anywhere (RPC, consumer, cursor write) ends the tick without advancing: the next
//! tick scans the same range again. After a restart the poller resumes from the cursor file,
//! so no confirmed event is missed; a range whose logs were handed over but whose cursor was
//! not written is handed over again. **The consumer drops duplicates** by the root event's
//! once-only key (root chain, block, log index: [`RootEvent::applied_key`]) — Delivery's state
//! rejects an applied event anyway.
//!
//! Without a cursor file the poller starts at [`PollerConfig::start_block`] (the root
//! contracts' deploy block). With one, it resumes at the larger of the file's cursor and
//! `start_block` (raising `start_block` skips ahead; lowering it does not rescan).
//!
//! Reorganisations deeper than `confirmations` are not handled: choose `confirmations` so that
//! they cannot happen (see `docs/bridge.md`).

use std::future::Future;
use std::path::{Path, PathBuf};
use std::time::Duration;

use delivery_rootchain::RootEvent;
use serde::{Deserialize, Serialize};

use crate::client::{ClientError, RootChainClient};
use crate::events::{decode_parts, DecodeError, RootLog};

/// What a poller scans and where it keeps its cursor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PollerConfig {
    /// The root chain's name (`tron`, `eth`, ...): put in every [`RootEvent`].
    pub root_chain: String,
    /// The contracts whose logs are wanted (at least one).
    pub addresses: Vec<[u8; 20]>,
    /// The wanted topic 0s (empty: every log of the addresses).
    pub topics: Vec<[u8; 32]>,
    /// The first block to scan when there is no cursor file (the contracts' deploy block).
    pub start_block: u64,
    /// Blocks deep a block must be to be scanned (0 counts as 1: the head itself).
    pub confirmations: u64,
    /// Most blocks per `eth_getLogs` (TRON's java-tron allows 5,000 by default; many Ethereum
    /// providers fewer). 0 counts as 1.
    pub max_range: u64,
    /// The cursor file.
    pub cursor_path: PathBuf,
    /// Pause between ticks once caught up, and after a failed tick.
    pub interval: Duration,
}

/// One log handed to the consumer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolledLog {
    /// Where the log is: the reference a Delivery message carries.
    pub event: RootEvent,
    /// The block's hash.
    pub block_hash: Option<[u8; 32]>,
    /// The emitting contract.
    pub emitter: [u8; 20],
    /// The topics.
    pub topics: Vec<[u8; 32]>,
    /// The data.
    pub data: Vec<u8>,
}

impl PolledLog {
    /// Decodes the log as a root-contract event.
    pub fn decode(&self) -> Result<RootLog, DecodeError> {
        decode_parts(&self.topics, &self.data)
    }
}

/// Receives the logs of each scanned range, in (block, logIndex) order.
pub trait LogConsumer: Send {
    /// Why the consumer refused a range.
    type Error: std::fmt::Display + Send;

    /// Takes the logs of blocks `from_block..=to_block` (at least one log). `Ok` means they are
    /// taken care of (the cursor then moves past `to_block`); `Err` makes the poller scan the
    /// range again on its next tick, so logs already taken come again.
    fn consume(
        &mut self,
        from_block: u64,
        to_block: u64,
        logs: Vec<PolledLog>,
    ) -> impl Future<Output = Result<(), Self::Error>> + Send;
}

/// What a tick did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tick {
    /// No confirmed block past the cursor yet.
    Idle {
        /// The root chain's head.
        head: u64,
        /// The cursor (next block to scan).
        next_block: u64,
    },
    /// A range was scanned and handed over; the cursor is past it.
    Scanned {
        /// First block of the range.
        from_block: u64,
        /// Last block of the range.
        to_block: u64,
        /// Logs handed over.
        logs: usize,
        /// Whether the range reached the last confirmed block.
        caught_up: bool,
    },
}

/// Why a poller cannot start or a tick failed.
#[derive(Debug, thiserror::Error)]
pub enum PollError {
    /// The configuration is unusable.
    #[error("poller config: {0}")]
    Config(String),
    /// The cursor file cannot be read or written.
    #[error("cursor file {path}: {reason}")]
    Cursor {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },
    /// The root chain did not answer usefully.
    #[error(transparent)]
    Client(#[from] ClientError),
    /// The consumer refused a range.
    #[error("consumer refused blocks {from_block}..={to_block}: {reason}")]
    Consumer {
        /// First block of the range.
        from_block: u64,
        /// Last block of the range.
        to_block: u64,
        /// The consumer's error.
        reason: String,
    },
}

/// The cursor file's content.
#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
struct CursorFile {
    root_chain: String,
    next_block: u64,
}

/// A log poller over one root chain (see the module docs).
pub struct Poller<C> {
    client: RootChainClient,
    config: PollerConfig,
    consumer: C,
    next_block: u64,
}

impl<C> std::fmt::Debug for Poller<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Poller")
            .field("client", &self.client)
            .field("config", &self.config)
            .field("next_block", &self.next_block)
            .finish()
    }
}

impl<C: LogConsumer> Poller<C> {
    /// A poller resuming from `config.cursor_path` (or starting at `config.start_block`).
    pub async fn open(
        client: RootChainClient,
        config: PollerConfig,
        consumer: C,
    ) -> Result<Self, PollError> {
        if config.addresses.is_empty() {
            return Err(PollError::Config(format!(
                "root chain {}: no contract address to scan",
                config.root_chain
            )));
        }
        if client.root_chain() != config.root_chain {
            return Err(PollError::Config(format!(
                "the client is for root chain {}, the poller for {}",
                client.root_chain(),
                config.root_chain
            )));
        }
        let path = config.cursor_path.clone();
        let chain = config.root_chain.clone();
        let saved = blocking(move || read_cursor(&path, &chain)).await?;
        let next_block = saved.map_or(config.start_block, |n| n.max(config.start_block));
        tracing::info!(
            root_chain = %config.root_chain,
            endpoint = client.endpoint(),
            next_block,
            resumed = saved.is_some(),
            "root-chain log poller ready"
        );
        Ok(Self {
            client,
            config,
            consumer,
            next_block,
        })
    }

    /// The cursor: the next block to scan.
    pub fn next_block(&self) -> u64 {
        self.next_block
    }

    /// The consumer.
    pub fn consumer(&self) -> &C {
        &self.consumer
    }

    /// The consumer, mutably.
    pub fn consumer_mut(&mut self) -> &mut C {
        &mut self.consumer
    }

    /// Ends the poller, returning its consumer.
    pub fn into_consumer(self) -> C {
        self.consumer
    }

    /// Scans the next range (see the module docs).
    pub async fn tick(&mut self) -> Result<Tick, PollError> {
        let chain = self.config.root_chain.as_str();
        let head = self.client.head().await?;
        let extra = self.config.confirmations.max(1).saturating_sub(1);
        let last_confirmed = match head.checked_sub(extra) {
            Some(b) if b >= self.next_block => b,
            _ => {
                tracing::debug!(
                    root_chain = chain,
                    head,
                    next_block = self.next_block,
                    "no newly confirmed block"
                );
                return Ok(Tick::Idle {
                    head,
                    next_block: self.next_block,
                });
            }
        };
        let from = self.next_block;
        let span = self.config.max_range.max(1).saturating_sub(1);
        let to = last_confirmed.min(from.saturating_add(span));
        let raw = self
            .client
            .logs(from, to, &self.config.addresses, &self.config.topics)
            .await?;
        let mut logs = Vec::with_capacity(raw.len());
        for log in raw {
            // `RootChainClient::logs` guarantees these are present.
            let (Some(block_number), Some(tx_hash), Some(log_index)) =
                (log.block_number, log.tx_hash, log.log_index)
            else {
                continue;
            };
            logs.push(PolledLog {
                event: RootEvent {
                    root_chain: self.config.root_chain.clone(),
                    tx_hash: tx_hash.to_vec(),
                    block_number,
                    log_index,
                },
                block_hash: log.block_hash,
                emitter: log.address,
                topics: log.topics,
                data: log.data,
            });
        }
        logs.sort_by_key(|l| (l.event.block_number, l.event.log_index));
        if let Some(pair) = logs.windows(2).find(|w| {
            matches!(w, [a, b] if (a.event.block_number, a.event.log_index) == (b.event.block_number, b.event.log_index))
        }) {
            let dup = pair
                .first()
                .map_or_else(|| "?".to_string(), |l| l.event.describe());
            return Err(PollError::Client(ClientError::Unavailable {
                root_chain: chain.to_string(),
                method: "eth_getLogs",
                reason: format!("malformed response: log {dup} returned twice"),
            }));
        }
        let count = logs.len();
        if count > 0 {
            self.consumer
                .consume(from, to, logs)
                .await
                .map_err(|e| PollError::Consumer {
                    from_block: from,
                    to_block: to,
                    reason: e.to_string(),
                })?;
        }
        let next = to.saturating_add(1);
        let path = self.config.cursor_path.clone();
        let file = CursorFile {
            root_chain: self.config.root_chain.clone(),
            next_block: next,
        };
        blocking(move || write_cursor(&path, &file)).await?;
        self.next_block = next;
        let caught_up = to == last_confirmed;
        if count > 0 {
            tracing::info!(
                root_chain = chain,
                from,
                to,
                logs = count,
                head,
                caught_up,
                "root-chain logs handed over"
            );
        } else {
            tracing::debug!(
                root_chain = chain,
                from,
                to,
                head,
                caught_up,
                "root-chain range without logs"
            );
        }
        Ok(Tick::Scanned {
            from_block: from,
            to_block: to,
            logs: count,
            caught_up,
        })
    }

    /// Ticks until `shutdown` completes: at once again while behind, after
    /// [`PollerConfig::interval`] once caught up or after a failure (logged as a warning).
    pub async fn run(mut self, shutdown: impl Future<Output = ()>) -> C {
        let mut shutdown = std::pin::pin!(shutdown);
        loop {
            let wait = tokio::select! {
                () = &mut shutdown => break,
                result = self.tick() => match result {
                    Ok(Tick::Scanned { caught_up: false, .. }) => Duration::ZERO,
                    Ok(_) => self.config.interval,
                    Err(e) => {
                        tracing::warn!(root_chain = %self.config.root_chain, next_block = self.next_block, "root-chain poll failed: {e}");
                        self.config.interval
                    }
                },
            };
            tokio::select! {
                () = &mut shutdown => break,
                () = tokio::time::sleep(wait) => {}
            }
        }
        tracing::info!(root_chain = %self.config.root_chain, next_block = self.next_block, "root-chain log poller stopped");
        self.consumer
    }
}

async fn blocking<T, F>(f: F) -> Result<T, PollError>
where
    F: FnOnce() -> Result<T, PollError> + Send + 'static,
    T: Send + 'static,
{
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| PollError::Cursor {
            path: PathBuf::new(),
            reason: format!("cursor file task failed: {e}"),
        })?
}

fn cursor_err(path: &Path, reason: impl std::fmt::Display) -> PollError {
    PollError::Cursor {
        path: path.to_path_buf(),
        reason: reason.to_string(),
    }
}

/// The saved cursor, `None` without a file.
fn read_cursor(path: &Path, root_chain: &str) -> Result<Option<u64>, PollError> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(cursor_err(path, e)),
    };
    let file: CursorFile = serde_json::from_str(&text).map_err(|e| {
        cursor_err(
            path,
            format!("expected {{\"root_chain\": \"{root_chain}\", \"next_block\": N}}: {e}"),
        )
    })?;
    if file.root_chain != root_chain {
        return Err(cursor_err(
            path,
            format!(
                "it is the cursor of root chain {:?}, not {root_chain:?}",
                file.root_chain
            ),
        ));
    }
    Ok(Some(file.next_block))
}

/// Writes the cursor atomically: a temporary file beside it, fsync, rename over it, fsync of
/// the directory.
fn write_cursor(path: &Path, file: &CursorFile) -> Result<(), PollError> {
    use std::io::Write;
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&dir).map_err(|e| cursor_err(path, e))?;
    let mut tmp_name = path.as_os_str().to_owned();
    tmp_name.push(".tmp");
    let tmp = PathBuf::from(tmp_name);
    let body = serde_json::to_vec(file).map_err(|e| cursor_err(path, e))?;
    {
        let mut f = std::fs::File::create(&tmp).map_err(|e| cursor_err(&tmp, e))?;
        f.write_all(&body).map_err(|e| cursor_err(&tmp, e))?;
        f.sync_all().map_err(|e| cursor_err(&tmp, e))?;
    }
    std::fs::rename(&tmp, path).map_err(|e| cursor_err(path, e))?;
    std::fs::File::open(&dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| cursor_err(&dir, e))?;
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn the_cursor_file_round_trips_and_is_checked() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/eth.cursor");
        assert_eq!(read_cursor(&path, "eth").unwrap(), None);
        write_cursor(
            &path,
            &CursorFile {
                root_chain: "eth".into(),
                next_block: 77,
            },
        )
        .unwrap();
        assert_eq!(read_cursor(&path, "eth").unwrap(), Some(77));
        assert!(!dir.path().join("sub/eth.cursor.tmp").exists());
        let err = read_cursor(&path, "tron").unwrap_err();
        assert!(err.to_string().contains("\"eth\""), "{err}");
        std::fs::write(&path, "{\"next_block\": -1}").unwrap();
        assert!(read_cursor(&path, "eth").is_err());
        std::fs::write(&path, "garbage").unwrap();
        let err = read_cursor(&path, "eth").unwrap_err();
        assert!(err.to_string().contains("next_block"), "{err}");
    }
}
