//! Checking that the spec fits the profile before `prop` generates
//! histories, with the sync engine's own schema check.

use odoo_emulator::server::{EmulatorServer, ServerConfig};
use odoo_emulator::service::Emulator;
use odoo_sync::pass::{PassConfig, PassOptions};

use crate::scenario::{Scenario, SpecSource};

/// Starts an emulator of the scenario's profile on a loopback port and
/// returns the drift messages that `odoo_sync::pass::check_schema` finds
/// between its schema and the scenario's spec.
///
/// # Errors
///
/// Returns why the emulator could not start or the check could not run.
pub fn schema_drifts(scenario: &Scenario) -> Result<Vec<String>, String> {
    let emulator = Emulator::from_profiles(vec![(None, scenario.profile.clone())])
        .map_err(|e| format!("building the emulator failed: {e}"))?;
    let server = EmulatorServer::start(emulator, ServerConfig::loopback_any_port())
        .map_err(|e| format!("starting the emulator failed: {e}"))?;
    let workdir = tempfile::Builder::new()
        .prefix("odoo-harness-")
        .tempdir()
        .map_err(|e| format!("creating a temporary folder failed: {e}"))?;
    let spec_path = match &scenario.spec_source {
        SpecSource::File(path) => path.clone(),
        SpecSource::Builtin { name, text } => {
            let path = workdir.path().join(format!("{name}.yaml"));
            std::fs::write(&path, text).map_err(|e| format!("writing the spec failed: {e}"))?;
            path
        }
    };
    let config = PassConfig {
        odoo_url: server.url(),
        database: scenario.profile.database.clone(),
        username: scenario.user.login.clone(),
        password: scenario.user.password.clone(),
        api_key: scenario.user.api_key.clone(),
        // The schema check reads Odoo only, so no SaaS listens here.
        saas_url: "http://127.0.0.1:9".into(),
        state_dir: workdir.path().to_path_buf(),
        spec_path,
    };
    let drifts = odoo_sync::pass::check_schema(&config, &PassOptions::default())
        .map_err(|e| format!("checking the spec against the profile failed: {e}"))?;
    Ok(drifts.into_iter().map(|drift| drift.message).collect())
}
