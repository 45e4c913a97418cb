//! Integration specs: what a correct integration produces in Odoo for each
//! SaaS entity, one YAML file per customer.
//!
//! The reference engine executes a spec and the harness derives the
//! expected Odoo state from the same spec, so adapting to a new customer is
//! a new file, not new code.

use indexmap::IndexMap;
use serde::Deserialize;

/// The specs built into the engine, by name. `Spec::load` takes a name
/// in place of a path when no file of that name exists.
pub const BUILTIN_SPECS: &[(&str, &str)] = &[(
    "odoo-17",
    include_str!("../../fixtures/mappings/odoo-17.yaml"),
)];

/// A whole spec file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Spec {
    /// A short name for the customer.
    pub name: String,
    /// The wire protocol the engine speaks: `xmlrpc` (default),
    /// `jsonrpc`, or `web` (the web client's session routes).
    #[serde(default)]
    pub protocol: Option<String>,
    /// The module of the external ids the integration creates, such as
    /// `saas` in `saas.customer_c1`.
    #[serde(default = "default_module")]
    pub module: String,
    /// Mappings by SaaS entity: `customer`, `product`, `order`.
    pub entities: IndexMap<String, EntitySpec>,
}

fn default_module() -> String {
    "saas".to_owned()
}

/// How one SaaS entity maps onto one Odoo model.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EntitySpec {
    /// The Odoo model, such as `res.partner`.
    pub model: String,
    /// How a SaaS record finds its Odoo record.
    pub key: KeySpec,
    /// Odoo fields by name, each computed from the SaaS record.
    pub fields: IndexMap<String, FieldMapping>,
    /// Lines of the record (an order's lines), written as one2many
    /// commands.
    #[serde(default)]
    pub lines: Option<LinesSpec>,
    /// Business methods to call after writing, by the value of a SaaS
    /// field: `{from: state, call: {confirmed: action_confirm}}`.
    #[serde(default)]
    pub actions: Option<ActionSpec>,
    /// What a SaaS delete does in Odoo.
    #[serde(default)]
    pub delete: DeletePolicy,
}

/// The key strategy.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case", tag = "strategy", deny_unknown_fields)]
pub enum KeySpec {
    /// An external id in `ir.model.data`: `<module>.<prefix><saas id>`,
    /// such as `saas.customer_c1`.
    ExternalId { prefix: String },
    /// A field of the Odoo record that stores a unique SaaS value, such as
    /// `ref` holding the SaaS id or `default_code` holding the SKU.
    Field {
        field: String,
        /// The SaaS field whose value is stored there; the SaaS id when
        /// absent.
        #[serde(default)]
        from: Option<String>,
    },
}

/// One Odoo field computed from a SaaS record.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldMapping {
    /// The SaaS field to read (`email`, `country_code`); absent for a
    /// constant.
    #[serde(default)]
    pub from: Option<String>,
    /// How the value is transformed; a copy when absent.
    #[serde(default)]
    pub transform: Option<Transform>,
    /// The value to write when the SaaS value is empty, such as a default
    /// for a customer's required custom field. External ids stand for
    /// relational values, as in a constant.
    #[serde(default)]
    pub default: Option<serde_json::Value>,
}

/// A value transform.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Transform {
    /// Always this value, whatever the SaaS record contains. On a many2one
    /// field, text is an external id (`base.main_company`), and on a
    /// many2many field, a list of them.
    Constant(serde_json::Value),
    /// A many2one to the Odoo record of another SaaS entity, found by that
    /// entity's key: `{ref: customer}`.
    Ref(String),
    /// A many2one found by searching a model on a field, such as a
    /// country by `code`: `{lookup: {model: res.country, field: code}}`.
    Lookup { model: String, field: String },
    /// A value map, for selections: SaaS value to Odoo key. Values not in
    /// the map are reported as errors.
    Map(IndexMap<String, serde_json::Value>),
}

/// An entity's lines, such as an order's `sale.order.line` records.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinesSpec {
    /// The one2many field on the parent, such as `order_line`.
    pub field: String,
    /// The line model, such as `sale.order.line`.
    pub model: String,
    /// The SaaS field holding the list of lines.
    pub from: String,
    /// Line fields by name, computed from each SaaS line.
    pub fields: IndexMap<String, FieldMapping>,
}

/// Business methods called by the value of a SaaS field.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActionSpec {
    pub from: String,
    /// SaaS value to Odoo method, such as `confirmed: action_confirm`.
    pub call: IndexMap<String, String>,
    /// The Odoo field that shows the method already ran, and its value
    /// after it, so re-runs do not call it twice: `{state: sale}`.
    #[serde(default)]
    pub done_when: IndexMap<String, serde_json::Value>,
}

/// What a SaaS delete does in Odoo.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeletePolicy {
    /// Set `active` to false (the default: Odoo keeps history).
    #[default]
    Archive,
    /// Delete the record.
    Unlink,
}

/// An invalid spec file.
#[derive(Debug, thiserror::Error)]
#[error("{path}: {message}")]
pub struct SpecError {
    pub path: String,
    pub message: String,
}

impl Spec {
    /// Reads and validates a spec file, of at most [`MAX_SPEC_BYTES`].
    pub fn load(path: &std::path::Path) -> Result<Spec, SpecError> {
        let fail = |message: String| SpecError {
            path: path.display().to_string(),
            message,
        };
        let builtin = BUILTIN_SPECS
            .iter()
            .find(|(name, _)| path.as_os_str() == *name && !path.exists());
        let text = match builtin {
            Some((_, text)) => (*text).to_owned(),
            None => read_spec_file(path).map_err(|e| {
                let names: Vec<&str> = BUILTIN_SPECS.iter().map(|(name, _)| *name).collect();
                fail(format!(
                    "cannot read the spec: {e} (give a spec file, or a built-in name: {})",
                    names.join(", ")
                ))
            })?,
        };
        let spec: Spec = serde_saphyr::from_str(&text).map_err(|e| fail(e.to_string()))?;
        spec.validate().map_err(fail)?;
        Ok(spec)
    }

    /// Checks references between entities.
    pub fn validate(&self) -> Result<(), String> {
        for (name, entity) in &self.entities {
            let mappings = entity
                .fields
                .values()
                .chain(entity.lines.iter().flat_map(|l| l.fields.values()));
            for mapping in mappings {
                if let Some(Transform::Ref(target)) = &mapping.transform {
                    if !self.entities.contains_key(target) {
                        return Err(format!(
                            "entity {name} refers to {target:?}, which the spec does not map"
                        ));
                    }
                }
                if mapping.from.is_none()
                    && !matches!(mapping.transform, Some(Transform::Constant(_)))
                    && mapping.default.is_none()
                {
                    return Err(format!(
                        "a field of entity {name} has neither `from`, a constant nor a default"
                    ));
                }
            }
        }
        if let Some(protocol) = &self.protocol {
            protocol.parse::<crate::rpc::Protocol>()?;
        }
        Ok(())
    }
}

/// The largest spec file read, in bytes. A spec is a short YAML file, and
/// a path to something else (`/dev/zero`, a disk image) would otherwise
/// be read until memory runs out.
pub const MAX_SPEC_BYTES: u64 = 16 * 1024 * 1024;

/// Reads a spec file of at most [`MAX_SPEC_BYTES`]. The emulator's
/// profile loader reads with the same kind of limit, in a crate this one
/// does not depend on outside its tests.
fn read_spec_file(path: &std::path::Path) -> std::io::Result<String> {
    use std::io::Read as _;
    let mut text = String::new();
    std::fs::File::open(path)?
        .take(MAX_SPEC_BYTES + 1)
        .read_to_string(&mut text)?;
    if text.len() as u64 > MAX_SPEC_BYTES {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!(
                "the file is larger than {} MiB, so it is not a spec",
                MAX_SPEC_BYTES / (1024 * 1024)
            ),
        ));
    }
    Ok(text)
}
