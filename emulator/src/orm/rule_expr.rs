//! Record-rule domains (`domain_force`): Python expressions that Odoo
//! evaluates for the calling user before it applies a rule.
//!
//! Odoo 17.0 evaluates them with `safe_eval` and four names
//! (`ir.rule._eval_context`):
//! - `user`: the calling user's `res.users` record;
//! - `time`: Python's `time` module;
//! - `company_ids`: the ids of the active companies, which are the
//!   context's `allowed_company_ids` or else all the user's companies;
//! - `company_id`: the current company, which is the first of
//!   `allowed_company_ids` or else the user's default company.
//!
//! `uid` is not among them, so a 17.0 rule that names it fails. Building
//! the names reads the active companies, which raises `AccessError` when
//! `allowed_company_ids` names a company the user does not belong to.
//!
//! The emulator evaluates the subset of Python that rules use: numbers,
//! strings, `True`, `False`, `None`, lists, tuples, `+` and unary `-`,
//! attribute paths on `user` (fields, `.id`, `.ids`) and
//! `time.strftime(format)`, with the emulator's clock as the time. Where
//! Odoo's evaluation would fail (an undefined name, a field the user
//! record lacks), the error is Odoo's: a `ValueError` whose text wraps the
//! Python exception. Python that the emulator does not evaluate
//! (comprehensions, conditionals, comparisons, other functions) is rejected
//! with a `ValueError` that names the construct, rather than guessed.

use std::cell::RefCell;
use std::collections::HashMap;

use crate::error::{OdooError, OdooResult};
use crate::orm::domain::Domain;
use crate::orm::env::{ids_of, Env};
use crate::orm::schema::FieldType;
use crate::value::{python_str_repr, Value};

/// The company names of the evaluation context, computed once per call.
#[derive(Debug, Clone, PartialEq)]
pub struct EvalContext {
    /// `company_id`: the current company, or `False` without one.
    pub company_id: Value,
    /// `company_ids`: the active companies.
    pub company_ids: Vec<i64>,
}

impl EvalContext {
    /// Builds the context for the calling user, raising Odoo's
    /// `AccessError` for an unauthorized `allowed_company_ids`.
    pub fn for_user(env: &Env<'_>) -> OdooResult<EvalContext> {
        let company_ids = env.company_ids()?;
        let company_id = env.company_id()?.map_or(Value::Bool(false), Value::Int);
        Ok(EvalContext {
            company_id,
            company_ids,
        })
    }
}

/// Tells whether a rule text gives the same domain for the same
/// companies. Only `user` and `time` read the database or the clock, so a
/// text that names neither does, and its domain can be kept rather than
/// evaluated again on every call.
pub fn is_constant(text: &str) -> bool {
    !text.contains("user") && !text.contains("time")
}

/// Evaluates a rule's `domain_force` and parses the resulting domain. An
/// empty text is the empty domain, as in Odoo.
pub fn evaluate_domain(env: &Env<'_>, context: &EvalContext, text: &str) -> OdooResult<Domain> {
    if text.trim().is_empty() {
        return Ok(Domain::True);
    }
    if !is_constant(text) {
        return Domain::parse(&evaluate(env, context, text)?);
    }
    let key = (
        text.to_owned(),
        context.company_id.as_i64(),
        context.company_ids.clone(),
    );
    if let Some(domain) = CONSTANT_DOMAINS.with(|cache| cache.borrow().get(&key).cloned()) {
        return Ok(domain);
    }
    let domain = Domain::parse(&evaluate(env, context, text)?)?;
    CONSTANT_DOMAINS.with(|cache| {
        let mut cache = cache.borrow_mut();
        if cache.len() >= CONSTANT_DOMAINS_CAPACITY {
            cache.clear();
        }
        cache.insert(key, domain.clone());
    });
    Ok(domain)
}

/// The maximum number of domains that [`CONSTANT_DOMAINS`] keeps per
/// thread. The base profile has a few dozen rules, so the cache fills only
/// when many company sets are used, and clearing it then costs little.
const CONSTANT_DOMAINS_CAPACITY: usize = 256;

/// A rule text with the current company and the active companies.
type ConstantKey = (String, Option<i64>, Vec<i64>);

thread_local! {
    /// The domains of rule texts that name neither `user` nor `time`.
    static CONSTANT_DOMAINS: RefCell<HashMap<ConstantKey, Domain>> = RefCell::new(HashMap::new());
}

/// Evaluates an expression to a value. Records become ids: one record its
/// id, no record `False`, several a list of ids.
pub fn evaluate(env: &Env<'_>, context: &EvalContext, text: &str) -> OdooResult<Value> {
    let mut parser = Parser {
        chars: text.chars().collect(),
        pos: 0,
        env,
        context,
        text,
    };
    parser.reject_unsupported()?;
    let value = parser.expression()?;
    parser.skip_space();
    if let Some(c) = parser.chars.get(parser.pos) {
        return Err(parser.unsupported(&format!("the text starting at {c:?}")));
    }
    Ok(value.into_value())
}

/// An intermediate result: a plain value, records of a model, or the
/// `time` module.
#[derive(Debug, Clone)]
enum Term {
    Value(Value),
    Records { model: String, ids: Vec<i64> },
    TimeModule,
}

impl Term {
    fn into_value(self) -> Value {
        match self {
            Term::Value(value) => value,
            Term::Records { ids, .. } => match ids.as_slice() {
                [] => Value::Bool(false),
                [id] => Value::Int(*id),
                _ => Value::List(ids.into_iter().map(Value::Int).collect()),
            },
            Term::TimeModule => Value::Str("<module 'time' (built-in)>".to_owned()),
        }
    }
}

struct Parser<'a, 'e> {
    chars: Vec<char>,
    pos: usize,
    env: &'a Env<'e>,
    context: &'a EvalContext,
    text: &'a str,
}

impl Parser<'_, '_> {
    /// Returns the error Odoo's `safe_eval` raises when evaluation fails
    /// with a Python exception of class `class` and text `message`.
    fn python_error(&self, class: &str, message: &str) -> OdooError {
        OdooError::value(format!(
            "<class '{class}'>: \"{message}\" while evaluating\n{}",
            python_str_repr(self.text)
        ))
    }

    /// Returns the error for Python the emulator does not evaluate.
    fn unsupported(&self, what: &str) -> OdooError {
        OdooError::value(format!(
            "the emulator cannot evaluate the record rule domain {} at offset {}: {what} is not \
             supported; rule domains may use literals, lists, tuples, '+', user.<field> paths, \
             company_id, company_ids and time.strftime()",
            python_str_repr(self.text),
            self.pos
        ))
    }

    /// Rejects Python constructs the emulator does not evaluate before
    /// evaluating anything, so that a comprehension is reported as such
    /// rather than as an undefined loop variable.
    fn reject_unsupported(&mut self) -> OdooResult<()> {
        const KEYWORDS: [&str; 9] = [
            "for", "if", "else", "lambda", "not", "and", "or", "in", "is",
        ];
        let mut quote: Option<char> = None;
        let mut position = 0;
        while let Some(&c) = self.chars.get(position) {
            match quote {
                Some(open) => {
                    if c == '\\' {
                        position += 1;
                    } else if c == open {
                        quote = None;
                    }
                    position += 1;
                }
                None if c == '\'' || c == '"' => {
                    quote = Some(c);
                    position += 1;
                }
                None if c.is_alphabetic() || c == '_' => {
                    let start = position;
                    while self
                        .chars
                        .get(position)
                        .is_some_and(|c| c.is_alphanumeric() || *c == '_')
                    {
                        position += 1;
                    }
                    let word: String = self.chars[start..position].iter().collect();
                    if KEYWORDS.contains(&word.as_str()) {
                        self.pos = start;
                        return Err(self.unsupported(&format!("the keyword {word:?}")));
                    }
                }
                None if "=!<>*/%{}:@&|^~".contains(c) => {
                    self.pos = position;
                    return Err(self.unsupported(&format!("the operator {c:?}")));
                }
                None => position += 1,
            }
        }
        Ok(())
    }

    fn skip_space(&mut self) {
        while self.chars.get(self.pos).is_some_and(|c| c.is_whitespace()) {
            self.pos += 1;
        }
    }

    fn peek(&mut self) -> Option<char> {
        self.skip_space();
        self.chars.get(self.pos).copied()
    }

    fn eat(&mut self, c: char) -> bool {
        if self.peek() == Some(c) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn expression(&mut self) -> OdooResult<Term> {
        let mut left = self.unary()?;
        loop {
            let negate = match self.peek() {
                Some('+') => false,
                Some('-') => true,
                _ => return Ok(left),
            };
            self.pos += 1;
            let right = self.unary()?;
            left = self.add(left, right, negate)?;
        }
    }

    fn add(&self, left: Term, right: Term, subtract: bool) -> OdooResult<Term> {
        let (left, right) = (left.into_value(), right.into_value());
        let sum = match (left, right, subtract) {
            (Value::List(mut a), Value::List(b), false) => Value::List({
                a.extend(b);
                a
            }),
            (Value::Str(a), Value::Str(b), false) => Value::Str(a + &b),
            (Value::Int(a), Value::Int(b), false) => Value::Int(a + b),
            (Value::Int(a), Value::Int(b), true) => Value::Int(a - b),
            (Value::Float(a), Value::Float(b), false) => Value::Float(a + b),
            (Value::Float(a), Value::Float(b), true) => Value::Float(a - b),
            (a, b, _) => {
                let operator = if subtract { "-" } else { "+" };
                return Err(self.python_error(
                    "TypeError",
                    &format!(
                        "unsupported operand type(s) for {operator}: '{}' and '{}'",
                        a.python_type(),
                        b.python_type()
                    ),
                ));
            }
        };
        Ok(Term::Value(sum))
    }

    fn unary(&mut self) -> OdooResult<Term> {
        if self.eat('-') {
            return match self.unary()?.into_value() {
                Value::Int(i) => Ok(Term::Value(Value::Int(-i))),
                Value::Float(f) => Ok(Term::Value(Value::Float(-f))),
                other => Err(self.python_error(
                    "TypeError",
                    &format!("bad operand type for unary -: '{}'", other.python_type()),
                )),
            };
        }
        self.postfix()
    }

    fn postfix(&mut self) -> OdooResult<Term> {
        let mut term = self.atom()?;
        loop {
            match self.peek() {
                Some('.') => {
                    self.pos += 1;
                    self.skip_space();
                    let name = self.identifier();
                    if name.is_empty() {
                        return Err(self.unsupported("a '.' without an attribute name"));
                    }
                    if self.peek() == Some('(') {
                        term = self.call(term, &name)?;
                    } else {
                        term = self.attribute(term, &name)?;
                    }
                }
                Some('(') => return Err(self.unsupported("calling this value")),
                Some('[') => return Err(self.unsupported("subscripts")),
                _ => return Ok(term),
            }
        }
    }

    fn atom(&mut self) -> OdooResult<Term> {
        match self.peek() {
            Some('[') => {
                self.pos += 1;
                Ok(Term::Value(Value::List(self.items(']')?)))
            }
            Some('(') => self.parenthesized(),
            Some(quote @ ('\'' | '"')) => self.string(quote).map(Term::Value),
            Some(c) if c.is_ascii_digit() => self.number().map(Term::Value),
            Some(c) if c.is_alphabetic() || c == '_' => self.name(),
            Some(c) => Err(self.unsupported(&format!("{c:?}"))),
            None => Err(self.python_error("SyntaxError", "unexpected EOF while parsing")),
        }
    }

    /// Parses the items of a list or tuple after its opening bracket.
    fn items(&mut self, close: char) -> OdooResult<Vec<Value>> {
        let mut items = Vec::new();
        loop {
            if self.eat(close) {
                return Ok(items);
            }
            items.push(self.expression()?.into_value());
            if !self.eat(',') && self.peek() != Some(close) {
                return Err(self.python_error("SyntaxError", "invalid syntax"));
            }
        }
    }

    /// `(expression)` groups; `()`, `(a,)` and `(a, b)` are tuples.
    fn parenthesized(&mut self) -> OdooResult<Term> {
        self.pos += 1;
        if self.eat(')') {
            return Ok(Term::Value(Value::List(Vec::new())));
        }
        let first = self.expression()?;
        if self.eat(')') {
            return Ok(first);
        }
        if !self.eat(',') {
            return Err(self.python_error("SyntaxError", "invalid syntax"));
        }
        let mut items = vec![first.into_value()];
        items.extend(self.items(')')?);
        Ok(Term::Value(Value::List(items)))
    }

    fn string(&mut self, quote: char) -> OdooResult<Value> {
        self.pos += 1;
        let mut text = String::new();
        while let Some(&c) = self.chars.get(self.pos) {
            self.pos += 1;
            match c {
                '\\' => {
                    let Some(&escaped) = self.chars.get(self.pos) else {
                        break;
                    };
                    self.pos += 1;
                    match escaped {
                        'n' => text.push('\n'),
                        't' => text.push('\t'),
                        other => text.push(other),
                    }
                }
                c if c == quote => return Ok(Value::Str(text)),
                c => text.push(c),
            }
        }
        Err(self.python_error("SyntaxError", "EOL while scanning string literal"))
    }

    fn number(&mut self) -> OdooResult<Value> {
        let start = self.pos;
        while self
            .chars
            .get(self.pos)
            .is_some_and(|c| c.is_ascii_digit() || *c == '.' || *c == '_')
        {
            self.pos += 1;
        }
        let literal: String = self.chars[start..self.pos]
            .iter()
            .filter(|c| **c != '_')
            .collect();
        if let Ok(i) = literal.parse() {
            return Ok(Value::Int(i));
        }
        literal
            .parse()
            .map(Value::Float)
            .map_err(|_| self.python_error("SyntaxError", "invalid syntax"))
    }

    fn identifier(&mut self) -> String {
        let start = self.pos;
        while self
            .chars
            .get(self.pos)
            .is_some_and(|c| c.is_alphanumeric() || *c == '_')
        {
            self.pos += 1;
        }
        self.chars[start..self.pos].iter().collect()
    }

    fn name(&mut self) -> OdooResult<Term> {
        let name = self.identifier();
        let term = match name.as_str() {
            "True" => Term::Value(Value::Bool(true)),
            "False" => Term::Value(Value::Bool(false)),
            "None" => Term::Value(Value::None),
            "user" => Term::Records {
                model: "res.users".to_owned(),
                ids: vec![self.env.uid],
            },
            "time" => Term::TimeModule,
            "company_id" => Term::Value(self.context.company_id.clone()),
            "company_ids" => Term::Value(Value::List(
                self.context
                    .company_ids
                    .iter()
                    .copied()
                    .map(Value::Int)
                    .collect(),
            )),
            _ => {
                return Err(self.python_error(
                    "NameError",
                    &format!("name {} is not defined", python_str_repr(&name)),
                ))
            }
        };
        Ok(term)
    }

    fn call(&mut self, target: Term, method: &str) -> OdooResult<Term> {
        self.pos += 1;
        let arguments = self.items(')')?;
        match (&target, method, arguments.as_slice()) {
            (Term::TimeModule, "strftime", [Value::Str(format)]) => {
                let now = chrono::NaiveDateTime::parse_from_str(&self.env.now, "%Y-%m-%d %H:%M:%S")
                    .map_err(|_| self.unsupported("a clock reading that is not a datetime"))?;
                Ok(Term::Value(Value::Str(now.format(format).to_string())))
            }
            (Term::TimeModule, _, _) => Err(self.unsupported(&format!("time.{method}()"))),
            _ => Err(self.unsupported(&format!("the method call .{method}()"))),
        }
    }

    /// Follows `.id`, `.ids` and fields on records.
    fn attribute(&self, target: Term, name: &str) -> OdooResult<Term> {
        let (model_name, ids) = match target {
            Term::Records { model, ids } => (model, ids),
            Term::TimeModule => return Err(self.unsupported(&format!("time.{name}"))),
            Term::Value(value) => {
                return Err(self.python_error(
                    "AttributeError",
                    &format!(
                        "'{}' object has no attribute {}",
                        value.python_type(),
                        python_str_repr(name)
                    ),
                ))
            }
        };
        match name {
            "ids" => return Ok(Term::Value(id_list(&ids))),
            "id" => {
                return match ids.as_slice() {
                    [] => Ok(Term::Value(Value::Bool(false))),
                    [id] => Ok(Term::Value(Value::Int(*id))),
                    _ => Err(self.python_error(
                        "ValueError",
                        &format!("Expected singleton: {}", records_repr(&model_name, &ids)),
                    )),
                }
            }
            _ => {}
        }
        let model = self.env.model(&model_name)?;
        let Some(field) = model.field(name) else {
            return Err(self.python_error(
                "AttributeError",
                &format!(
                    "'{model_name}' object has no attribute {}",
                    python_str_repr(name)
                ),
            ));
        };
        let id = match ids.as_slice() {
            [] => {
                return Ok(match field.field_type {
                    FieldType::Many2one | FieldType::One2many | FieldType::Many2many => {
                        Term::Records {
                            model: field.comodel().to_owned(),
                            ids: Vec::new(),
                        }
                    }
                    other => Term::Value(other.empty_value()),
                })
            }
            [id] => *id,
            _ => {
                return Err(self.python_error(
                    "ValueError",
                    &format!("Expected singleton: {}", records_repr(&model_name, &ids)),
                ))
            }
        };
        let value = self.env.get(&model, id, field);
        if field.field_type.is_relational() {
            return Ok(Term::Records {
                model: field.comodel().to_owned(),
                ids: ids_of(&value),
            });
        }
        Ok(Term::Value(value))
    }
}

fn id_list(ids: &[i64]) -> Value {
    Value::List(ids.iter().copied().map(Value::Int).collect())
}

/// Renders records as Python's `repr()` of a recordset: `res.users(2,)`
/// or `res.users(1, 2)`.
pub(crate) fn records_repr(model: &str, ids: &[i64]) -> String {
    match ids {
        [id] => format!("{model}({id},)"),
        _ => {
            let listed: Vec<String> = ids.iter().map(i64::to_string).collect();
            format!("{model}({})", listed.join(", "))
        }
    }
}
