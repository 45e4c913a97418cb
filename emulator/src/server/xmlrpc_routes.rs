//! `POST /xmlrpc/2/<service>` and the legacy `POST /xmlrpc/<service>`.
//!
//! Both return HTTP 200 with a `text/xml` document for every call,
//! faults included, as Odoo 17 does: the two routes differ only in how a
//! fault's code is written (see [`crate::wire::fault`]). As in Odoo, the
//! service name is not checked here: an unknown one is the emulator's
//! `KeyError`.
//!
//! Where it differs from Odoo 17: a request without `<methodName>` gets
//! the `TypeError` that Odoo's `common` and `db` services raise for it,
//! whatever the service (Odoo's `object` service raises a `NameError`).

use axum::extract::{Path, Request, State};
use axum::http::{header, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use tracing::Instrument as _;

use crate::service::Protocol;
use crate::wire::exception::PyException;
use crate::wire::fault::{legacy_xmlrpc_fault, xmlrpc_fault, Fault};
use crate::wire::xmlrpc::{decode_method_call, encode_fault, encode_response};

use super::body::read_limited;
use super::call::{record_rpc_call, rpc_span, run_blocking};
use super::{pages, AppState};

/// The fault dialect of an XML-RPC route.
#[derive(Debug, Clone, Copy)]
enum Dialect {
    /// `/xmlrpc/2`: integer fault codes.
    IntegerCodes,
    /// `/xmlrpc`: string fault codes.
    StringCodes,
}

impl Dialect {
    fn protocol(self) -> Protocol {
        match self {
            Dialect::IntegerCodes => Protocol::XmlRpc,
            Dialect::StringCodes => Protocol::XmlRpcLegacy,
        }
    }

    fn fault(self, exception: &PyException) -> Fault {
        match self {
            Dialect::IntegerCodes => xmlrpc_fault(exception, "xmlrpc_2"),
            Dialect::StringCodes => legacy_xmlrpc_fault(exception, "xmlrpc_1"),
        }
    }
}

/// Serves `/xmlrpc/2/<service>`.
pub async fn xmlrpc_2(state: State<AppState>, service: Path<String>, request: Request) -> Response {
    serve(state.0, service.0, request, Dialect::IntegerCodes).await
}

/// Serves the legacy `/xmlrpc/<service>`.
pub async fn xmlrpc_1(state: State<AppState>, service: Path<String>, request: Request) -> Response {
    serve(state.0, service.0, request, Dialect::StringCodes).await
}

async fn serve(state: AppState, service: String, request: Request, dialect: Dialect) -> Response {
    if request.method() != Method::POST {
        return pages::method_not_allowed("POST");
    }
    let span = rpc_span("xmlrpc", request.uri().path());
    async move {
        let (parts, body) = request.into_parts();
        let bytes = match read_limited(body, &parts.headers, state.max_body_bytes).await {
            Ok(bytes) => bytes,
            Err(page) => return page,
        };
        let document = match call(&state, service, &bytes, dialect).await {
            Ok(document) => document,
            Err(exception) => encode_fault(&dialect.fault(&exception)),
        };
        xml_response(document)
    }
    .instrument(span)
    .await
}

async fn call(
    state: &AppState,
    service: String,
    body: &Bytes,
    dialect: Dialect,
) -> Result<String, PyException> {
    let decoded = decode_method_call(body)?;
    let method = decoded.method.ok_or_else(|| {
        PyException::new(
            "builtins.TypeError",
            "can only concatenate str (not \"NoneType\") to str",
        )
    })?;
    record_rpc_call(
        &tracing::Span::current(),
        &service,
        &method,
        &decoded.params,
    );

    let emulator = state.emulator.clone();
    let params = decoded.params;
    let protocol = dialect.protocol();
    let result = run_blocking(move || {
        emulator
            .dispatch_rpc(&service, &method, params, protocol)
            .map_err(PyException::from)
    })
    .await?;
    encode_response(&result)
}

fn xml_response(document: String) -> Response {
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "text/xml; charset=utf-8")],
        document,
    )
        .into_response()
}
