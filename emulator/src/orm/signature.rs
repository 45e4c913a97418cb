//! Binding positional and keyword arguments to a method's Python
//! signature, with CPython's `TypeError` texts.
//!
//! Clients pass ORM arguments positionally, by keyword or both; Odoo
//! receives them through Python's calling convention, and mistakes give
//! errors such as `BaseModel.read() got multiple values for argument
//! 'fields'`. Reproducing the binding reproduces those errors.

use crate::error::{OdooError, OdooResult};
use crate::value::{Dict, Value};

/// A parameter: its name and whether it has a default.
#[derive(Debug, Clone, Copy)]
pub struct Param {
    pub name: &'static str,
    pub required: bool,
}

pub const fn required(name: &'static str) -> Param {
    Param {
        name,
        required: true,
    }
}

pub const fn optional(name: &'static str) -> Param {
    Param {
        name,
        required: false,
    }
}

/// A method signature, without `self`.
#[derive(Debug, Clone, Copy)]
pub struct Signature {
    /// The qualified name CPython prints, such as `BaseModel.read`.
    pub qualname: &'static str,
    pub params: &'static [Param],
    /// Whether the method takes `**kwargs`, whose extra keys are kept.
    pub var_keyword: bool,
}

/// Arguments bound to parameter names.
#[derive(Debug, Clone, Default)]
pub struct Bound {
    pub values: Dict,
    pub extra: Dict,
}

impl Bound {
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.values.get(name)
    }

    /// Returns an argument unless it is absent or `None`.
    pub fn given(&self, name: &str) -> Option<&Value> {
        self.values.get(name).filter(|v| !matches!(v, Value::None))
    }
}

impl Signature {
    /// Binds arguments, raising the `TypeError` CPython would.
    pub fn bind(&self, args: &[Value], kwargs: &Dict) -> OdooResult<Bound> {
        let mut bound = Bound::default();
        if args.len() > self.params.len() {
            return Err(self.too_many(args.len()));
        }
        for (param, value) in self.params.iter().zip(args) {
            bound.values.insert(param.name.to_owned(), value.clone());
        }
        for (name, value) in kwargs {
            match self.params.iter().find(|p| p.name == name) {
                Some(_) if bound.values.contains_key(name) => {
                    return Err(OdooError::type_error(format!(
                        "{}() got multiple values for argument '{name}'",
                        self.qualname
                    )))
                }
                Some(_) => {
                    bound.values.insert(name.clone(), value.clone());
                }
                None if self.var_keyword => {
                    bound.extra.insert(name.clone(), value.clone());
                }
                None => {
                    return Err(OdooError::type_error(format!(
                        "{}() got an unexpected keyword argument '{name}'",
                        self.qualname
                    )))
                }
            }
        }
        self.check_missing(&bound)?;
        Ok(bound)
    }

    fn check_missing(&self, bound: &Bound) -> OdooResult<()> {
        let missing: Vec<&str> = self
            .params
            .iter()
            .filter(|p| p.required && !bound.values.contains_key(p.name))
            .map(|p| p.name)
            .collect();
        if missing.is_empty() {
            return Ok(());
        }
        let quoted: Vec<String> = missing.iter().map(|m| format!("'{m}'")).collect();
        let listed = match quoted.len() {
            1 => quoted[0].clone(),
            2 => format!("{} and {}", quoted[0], quoted[1]),
            n => format!("{}, and {}", quoted[..n - 1].join(", "), quoted[n - 1]),
        };
        let plural = if missing.len() == 1 {
            "argument"
        } else {
            "arguments"
        };
        Err(OdooError::type_error(format!(
            "{}() missing {} required positional {plural}: {listed}",
            self.qualname,
            missing.len()
        )))
    }

    /// CPython counts `self` among the positional arguments.
    fn too_many(&self, given: usize) -> OdooError {
        let min = self.params.iter().filter(|p| p.required).count() + 1;
        let max = self.params.len() + 1;
        let takes = if min == max {
            format!(
                "{max} positional argument{}",
                if max == 1 { "" } else { "s" }
            )
        } else {
            format!("from {min} to {max} positional arguments")
        };
        let were = if given + 1 == 1 { "was" } else { "were" };
        OdooError::type_error(format!(
            "{}() takes {takes} but {} {were} given",
            self.qualname,
            given + 1
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const READ: Signature = Signature {
        qualname: "BaseModel.read",
        params: &[optional("fields"), optional("load")],
        var_keyword: false,
    };

    #[test]
    fn duplicate_argument_is_rejected() {
        let kwargs = Dict::from_iter([("fields".to_owned(), Value::List(vec![]))]);
        let error = READ
            .bind(&[Value::Int(16)], &kwargs)
            .expect_err("duplicate");
        assert_eq!(
            error.message,
            "BaseModel.read() got multiple values for argument 'fields'"
        );
    }

    #[test]
    fn too_many_positionals_count_self() {
        let args = [Value::Int(1), Value::Int(2), Value::Int(3)];
        let error = READ.bind(&args, &Dict::default()).expect_err("too many");
        assert_eq!(
            error.message,
            "BaseModel.read() takes from 1 to 3 positional arguments but 4 were given"
        );
    }

    #[test]
    fn missing_required_is_named() {
        const WRITE: Signature = Signature {
            qualname: "BaseModel.write",
            params: &[required("vals")],
            var_keyword: false,
        };
        let error = WRITE.bind(&[], &Dict::default()).expect_err("missing");
        assert_eq!(
            error.message,
            "BaseModel.write() missing 1 required positional argument: 'vals'"
        );
    }
}
