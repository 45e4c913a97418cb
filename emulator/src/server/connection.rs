//! The accept loop: one HTTP/1.1 connection task per client, each able to
//! drop its connection without a response when a fault requires it.
//!
//! axum's own `serve` gives a handler no way to close the client's
//! connection, so the emulator runs hyper itself. Every request carries a
//! [`ConnectionHandle`] in its extensions. A handler that calls
//! [`ConnectionHandle::abort`] never returns a response: the connection
//! task drops the connection instead. [`Abort::Reset`] sets `SO_LINGER` to
//! zero first, so the kernel sends a TCP RST and the client sees
//! `ConnectionResetError` (`ECONNRESET`). [`Abort::Close`] closes normally,
//! so the client reads end of file and Python's `http.client` raises
//! `RemoteDisconnected`.
//!
//! NOTE: the RST needs a second descriptor on the socket (`dup`), which is
//! taken on Unix only; elsewhere a reset closes like [`Abort::Close`].

use std::convert::Infallible;
use std::io;
use std::time::Duration;

use axum::body::Body;
use axum::extract::Request;
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, watch};
use tower::ServiceExt as _;

/// The way a fault ends a client's connection without a response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Abort {
    /// Send a TCP RST: the client sees "connection reset by peer".
    Reset,
    /// Close normally: the client sees the connection end before a response.
    Close,
}

/// The connection a request arrived on, found in the request's extensions.
#[derive(Debug, Clone)]
pub struct ConnectionHandle {
    abort: mpsc::Sender<Abort>,
}

impl ConnectionHandle {
    /// Drops the connection without a response, and never returns: the
    /// connection task drops the future that awaits this call.
    pub async fn abort(&self, how: Abort) -> Infallible {
        if self.abort.send(how).await.is_err() {
            tracing::debug!("the connection ended before it could be aborted");
        }
        std::future::pending().await
    }
}

/// How long the accept loop waits after a failed `accept` (such as too
/// many open files) before it tries again.
const ACCEPT_RETRY_DELAY: Duration = Duration::from_millis(50);

/// Serves `router` on every connection `listener` accepts, until `shutdown`
/// turns true. Then it stops accepting, tells each connection to close after
/// its request in flight, and waits for them up to `grace`.
pub async fn serve_connections(
    listener: TcpListener,
    router: Router,
    mut shutdown: watch::Receiver<bool>,
    grace: Duration,
) {
    // Each connection task keeps a clone of `open_receiver`, so
    // `open.closed()` completes when the last task ends.
    let (open, open_receiver) = watch::channel(());
    let connection_shutdown = shutdown.clone();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    tracing::trace!(%peer, "connection accepted");
                    let task = serve_one(stream, router.clone(), connection_shutdown.clone());
                    let open_receiver = open_receiver.clone();
                    tokio::spawn(async move {
                        task.await;
                        drop(open_receiver);
                    });
                }
                Err(error) => {
                    tracing::warn!(%error, "accepting a connection failed; retrying");
                    tokio::time::sleep(ACCEPT_RETRY_DELAY).await;
                }
            },
            () = stop_requested(&mut shutdown) => break,
        }
    }
    drop(listener);
    drop(open_receiver);
    if tokio::time::timeout(grace, open.closed()).await.is_err() {
        tracing::warn!(
            grace_seconds = grace.as_secs_f64(),
            "requests still open after the shutdown grace period were dropped"
        );
    }
}

/// Serves one connection until the client closes it, a handler aborts it,
/// or the server shuts down.
async fn serve_one(stream: TcpStream, router: Router, mut shutdown: watch::Receiver<bool>) {
    let reset_socket = duplicate_socket(&stream);
    let (abort, mut aborted) = mpsc::channel(1);
    let handle = ConnectionHandle { abort };
    let service = router.map_request(move |request: hyper::Request<Incoming>| {
        let mut request: Request = request.map(Body::new);
        request.extensions_mut().insert(handle.clone());
        request
    });
    // Title case (`Content-Type`), as werkzeug and nginx write headers:
    // clients that keep headers in a plain dict look them up that way.
    let connection = hyper::server::conn::http1::Builder::new()
        .title_case_headers(true)
        .serve_connection(TokioIo::new(stream), TowerToHyperService::new(service));
    let mut connection = std::pin::pin!(connection);
    let mut shutting_down = false;
    loop {
        tokio::select! {
            result = connection.as_mut() => {
                if let Err(error) = result {
                    tracing::debug!(%error, "the connection ended with an error");
                }
                return;
            }
            Some(how) = aborted.recv() => {
                if how == Abort::Reset {
                    set_zero_linger(reset_socket.as_ref());
                }
                tracing::debug!(?how, "dropping the connection without a response");
                return;
            }
            () = stop_requested(&mut shutdown), if !shutting_down => {
                shutting_down = true;
                connection.as_mut().graceful_shutdown();
            }
        }
    }
}

/// Completes once `shutdown` turns true, or its sender is gone.
async fn stop_requested(shutdown: &mut watch::Receiver<bool>) {
    let _ = shutdown.wait_for(|stop| *stop).await;
}

/// Returns a second descriptor on the connection's socket, through which a reset
/// sets `SO_LINGER` after hyper took ownership of the stream. The socket
/// closes when both descriptors are closed.
#[cfg(unix)]
fn duplicate_socket(stream: &TcpStream) -> Option<socket2::Socket> {
    use std::os::fd::AsFd as _;
    match stream.as_fd().try_clone_to_owned() {
        Ok(descriptor) => Some(socket2::Socket::from(descriptor)),
        Err(error) => {
            tracing::warn!(%error, "duplicating a socket failed; a reset will close normally");
            None
        }
    }
}

#[cfg(not(unix))]
fn duplicate_socket(_stream: &TcpStream) -> Option<socket2::Socket> {
    None
}

/// Makes the socket's last close send an RST instead of a FIN.
fn set_zero_linger(socket: Option<&socket2::Socket>) {
    let Some(socket) = socket else { return };
    if let Err(error) = socket.set_linger(Some(Duration::ZERO)) {
        let error: io::Error = error;
        tracing::warn!(%error, "setting SO_LINGER failed; the connection will close normally");
    }
}
