//! Odoo versions and the behaviour that differs between them.
//!
//! A profile's `odoo_version` selects a [`Version`]; code calls predicates such
//! as [`Version::has_name_get`] instead of comparing numbers inline, so
//! each version difference is written down once.

use std::fmt;
use std::str::FromStr;

/// An Odoo major release such as 17.0, or a SaaS release such as 17.2.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Version {
    pub major: u8,
    pub minor: u8,
}

impl Version {
    pub const V17: Version = Version {
        major: 17,
        minor: 0,
    };

    /// Versions with a built-in base profile.
    pub const SUPPORTED_MAJORS: [u8; 6] = [14, 15, 16, 17, 18, 19];

    /// Returns the `server_version` string, such as `17.0`.
    pub fn server_version(self) -> String {
        format!("{}.{}", self.major, self.minor)
    }

    /// Returns `version_info` as Odoo reports it: `[17, 0, 0, "final", 0, ""]`.
    pub fn version_info(self) -> (u8, u8, u8, &'static str, u8, &'static str) {
        (self.major, self.minor, 0, "final", 0, "")
    }

    /// `name_get` was deprecated in 17.0 and removed in 18.0.
    pub fn has_name_get(self) -> bool {
        self.major < 18
    }

    /// `web_read(specification)` and the `web_search_read` that takes a
    /// specification exist from 17.0. Earlier releases had
    /// `web_search_read(domain, fields, ...)` instead, which the emulator
    /// does not offer.
    // NOTE: a later odoo/odoo revision filters out x2many records the user
    // cannot read where 17.0 raises `AccessError`. Profiles of 18.0 and
    // later still get 17.0's behaviour.
    pub fn has_web_read(self) -> bool {
        self.major >= 17
    }

    /// Tells whether the `any` and `not any` domain operators exist (17.0 on).
    pub fn has_any_operator(self) -> bool {
        self.major >= 17
    }

    /// Tells whether a sales order line computes its description, unit,
    /// taxes and price from its product on `create` and `write` (16.0 on).
    /// Before, form onchanges filled them, and RPC calls run no onchange.
    pub fn computes_lines_from_product(self) -> bool {
        self.major >= 16
    }

    /// Tells whether `read_group` checks its aggregates as Odoo 17's
    /// `_read_group_select` does (17.0 on), raising `ValueError`s such as
    /// `Invalid aggregate method 'foo' for 'name:foo'.`. Before, 16.0's
    /// `_read_group_raw` raised `UserError`s such as `Invalid aggregation
    /// function 'foo'.` and had no `recordset` aggregate.
    pub fn has_read_group_select(self) -> bool {
        self.major >= 17
    }

    /// Tells whether `_field_to_sql` reads a related field that is not
    /// stored through joins (18.0 on), so that `read_group` can aggregate
    /// it. It reports the other unstored fields, many2many fields included,
    /// as `Cannot convert res.partner.x to SQL because it is not stored`.
    /// In 17.0 every unstored field fails with `Cannot convert field
    /// res.partner.x to SQL`, and a many2many joins its relation table.
    // NOTE: read in 18.0's `odoo/models.py`. Profiles of 19.0 get the same
    // behaviour, which is not checked against 19.0's source.
    pub fn joins_related_fields_in_sql(self) -> bool {
        self.major >= 18
    }

    /// Tells whether fields carry an `aggregator` (18.0 on) rather than a
    /// `group_operator`, the name `fields_get` reports it under.
    pub fn names_aggregator(self) -> bool {
        self.major >= 18
    }

    /// Python 3.10 and later, which Odoo 17 requires, prefix method names in
    /// argument errors with the class: `BaseModel.read() got ...`.
    pub fn qualified_type_errors(self) -> bool {
        self.major >= 17
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

/// The error for a version string that is not `MAJOR.MINOR` within the
/// supported range.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid Odoo version {0:?}: expected MAJOR.MINOR with MAJOR from 14 to 19, such as 17.0")]
pub struct InvalidVersion(pub String);

impl FromStr for Version {
    type Err = InvalidVersion;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let invalid = || InvalidVersion(text.to_owned());
        let (major, minor) = text.split_once('.').unwrap_or((text, "0"));
        let major: u8 = major.trim().parse().map_err(|_| invalid())?;
        let minor: u8 = minor.trim().parse().map_err(|_| invalid())?;
        if !Self::SUPPORTED_MAJORS.contains(&major) {
            return Err(invalid());
        }
        Ok(Version { major, minor })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_major_and_minor() {
        assert_eq!("17.0".parse(), Ok(Version::V17));
        assert_eq!(
            "18.2".parse(),
            Ok(Version {
                major: 18,
                minor: 2
            })
        );
        assert!("13.0".parse::<Version>().is_err());
        assert!("seventeen".parse::<Version>().is_err());
    }
}
