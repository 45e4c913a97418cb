//! Deletes: archive (`active = False`) or unlink the Odoo record of a
//! SaaS record, as the spec's delete policy defines.
//!
//! A delete carries no data, so for a key read from a SaaS field (a
//! product's SKU) the engine takes the key value from the state directory,
//! or else from the SaaS's last known data of the record. A record whose
//! key is known nowhere was never synced by this state directory, and
//! there is nothing to delete.

use serde_json::{Map, Value};

use crate::error::{ErrorKind, SyncResult};
use crate::mapping;
use crate::schema::DriftScope;
use crate::spec::{DeletePolicy, EntitySpec, KeySpec};
use crate::state::AppliedRecord;

use super::{Engine, Target};

impl Engine<'_> {
    pub(super) fn delete(
        &mut self,
        target: &Target,
        entity: &EntitySpec,
    ) -> SyncResult<AppliedRecord> {
        self.check_drift(target, &[DriftScope::AllChanges, DriftScope::Deletes])?;
        let Some(key) = self.delete_key(target, entity)? else {
            tracing::info!(
                "{}: no key value is known, so nothing was synced to delete",
                target.label()
            );
            return Ok(self.applied_record(target, entity, None));
        };
        let schema = self.schema.model(&entity.model);
        let fields: &[&str] = if schema.has_active() {
            &["active"]
        } else {
            &["id"]
        };
        let Some(existing) = self.find(entity, &key, fields)? else {
            return Ok(self.applied_record(target, entity, Some(key)));
        };
        match entity.delete {
            DeletePolicy::Archive => {
                if existing.values.get("active") != Some(&Value::Bool(false)) {
                    tracing::info!(model = %entity.model, id = existing.id, "archiving");
                    let values = Map::from_iter([("active".to_owned(), Value::Bool(false))]);
                    self.odoo.write(&entity.model, &[existing.id], values)?;
                }
            }
            DeletePolicy::Unlink => {
                tracing::info!(model = %entity.model, id = existing.id, "deleting");
                self.odoo.unlink(&entity.model, &[existing.id])?;
            }
        }
        Ok(self.applied_record(target, entity, Some(key)))
    }

    fn delete_key(&mut self, target: &Target, entity: &EntitySpec) -> SyncResult<Option<String>> {
        let spec = self.spec;
        if !matches!(entity.key, KeySpec::Field { from: Some(_), .. }) {
            return mapping::key_value(&spec.module, entity, &target.id, None).map(Some);
        }
        let remembered = self
            .state
            .applied(&target.entity, &target.id)
            .and_then(|record| record.key.clone());
        if remembered.is_some() {
            return Ok(remembered);
        }
        let data = match &target.data {
            Some(data) => Some(data.clone()),
            None => self
                .saas
                .record(&target.entity, &target.id)?
                .and_then(|record| record.data),
        };
        match data {
            Some(data) => match mapping::key_value(&spec.module, entity, &target.id, Some(&data)) {
                Ok(key) => Ok(Some(key)),
                Err(error) if error.kind() == ErrorKind::Mapping => Ok(None),
                Err(error) => Err(error),
            },
            None => Ok(None),
        }
    }
}
