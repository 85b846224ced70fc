//! The ABCI socket server: accepts CometBFT's connections and serves an [`Application`].

use std::any::Any;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use futures::{FutureExt, SinkExt, StreamExt};
use tendermint_proto::v0_38::abci::{request, response, Request, Response, ResponseException};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, UnixListener, UnixStream};
use tokio::task::{JoinHandle, JoinSet};
use tokio_util::codec::Framed;
use tokio_util::sync::CancellationToken;

use crate::addr::ListenAddr;
use crate::application::{dispatch, Application};
use crate::codec::{ServerCodec, DEFAULT_MAX_MESSAGE_SIZE};
use crate::error::AbciError;
use crate::kind::request_name;

/// Most pipelined `CheckTx` requests handed to [`Application::check_tx_batch`] at once.
pub const MAX_CHECK_TX_BATCH: usize = 1024;

/// Server settings.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Largest request accepted (and response sent), prefix excluded. Default
    /// [`DEFAULT_MAX_MESSAGE_SIZE`] (100 MiB), CometBFT's own limit.
    pub max_message_size: usize,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            max_message_size: DEFAULT_MAX_MESSAGE_SIZE,
        }
    }
}

/// The bound listening socket.
enum Listener {
    Tcp(TcpListener),
    Unix(UnixListener, PathBuf),
}

/// An ABCI server bound to its address, not yet serving. See the crate docs for the
/// connection model.
pub struct Server<A> {
    app: Arc<A>,
    listener: Listener,
    addr: ListenAddr,
    config: ServerConfig,
}

impl<A> std::fmt::Debug for Server<A> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server")
            .field("addr", &self.addr)
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl<A: Application> Server<A> {
    /// Binds `addr` (`tcp://host:port`, `host:port` or `unix://path`) with default settings.
    pub async fn bind(addr: &str, app: impl Into<Arc<A>>) -> Result<Self, AbciError> {
        Self::bind_with(&ListenAddr::parse(addr)?, app, ServerConfig::default()).await
    }

    /// Binds `addr` with the given settings.
    ///
    /// A TCP port 0 picks a free port ([`Server::local_addr`] tells which). A unix socket path
    /// left behind by a previous run is replaced, but only if it is a socket nobody listens on.
    pub async fn bind_with(
        addr: &ListenAddr,
        app: impl Into<Arc<A>>,
        config: ServerConfig,
    ) -> Result<Self, AbciError> {
        let (listener, addr) = match addr {
            ListenAddr::Tcp(hostport) => {
                let listener = TcpListener::bind(hostport.as_str()).await?;
                let local = listener.local_addr()?;
                (Listener::Tcp(listener), ListenAddr::Tcp(local.to_string()))
            }
            ListenAddr::Unix(path) => {
                remove_stale_socket(path).await?;
                let listener = UnixListener::bind(path)?;
                (Listener::Unix(listener, path.clone()), addr.clone())
            }
        };
        tracing::info!(%addr, "ABCI server listening");
        Ok(Self {
            app: app.into(),
            listener,
            addr,
            config,
        })
    }

    /// The address the server listens on (with the real port when bound to port 0).
    pub fn local_addr(&self) -> &ListenAddr {
        &self.addr
    }

    /// Serves connections until `shutdown` is cancelled, then stops accepting, lets every
    /// connection finish the request it is on, closes them, removes the unix socket file and
    /// returns.
    pub async fn run(self, shutdown: CancellationToken) -> Result<(), AbciError> {
        let Self {
            app,
            listener,
            addr,
            config,
        } = self;
        let mut connections = JoinSet::new();
        let mut next_id: u64 = 0;
        loop {
            tokio::select! {
                biased;
                () = shutdown.cancelled() => break,
                Some(joined) = connections.join_next(), if !connections.is_empty() => {
                    if let Err(err) = joined {
                        tracing::error!(%err, "ABCI connection task failed");
                    }
                }
                accepted = accept(&listener) => match accepted {
                    Ok(stream) => {
                        next_id = next_id.wrapping_add(1);
                        tracing::debug!(%addr, conn = next_id, "ABCI connection accepted");
                        connections.spawn(serve_connection(
                            next_id,
                            stream,
                            Arc::clone(&app),
                            config.max_message_size,
                            shutdown.child_token(),
                        ));
                    }
                    Err(err) => {
                        // Typically a resource limit (too many open files): wait and go on.
                        tracing::warn!(%addr, %err, "ABCI accept failed");
                        tokio::time::sleep(Duration::from_millis(100)).await;
                    }
                },
            }
        }
        tracing::info!(%addr, "ABCI server shutting down");
        close_listener(listener);
        while let Some(joined) = connections.join_next().await {
            if let Err(err) = joined {
                tracing::error!(%err, "ABCI connection task failed");
            }
        }
        Ok(())
    }

    /// Runs the server on a tokio task and returns a handle to stop it.
    pub fn spawn(self) -> ServerHandle {
        let token = CancellationToken::new();
        let addr = self.addr.clone();
        let task = tokio::spawn(self.run(token.clone()));
        ServerHandle {
            addr,
            token,
            task: Some(task),
        }
    }
}

/// A running server (from [`Server::spawn`]). Dropping the handle stops the server.
#[derive(Debug)]
pub struct ServerHandle {
    addr: ListenAddr,
    token: CancellationToken,
    task: Option<JoinHandle<Result<(), AbciError>>>,
}

impl ServerHandle {
    /// The address the server listens on.
    pub fn local_addr(&self) -> &ListenAddr {
        &self.addr
    }

    /// A token that stops the server when cancelled (for a signal handler, say).
    pub fn shutdown_token(&self) -> CancellationToken {
        self.token.clone()
    }

    /// Stops the server and waits until every connection is closed.
    pub async fn shutdown(self) -> Result<(), AbciError> {
        self.token.cancel();
        self.wait().await
    }

    /// Waits until the server stops (its token is cancelled elsewhere).
    pub async fn wait(mut self) -> Result<(), AbciError> {
        match self.task.take() {
            None => Ok(()),
            Some(task) => task.await.map_err(|e| AbciError::Task(e.to_string()))?,
        }
    }
}

impl Drop for ServerHandle {
    fn drop(&mut self) {
        self.token.cancel();
    }
}

/// A byte stream a connection runs on.
trait Io: AsyncRead + AsyncWrite + Unpin + Send + 'static {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send + 'static> Io for T {}

async fn accept(listener: &Listener) -> std::io::Result<Box<dyn Io>> {
    Ok(match listener {
        Listener::Tcp(l) => {
            let (stream, _) = l.accept().await?;
            stream.set_nodelay(true)?;
            Box::new(stream)
        }
        Listener::Unix(l, _) => Box::new(l.accept().await?.0),
    })
}

/// Closes the listener; for a unix socket, also removes its file.
fn close_listener(listener: Listener) {
    match listener {
        Listener::Tcp(listener) => drop(listener),
        Listener::Unix(listener, path) => {
            drop(listener);
            if let Err(err) = std::fs::remove_file(&path) {
                tracing::warn!(path = %path.display(), %err, "could not remove ABCI socket file");
            }
        }
    }
}

/// Removes a socket file left behind by a dead server; refuses anything else.
async fn remove_stale_socket(path: &std::path::Path) -> Result<(), AbciError> {
    use std::os::unix::fs::FileTypeExt;
    let meta = match std::fs::symlink_metadata(path) {
        Ok(meta) => meta,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(err) => return Err(err.into()),
    };
    if !meta.file_type().is_socket() {
        return Err(AbciError::PathNotASocket(path.to_path_buf()));
    }
    if UnixStream::connect(path).await.is_ok() {
        return Err(AbciError::Io(std::io::Error::new(
            std::io::ErrorKind::AddrInUse,
            format!("another server is listening on {}", path.display()),
        )));
    }
    std::fs::remove_file(path)?;
    Ok(())
}

/// Serves one connection: requests strictly in order, each answered before the next is read.
async fn serve_connection<A: Application>(
    id: u64,
    stream: Box<dyn Io>,
    app: Arc<A>,
    max_message_size: usize,
    shutdown: CancellationToken,
) {
    let mut framed = Framed::new(stream, ServerCodec::new(max_message_size));
    // A request read ahead while collecting a CheckTx batch, served next.
    let mut read_ahead: Option<request::Value> = None;
    loop {
        let value = match read_ahead.take() {
            Some(value) => value,
            None => match next_request(&mut framed, id, &shutdown).await {
                Some(value) => value,
                None => break,
            },
        };
        if let request::Value::CheckTx(first) = value {
            // CheckTx requests already received (pipelined by CometBFT) go to the app as one
            // batch; the first request of another kind is kept for the next turn.
            let mut batch = vec![first];
            while batch.len() < MAX_CHECK_TX_BATCH {
                let Some(ready) = framed.next().now_or_never() else {
                    break;
                };
                match ready {
                    Some(Ok(Request {
                        value: Some(request::Value::CheckTx(r)),
                    })) => batch.push(r),
                    Some(Ok(Request { value: Some(other) })) => {
                        read_ahead = Some(other);
                        break;
                    }
                    Some(Ok(Request { value: None })) => {
                        let err = AbciError::UnknownKind { what: "Request" };
                        tracing::warn!(conn = id, %err, "closing the ABCI connection");
                        send_exception(&mut framed, id, err.to_string()).await;
                        return;
                    }
                    Some(Err(err)) => {
                        tracing::warn!(conn = id, %err, "bad ABCI frame; closing the connection");
                        send_exception(&mut framed, id, format!("cannot read request: {err}"))
                            .await;
                        return;
                    }
                    None => break,
                }
            }
            let expected = batch.len();
            let call_app = Arc::clone(&app);
            let outcome = tokio::task::spawn_blocking(move || call_app.check_tx_batch(batch)).await;
            let responses = match outcome {
                Ok(Ok(r)) if r.len() == expected => r,
                Ok(Ok(r)) => {
                    let why = format!(
                        "CheckTx: the application answered {} of {expected} pipelined requests",
                        r.len()
                    );
                    tracing::error!(conn = id, error = %why, "ABCI application failed");
                    send_exception(&mut framed, id, why).await;
                    break;
                }
                Ok(Err(err)) => {
                    tracing::error!(conn = id, request = "check_tx", %err, "ABCI application error");
                    send_exception(&mut framed, id, format!("check_tx: {err}")).await;
                    break;
                }
                Err(join) => {
                    send_exception(&mut framed, id, join_failure("check_tx", join)).await;
                    break;
                }
            };
            let mut failed = false;
            for r in responses {
                let res = Response {
                    value: Some(response::Value::CheckTx(r)),
                };
                if let Err(err) = framed.feed(res).await {
                    tracing::warn!(conn = id, request = "check_tx", %err, "cannot write ABCI response");
                    if matches!(err, AbciError::FrameTooLarge { .. }) {
                        send_exception(&mut framed, id, format!("check_tx: {err}")).await;
                    }
                    failed = true;
                    break;
                }
            }
            if failed {
                break;
            }
            continue;
        }
        let name = request_name(&value);
        let is_flush = matches!(value, request::Value::Flush(_));
        let call_app = Arc::clone(&app);
        let outcome = tokio::task::spawn_blocking(move || dispatch(call_app.as_ref(), value)).await;
        let value = match outcome {
            Ok(Ok(value)) => value,
            Ok(Err(err)) => {
                tracing::error!(conn = id, request = name, %err, "ABCI application error");
                send_exception(&mut framed, id, format!("{name}: {err}")).await;
                break;
            }
            Err(join) => {
                send_exception(&mut framed, id, join_failure(name, join)).await;
                break;
            }
        };
        let res = Response { value: Some(value) };
        // Responses are buffered and the socket is flushed when the flush response is written,
        // as CometBFT's server does (a full buffer is written out earlier by itself).
        let written = if is_flush {
            framed.send(res).await
        } else {
            framed.feed(res).await
        };
        if let Err(err) = written {
            tracing::warn!(conn = id, request = name, %err, "cannot write ABCI response");
            // A response too large to send is an app bug CometBFT must hear about.
            if matches!(err, AbciError::FrameTooLarge { .. }) {
                send_exception(&mut framed, id, format!("{name}: {err}")).await;
            }
            break;
        }
    }
    if let Err(err) = SinkExt::<Response>::close(&mut framed).await {
        tracing::debug!(conn = id, %err, "error closing ABCI connection");
    }
}

/// Reads the next request; `None` when the connection is done (closed by the peer or by
/// shutdown, or broken: an exception was sent and the caller stops).
async fn next_request(
    framed: &mut Framed<Box<dyn Io>, ServerCodec>,
    id: u64,
    shutdown: &CancellationToken,
) -> Option<request::Value> {
    let next = tokio::select! {
        biased;
        () = shutdown.cancelled() => {
            tracing::debug!(conn = id, "ABCI connection closed by server shutdown");
            return None;
        }
        next = framed.next() => next,
    };
    let req = match next {
        None => {
            tracing::debug!(conn = id, "ABCI connection closed by the peer");
            return None;
        }
        Some(Err(err)) => {
            tracing::warn!(conn = id, %err, "bad ABCI frame; closing the connection");
            send_exception(framed, id, format!("cannot read request: {err}")).await;
            return None;
        }
        Some(Ok(req)) => req,
    };
    match req.value {
        Some(value) => Some(value),
        None => {
            let err = AbciError::UnknownKind { what: "Request" };
            tracing::warn!(conn = id, %err, "closing the ABCI connection");
            send_exception(framed, id, err.to_string()).await;
            None
        }
    }
}

/// What to tell CometBFT when an application call panicked or was cancelled.
fn join_failure(name: &str, join: tokio::task::JoinError) -> String {
    let why = if join.is_panic() {
        format!(
            "{name}: application panicked: {}",
            panic_message(join.into_panic())
        )
    } else {
        format!("{name}: application call was cancelled")
    };
    tracing::error!(request = name, error = %why, "ABCI application failed");
    why
}

/// Writes an exception after the responses already queued and flushes them all.
async fn send_exception(framed: &mut Framed<Box<dyn Io>, ServerCodec>, id: u64, error: String) {
    let res = Response {
        value: Some(response::Value::Exception(ResponseException { error })),
    };
    if let Err(err) = framed.send(res).await {
        tracing::debug!(conn = id, %err, "cannot send ABCI exception");
    }
}

fn panic_message(payload: Box<dyn Any + Send>) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "non-string panic payload".to_owned()
    }
}
