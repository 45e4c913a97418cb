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
use crate::value::Value;
use crate::wire::exception::PyException;
use crate::wire::fault::{legacy_xmlrpc_fault, xmlrpc_fault, Fault};
use crate::wire::xmlrpc::{decode_method_call, encode_fault, encode_response};

use super::body::read_limited;
use super::call::{catch_panics, rpc_span, run_call};
use super::connection::ConnectionHandle;
use super::faults::{outcome_of, Dialect as FaultDialect, TrackedCall};
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

    /// Returns the protocol name that fault rules and the journal use.
    fn name(self) -> &'static str {
        match self {
            Dialect::IntegerCodes => "xmlrpc",
            Dialect::StringCodes => "xmlrpc-legacy",
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
    let connection = request.extensions().get::<ConnectionHandle>().cloned();
    let mut call = TrackedCall::start(&state, dialect.name(), request.uri().path(), connection);
    async move {
        let (parts, body) = request.into_parts();
        let bytes = match read_limited(body, &parts.headers, state.max_body_bytes).await {
            Ok(bytes) => bytes,
            Err(page) => {
                let outcome = format!("http {}", page.status().as_u16());
                return call.finish_unfaulted(page, &outcome);
            }
        };
        let decoded = catch_panics(|| decode(&bytes));
        match &decoded {
            Ok((method, params)) => call.describe_rpc(&service, method, params),
            Err(_) => call.info_mut().service = Some(service.clone()),
        }
        if let Some(response) = call.intercept(&dialect).await {
            return response;
        }

        let result = match decoded {
            Ok((method, params)) => run(&state, service, method, params, dialect).await,
            Err(exception) => Err(exception),
        };
        let encoded = call
            .after_call(result, &dialect)
            .and_then(|value| catch_panics(|| encode_response(&value)));
        let outcome = outcome_of(&encoded);
        let response = match encoded {
            _ if call.result_missing() => dialect.missing_result_response(),
            Ok(document) => xml_response(document),
            Err(exception) => dialect.error_response(&exception),
        };
        call.finish(&dialect, response, outcome).await
    }
    .instrument(span)
    .await
}

/// Decodes a `<methodCall>` into its method name and parameters.
fn decode(body: &Bytes) -> Result<(String, Vec<Value>), PyException> {
    let decoded = decode_method_call(body)?;
    let method = decoded.method.ok_or_else(|| {
        PyException::new(
            "builtins.TypeError",
            "can only concatenate str (not \"NoneType\") to str",
        )
    })?;
    Ok((method, decoded.params))
}

async fn run(
    state: &AppState,
    service: String,
    method: String,
    params: Vec<Value>,
    dialect: Dialect,
) -> Result<Value, PyException> {
    let emulator = state.emulator.clone();
    let protocol = dialect.protocol();
    run_call(move || {
        emulator
            .serve_rpc(&service, &method, params, protocol)
            .map_err(PyException::from)
    })
    .await
}

impl FaultDialect for Dialect {
    fn error_response(&self, exception: &PyException) -> Response {
        xml_response(encode_fault(&self.fault(exception)))
    }

    fn missing_result_response(&self) -> Response {
        xml_response(EMPTY_PARAMS_RESPONSE.to_owned())
    }

    fn rejects_none(&self) -> bool {
        true
    }

    fn malformed_suffix(&self) -> &'static str {
        "</methodResponse>\n"
    }
}

/// A `<methodResponse>` whose `<params>` contains no `<param>`: Python's
/// `xmlrpc.client` returns an empty tuple for it.
const EMPTY_PARAMS_RESPONSE: &str =
    "<?xml version='1.0'?>\n<methodResponse>\n<params>\n</params>\n</methodResponse>\n";

fn xml_response(document: String) -> Response {
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "text/xml; charset=utf-8")],
        document,
    )
        .into_response()
}
