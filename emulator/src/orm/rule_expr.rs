//! Record-rule domains (`domain_force`), written in Odoo's Python
//! expression syntax and evaluated for the calling user.
//!
//! Odoo evaluates these with `safe_eval`. The emulator supports the subset
//! that rules use: literals, lists and tuples, `+` on lists, and the names
//! `user` (with attributes such as `user.id`, `user.partner_id.id`,
//! `user.company_ids.ids`), `company_id`, `company_ids`, `uid` and
//! `time.strftime(...)`. Anything else is rejected with a clear error
//! rather than guessed.

use crate::error::{OdooError, OdooResult};
use crate::orm::domain::Domain;
use crate::orm::env::{ids_of, Env};
use crate::value::Value;

/// Evaluates a rule's `domain_force` and parses the resulting domain.
pub fn evaluate_domain(env: &Env<'_>, text: &str) -> OdooResult<Domain> {
    let value = evaluate(env, text)?;
    Domain::parse(&value)
}

/// Evaluates an expression to a value.
pub fn evaluate(env: &Env<'_>, text: &str) -> OdooResult<Value> {
    let mut parser = Parser {
        chars: text.chars().collect(),
        pos: 0,
        env,
        text,
    };
    let value = parser.sum()?;
    parser.skip_space();
    if parser.pos != parser.chars.len() {
        return Err(parser.error("unexpected text"));
    }
    Ok(value)
}

struct Parser<'a, 'e> {
    chars: Vec<char>,
    pos: usize,
    env: &'a Env<'e>,
    text: &'a str,
}

impl Parser<'_, '_> {
    fn error(&self, what: &str) -> OdooError {
        OdooError::value(format!(
            "cannot evaluate rule domain {:?} at offset {}: {what}",
            self.text, self.pos
        ))
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

    fn sum(&mut self) -> OdooResult<Value> {
        let mut left = self.atom()?;
        while self.eat('+') {
            let right = self.atom()?;
            left = match (left, right) {
                (Value::List(mut a), Value::List(b)) => {
                    a.extend(b);
                    Value::List(a)
                }
                (Value::Int(a), Value::Int(b)) => Value::Int(a + b),
                _ => return Err(self.error("'+' needs two lists or two integers")),
            };
        }
        Ok(left)
    }

    fn atom(&mut self) -> OdooResult<Value> {
        match self.peek() {
            Some('[') => self.sequence(']'),
            Some('(') => self.sequence(')'),
            Some(quote @ ('\'' | '"')) => self.string(quote),
            Some(c) if c.is_ascii_digit() || c == '-' => self.number(),
            Some(c) if c.is_alphabetic() || c == '_' => self.name(),
            _ => Err(self.error("expected a value")),
        }
    }

    fn sequence(&mut self, close: char) -> OdooResult<Value> {
        self.pos += 1;
        let mut items = Vec::new();
        loop {
            if self.eat(close) {
                return Ok(Value::List(items));
            }
            items.push(self.sum()?);
            if !self.eat(',') && self.peek() != Some(close) {
                return Err(self.error(&format!("expected ',' or '{close}'")));
            }
        }
    }

    fn string(&mut self, quote: char) -> OdooResult<Value> {
        self.pos += 1;
        let mut text = String::new();
        while let Some(&c) = self.chars.get(self.pos) {
            self.pos += 1;
            match c {
                '\\' => {
                    if let Some(&next) = self.chars.get(self.pos) {
                        text.push(next);
                        self.pos += 1;
                    }
                }
                c if c == quote => return Ok(Value::Str(text)),
                c => text.push(c),
            }
        }
        Err(self.error("unterminated string"))
    }

    fn number(&mut self) -> OdooResult<Value> {
        let start = self.pos;
        self.pos += 1;
        while self
            .chars
            .get(self.pos)
            .is_some_and(|c| c.is_ascii_digit() || *c == '.')
        {
            self.pos += 1;
        }
        let literal: String = self.chars[start..self.pos].iter().collect();
        if let Ok(i) = literal.parse() {
            return Ok(Value::Int(i));
        }
        literal
            .parse()
            .map(Value::Float)
            .map_err(|_| self.error("invalid number"))
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

    fn name(&mut self) -> OdooResult<Value> {
        let mut path = vec![self.identifier()];
        while self.eat('.') {
            self.skip_space();
            path.push(self.identifier());
        }
        if self.peek() == Some('(') {
            return self.call(&path.join("."));
        }
        self.resolve(&path)
    }

    fn call(&mut self, function: &str) -> OdooResult<Value> {
        let Value::List(arguments) = self.sequence(')')? else {
            return Err(self.error("expected arguments"));
        };
        match (function, arguments.as_slice()) {
            ("time.strftime", [Value::Str(format)]) => {
                let now = chrono::NaiveDateTime::parse_from_str(&self.env.now, "%Y-%m-%d %H:%M:%S")
                    .map_err(|_| self.error("the clock is not a valid datetime"))?;
                Ok(Value::Str(now.format(format).to_string()))
            }
            _ => Err(self.error(&format!("unsupported function {function}"))),
        }
    }

    fn resolve(&self, path: &[String]) -> OdooResult<Value> {
        let first = path[0].as_str();
        let value = match first {
            "True" => Value::Bool(true),
            "False" => Value::Bool(false),
            "None" => Value::None,
            "uid" => Value::Int(self.env.uid),
            "company_id" => Value::Int(self.env.company_id()),
            "company_ids" => {
                Value::List(self.env.company_ids().into_iter().map(Value::Int).collect())
            }
            "user" => return self.user_attribute(&path[1..]),
            _ => return Err(self.error(&format!("unknown name {first}"))),
        };
        if path.len() > 1 {
            return Err(self.error(&format!("{first} has no attributes")));
        }
        Ok(value)
    }

    /// Follows `user.<field>...` through many2one fields; `.id` gives the
    /// id and `.ids` the ids of an x2many.
    fn user_attribute(&self, path: &[String]) -> OdooResult<Value> {
        let mut model = self.env.model("res.users")?;
        let mut current = Value::Int(self.env.uid);
        for name in path {
            let ids = ids_of(&current);
            match name.as_str() {
                "id" => return Ok(ids.first().map_or(Value::Bool(false), |id| Value::Int(*id))),
                "ids" => return Ok(Value::List(ids.into_iter().map(Value::Int).collect())),
                _ => {}
            }
            let field = self.env.field(&model, name)?;
            let Some(&id) = ids.first() else {
                return Ok(Value::Bool(false));
            };
            current = self.env.get(&model, id, &field);
            if !field.field_type.is_relational() {
                return Ok(current);
            }
            model = self.env.model(field.comodel())?;
        }
        Ok(current)
    }
}
