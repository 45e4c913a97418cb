//! Sends the throughput benchmark's call to the emulator's router in
//! process, without a socket, so a profiler measures one call's cost alone.
//!
//! Usage: `call_profile [xmlrpc|jsonrpc] [CALLS] [PARTNERS]` (default
//! `xmlrpc`, 1,000 calls, 80 partners). The database is `odoo-17` plus
//! `PARTNERS` partners (80 in `scripts/bench`), and the call is
//! `search_read` on `res.partner` as `admin` (uid 2, not the superuser). One warm-up call runs before the
//! counted ones. For instructions per call, run it under callgrind twice
//! with different counts and divide the difference:
//!
//! ```sh
//! valgrind --tool=callgrind target/release/examples/call_profile xmlrpc 200
//! ```

use std::io::Write as _;
use std::process::ExitCode;

use axum::body::Body;
use axum::http::Request;
use http_body_util::BodyExt as _;
use odoo_emulator::profile::Profile;
use odoo_emulator::server::{router, AppState, DEFAULT_MAX_BODY_BYTES};
use odoo_emulator::service::Emulator;
use tower::ServiceExt as _;

/// The allocator of `odoo-emulator`, so the counts match the binary's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const XMLRPC_BODY: &str = "<?xml version=\"1.0\"?><methodCall><methodName>execute_kw</methodName><params><param><value><string>bench</string></value></param><param><value><int>2</int></value></param><param><value><string>admin</string></value></param><param><value><string>res.partner</string></value></param><param><value><string>search_read</string></value></param><param><value><array><data><value><array><data></data></array></value></data></array></value></param><param><value><struct><member><name>fields</name><value><array><data><value><string>name</string></value><value><string>email</string></value><value><string>phone</string></value><value><string>city</string></value><value><string>is_company</string></value></data></array></value></member><member><name>limit</name><value><int>80</int></value></member></struct></value></param></params></methodCall>";

const JSONRPC_BODY: &str = r#"{"jsonrpc": "2.0", "method": "call", "id": 1, "params": {"service": "object", "method": "execute_kw", "args": ["bench", 2, "admin", "res.partner", "search_read", [[]], {"fields": ["name", "email", "phone", "city", "is_company"], "limit": 80}]}}"#;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let protocol = args.first().map_or("xmlrpc", String::as_str);
    let calls: usize = match args.get(1).map(|text| text.parse()) {
        None => 1000,
        Some(Ok(calls)) => calls,
        Some(Err(error)) => {
            eprintln!("error: invalid call count {:?}: {error}", args[1]);
            return ExitCode::from(2);
        }
    };
    let partners: usize = match args.get(2).map(|text| text.parse()) {
        None => 80,
        Some(Ok(partners)) => partners,
        Some(Err(error)) => {
            eprintln!("error: invalid partner count {:?}: {error}", args[2]);
            return ExitCode::from(2);
        }
    };
    let (path, content_type, body) = match protocol {
        "xmlrpc" => ("/xmlrpc/2/object", "text/xml", XMLRPC_BODY),
        "jsonrpc" => ("/jsonrpc", "application/json", JSONRPC_BODY),
        other => {
            eprintln!("error: unknown protocol {other:?}; use xmlrpc or jsonrpc");
            return ExitCode::from(2);
        }
    };
    let emulator = match bench_emulator(partners) {
        Ok(emulator) => emulator,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::from(1);
        }
    };
    let app = router(AppState::new(emulator, DEFAULT_MAX_BODY_BYTES));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a current-thread runtime can be built");
    let size = runtime.block_on(async {
        let mut size = 0;
        for _ in 0..=calls {
            let request = Request::post(path)
                .header("content-type", content_type)
                .body(Body::from(body))
                .expect("the request is well formed");
            let response = app.clone().oneshot(request).await.expect("infallible");
            let bytes = response.into_body().collect().await.expect("a full body");
            size = bytes.to_bytes().len();
        }
        size
    });
    println!("{calls} calls, {size}-byte response");
    ExitCode::SUCCESS
}

/// Builds the `bench` database: `odoo-17` with `partners` more partners.
fn bench_emulator(partners: usize) -> Result<Emulator, String> {
    let mut yaml = String::from("name: bench\nextends: odoo-17\ndatabase: bench\nrecords:\n");
    yaml.push_str("  res.partner:\n");
    for i in 1..=partners {
        yaml.push_str(&format!(
            "    - {{xmlid: bench.partner_{i}, name: Bench Partner {i:03}, \
             email: partner{i}@bench.example, phone: \"+32 2 555 {i:04}\", city: Brussels}}\n"
        ));
    }
    let mut file = tempfile::Builder::new()
        .suffix(".yaml")
        .tempfile()
        .map_err(|e| format!("failed to create the profile file: {e}"))?;
    file.write_all(yaml.as_bytes())
        .map_err(|e| format!("failed to write the profile: {e}"))?;
    let path = file
        .path()
        .to_str()
        .ok_or("the temporary path is not UTF-8")?;
    let profile = Profile::load(path).map_err(|e| e.to_string())?;
    Emulator::from_profiles(vec![(None, profile)]).map_err(|e| e.to_string())
}
