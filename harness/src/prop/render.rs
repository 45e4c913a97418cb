//! Writing a history as a scenario file that `odoo-harness run` replays.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Component, Path, PathBuf};

use serde_json::Value;

use super::args::Property;
use super::transition::Transition;
use super::yaml::flow;
use crate::saas::Entity;

/// The settings every scenario of one `prop` run shares.
#[derive(Debug, Clone)]
pub struct Target {
    /// The profile as the scenario file names it: a built-in name, or a
    /// path relative to the output folder.
    pub profile: String,
    /// The spec, written the same way.
    pub spec: String,
    /// The protocol the integration speaks, over the spec's (`--protocol`).
    pub protocol: Option<odoo_sync::rpc::Protocol>,
    /// The `integration_user` mapping, when the profile's administrator is
    /// not `admin`/`admin`.
    pub user: Option<Value>,
    /// The emulator's seed, which is also the seed of the run.
    pub seed: u64,
    /// How long one pass may run, in seconds.
    pub pass_timeout: f64,
    pub properties: Vec<Property>,
}

/// A scenario file's text, apart from the history.
#[derive(Debug, Clone, Default)]
pub struct Notes {
    pub name: String,
    /// Comment lines written at the top, without the `#`.
    pub comments: Vec<String>,
    /// Records that could not sync and were reported, which the file lists
    /// under `errors_reported`.
    pub reported: BTreeMap<Entity, BTreeSet<String>>,
}

/// Writes a history as a scenario file.
pub fn scenario_text(target: &Target, notes: &Notes, history: &[Transition]) -> String {
    let mut text = String::new();
    for line in &notes.comments {
        text.push_str(format!("# {line}").trim_end());
        text.push('\n');
    }
    let name = serde_json::to_string(&notes.name).expect("a string always serializes");
    text.push_str(&format!("name: {name}\n"));
    text.push_str(&format!("profile: {}\n", quoted(&target.profile)));
    text.push_str(&format!("spec: {}\n", quoted(&target.spec)));
    if let Some(protocol) = target.protocol {
        text.push_str(&format!("protocol: {protocol}\n"));
    }
    if let Some(user) = &target.user {
        text.push_str(&format!("integration_user: {}\n", flow(user)));
    }
    text.push_str(&format!("seed: {}\n", target.seed));
    text.push_str(&format!("pass_timeout_seconds: {}\n", target.pass_timeout));

    if history.is_empty() && runs_final_pass(&target.properties) {
        text.push_str("steps: []\n");
    } else {
        text.push_str("steps:\n");
    }
    for transition in history {
        text.push_str(&format!("  - {}\n", step_line(&transition.step_value())));
    }
    if !runs_final_pass(&target.properties) {
        text.push_str(
            "  # The settle pass, which the runner adds only for converged and idempotent.\n",
        );
        text.push_str("  - clear_faults\n  - sync\n");
    }

    text.push_str("expect:\n");
    for property in &target.properties {
        text.push_str(&format!("  - {}\n", property.keyword()));
    }
    if !notes.reported.is_empty() {
        let reported: serde_json::Map<String, Value> = notes
            .reported
            .iter()
            .map(|(entity, ids)| (entity.as_str().to_owned(), serde_json::json!(ids)))
            .collect();
        text.push_str(&format!(
            "  - errors_reported: {}\n",
            flow(&Value::Object(reported))
        ));
    }
    text
}

/// Checks whether the runner runs its own final pass, with faults cleared,
/// for these expectations.
fn runs_final_pass(properties: &[Property]) -> bool {
    properties
        .iter()
        .any(|p| matches!(p, Property::Converged | Property::Idempotent))
}

/// Writes a step as `sync` or `key: {flow mapping}`.
fn step_line(value: &Value) -> String {
    match value {
        Value::Object(map) if map.len() == 1 => {
            let (key, inner) = map.iter().next().expect("the map has one entry");
            format!("{key}: {}", flow(inner))
        }
        other => flow(other),
    }
}

fn quoted(text: &str) -> String {
    flow(&Value::String(text.to_owned()))
}

/// Returns `path` relative to the folder `base`, both made absolute
/// first. Paths that share no folder below the root stay absolute.
pub fn relative_to(path: &Path, base: &Path) -> PathBuf {
    let (Ok(path), Ok(base)) = (std::path::absolute(path), std::path::absolute(base)) else {
        return path.to_path_buf();
    };
    let path: Vec<Component> = normal(&path);
    let base: Vec<Component> = normal(&base);
    let shared = path.iter().zip(&base).take_while(|(a, b)| a == b).count();
    if shared <= 1 {
        return path.iter().collect();
    }
    let mut relative = PathBuf::new();
    for _ in shared..base.len() {
        relative.push("..");
    }
    for component in &path[shared..] {
        relative.push(component);
    }
    relative
}

/// Drops `.` and folds `..` into the component before it.
fn normal(path: &Path) -> Vec<Component<'_>> {
    let mut components = Vec::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir if matches!(components.last(), Some(Component::Normal(_))) => {
                components.pop();
            }
            other => components.push(other),
        }
    }
    components
}

/// Returns the settings of a run on the built-in profile and spec, for
/// tests.
#[cfg(test)]
pub(crate) fn built_in_target(seed: u64, properties: Vec<Property>) -> Target {
    Target {
        profile: "odoo-17".into(),
        spec: "odoo-17".into(),
        protocol: None,
        user: None,
        seed,
        pass_timeout: 60.0,
        properties,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_path_climbs_to_the_shared_folder() {
        let relative = relative_to(
            Path::new("/work/repo/fixtures/profiles/acme.yaml"),
            Path::new("/work/repo/out/./failures"),
        );

        assert_eq!(relative, PathBuf::from("../../fixtures/profiles/acme.yaml"));
    }

    #[test]
    fn relative_path_stays_absolute_across_roots() {
        let relative = relative_to(Path::new("/work/acme.yaml"), Path::new("/tmp/out"));

        assert_eq!(relative, PathBuf::from("/work/acme.yaml"));
    }

    #[test]
    fn scenario_text_lists_steps_and_expectations() {
        let target = built_in_target(7, vec![Property::Converged, Property::NoDuplicates]);
        let notes = Notes {
            name: "a generated history".into(),
            comments: vec!["found by prop".into()],
            reported: BTreeMap::from([(Entity::Customer, BTreeSet::from(["c1".to_owned()]))]),
        };
        let history = [
            Transition::Sync,
            Transition::Saas(crate::scenario::SaasChange::Delete {
                entity: Entity::Customer,
                id: "c1".into(),
            }),
        ];

        let text = scenario_text(&target, &notes, &history);

        assert_eq!(
            text,
            "# found by prop\nname: \"a generated history\"\nprofile: odoo-17\nspec: odoo-17\n\
             seed: 7\npass_timeout_seconds: 60\nsteps:\n  - sync\n  - saas: {delete: customer, id: c1}\nexpect:\n\
             \x20 - converged\n  - no_duplicates\n  - errors_reported: {customer: [c1]}\n"
        );
    }

    #[test]
    fn protocol_is_written_when_given() {
        let target = Target {
            protocol: Some(odoo_sync::rpc::Protocol::Web),
            ..built_in_target(1, vec![Property::Converged])
        };

        let text = scenario_text(&target, &Notes::default(), &[]);

        assert!(text.contains("spec: odoo-17\nprotocol: web\n"), "{text}");
    }

    #[test]
    fn settle_pass_is_written_without_a_final_pass() {
        let target = built_in_target(1, vec![Property::NoDuplicates]);

        let text = scenario_text(&target, &Notes::default(), &[]);

        assert!(text.contains("steps:\n  # The settle pass"), "{text}");
        assert!(
            text.ends_with("  - clear_faults\n  - sync\nexpect:\n  - no_duplicates\n"),
            "{text}"
        );
    }
}
