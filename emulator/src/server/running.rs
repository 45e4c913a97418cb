//! Running the server: [`serve`] for a caller's own runtime, and
//! [`EmulatorServer`], which serves on a thread of its own for tests.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::thread;
use std::time::Duration;

use tokio::sync::watch;

use crate::service::Emulator;

use super::connection::serve_connections;
use super::{router, AppState, ServerConfig, SessionStore};

/// How long a stopping server waits for open requests before closing them.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// Serves every route on `listener` until `shutdown` completes, then gives
/// the requests in flight [`SHUTDOWN_GRACE`] to finish before dropping them.
///
/// # Errors
///
/// Returns the error of reading the listener's address.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    let address = listener.local_addr()?;
    tracing::info!(%address, "serving");
    let (stop, stopped) = watch::channel(false);
    tokio::spawn(async move {
        shutdown.await;
        let _ = stop.send(true);
    });
    serve_connections(listener, router(state), stopped, SHUTDOWN_GRACE).await;
    tracing::info!(%address, "stopped");
    Ok(())
}

/// A server running on its own thread and runtime, stopped when dropped.
#[derive(Debug)]
pub struct EmulatorServer {
    address: SocketAddr,
    state: AppState,
    stop: watch::Sender<bool>,
    thread: Option<thread::JoinHandle<io::Result<()>>>,
}

impl EmulatorServer {
    /// Binds `config.bind` and starts serving `emulator` on a new thread.
    /// The server accepts connections as soon as this returns.
    ///
    /// # Errors
    ///
    /// Returns the error of binding the address or of starting the thread.
    pub fn start(emulator: Emulator, config: ServerConfig) -> io::Result<Self> {
        let listener = std::net::TcpListener::bind(config.bind)?;
        listener.set_nonblocking(true)?;
        let address = listener.local_addr()?;
        let state =
            AppState::new(emulator, config.max_body_bytes).with_control_token(config.control_token);
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .thread_stack_size(crate::server::WORKER_STACK_BYTES)
            .worker_threads(2)
            .thread_name("odoo-emulator-worker")
            .enable_all()
            .build()?;
        let (stop, stopped) = watch::channel(false);

        let served_state = state.clone();
        let thread = thread::Builder::new()
            .name("odoo-emulator-server".into())
            .spawn(move || {
                runtime.block_on(async move {
                    let listener = tokio::net::TcpListener::from_std(listener)?;
                    serve_until_stopped(listener, served_state, stopped).await
                })
            })?;
        Ok(EmulatorServer {
            address,
            state,
            stop,
            thread: Some(thread),
        })
    }

    /// Returns the address the server listens on, with the real port.
    pub fn local_addr(&self) -> SocketAddr {
        self.address
    }

    /// Returns the base URL, such as `http://127.0.0.1:40123`.
    pub fn url(&self) -> String {
        format!("http://{}", self.address)
    }

    /// Returns the web sessions, to expire them from a test.
    pub fn sessions(&self) -> &SessionStore {
        &self.state.sessions
    }

    /// Stops serving and waits for the thread to end.
    ///
    /// # Errors
    ///
    /// Returns the error that ended serving early, if any.
    pub fn stop(mut self) -> io::Result<()> {
        self.stop_and_join()
    }

    fn stop_and_join(&mut self) -> io::Result<()> {
        let _ = self.stop.send(true);
        let Some(thread) = self.thread.take() else {
            return Ok(());
        };
        thread
            .join()
            .unwrap_or_else(|_| Err(io::Error::other("the server thread panicked")))
    }
}

impl Drop for EmulatorServer {
    fn drop(&mut self) {
        if let Err(error) = self.stop_and_join() {
            tracing::warn!(%error, "the emulator server failed while stopping");
        }
    }
}

/// Serves until `stopped` turns true.
async fn serve_until_stopped(
    listener: tokio::net::TcpListener,
    state: AppState,
    mut stopped: watch::Receiver<bool>,
) -> io::Result<()> {
    serve(listener, state, async move {
        let _ = stopped.wait_for(|stop| *stop).await;
    })
    .await
}
