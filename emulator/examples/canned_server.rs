//! A baseline HTTP server for `scripts/bench`: it returns the same canned
//! body for every request, on the same HTTP stack and runtime settings
//! as `odoo-emulator serve` (axum over hyper, a multi-threaded tokio
//! runtime with one worker per core). Its request rate is the floor that
//! the emulator's rate is compared with.
//!
//! Usage: `canned_server BODY_FILE CONTENT_TYPE [PORT]`. It listens on
//! 127.0.0.1 only, port 0 (a free port) unless given, prints
//! `listening on 127.0.0.1:PORT` once ready, and stops on Ctrl-C or SIGTERM.

use std::net::SocketAddr;
use std::process::ExitCode;

use axum::body::Bytes;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::any;
use axum::Router;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (body_path, content_type) = match (args.first(), args.get(1)) {
        (Some(path), Some(content_type)) => (path.clone(), content_type.clone()),
        _ => {
            eprintln!("usage: canned_server BODY_FILE CONTENT_TYPE [PORT]");
            return ExitCode::from(2);
        }
    };
    let port: u16 = match args.get(2).map(|text| text.parse()) {
        None => 0,
        Some(Ok(port)) => port,
        Some(Err(error)) => {
            eprintln!("error: invalid port {:?}: {error}", args[2]);
            return ExitCode::from(2);
        }
    };
    let body = match std::fs::read(&body_path) {
        Ok(body) => Bytes::from(body),
        Err(error) => {
            eprintln!("error: failed to read the body file {body_path}: {error}");
            return ExitCode::from(1);
        }
    };
    match run(body, content_type, port) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::from(1)
        }
    }
}

fn run(body: Bytes, content_type: String, port: u16) -> std::io::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let listener =
            tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], port))).await?;
        println!("listening on {}", listener.local_addr()?);
        // The handler reads the whole request body, as the emulator does,
        // before it responds.
        let handler = move |_request: Bytes| {
            let body = body.clone();
            let content_type = content_type.clone();
            async move { ([(header::CONTENT_TYPE, content_type)], body).into_response() }
        };
        let app = Router::new().fallback(any(handler));
        axum::serve(listener, app)
            .with_graceful_shutdown(stop_signal())
            .await
    })
}

async fn stop_signal() {
    let mut terminate =
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(signal) => signal,
            Err(error) => {
                eprintln!("error: failed to listen for SIGTERM: {error}");
                let _ = tokio::signal::ctrl_c().await;
                return;
            }
        };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = terminate.recv() => {}
    }
}
