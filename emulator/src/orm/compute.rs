//! Computed fields: a small arithmetic language over a record's fields.
//!
//! Profiles describe computed amounts (`price_subtotal`, `amount_total`)
//! as expressions instead of Python, such as
//! `product_uom_qty * price_unit * (1 - discount / 100)` or
//! `sum(order_line.price_subtotal)`. Odoo's real computations also apply
//! taxes, currency rounding and more; the emulator computes only the expression's
//! value.

use crate::error::{OdooError, OdooResult};

/// A parsed expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    Number(f64),
    /// A field of the record, possibly dotted through many2one fields.
    Field(Vec<String>),
    /// `sum(x2many.field)`.
    Sum(String, Vec<String>),
    /// `count(x2many)`.
    Count(String),
    Neg(Box<Expr>),
    Binary(Box<Expr>, char, Box<Expr>),
}

/// Parses an expression, or explains where it is invalid.
pub fn parse(text: &str) -> OdooResult<Expr> {
    let tokens = tokenize(text)?;
    let mut parser = Parser {
        tokens,
        pos: 0,
        text,
    };
    let expr = parser.expression()?;
    if parser.pos != parser.tokens.len() {
        return Err(parser.error("unexpected text after the expression"));
    }
    Ok(expr)
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Number(f64),
    Name(String),
    Op(char),
}

fn tokenize(text: &str) -> OdooResult<Vec<Token>> {
    let mut tokens = Vec::new();
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if c.is_ascii_digit()
            || c == '.' && chars.get(i + 1).is_some_and(char::is_ascii_digit)
        {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '.') {
                i += 1;
            }
            let literal: String = chars[start..i].iter().collect();
            let number = literal
                .parse()
                .map_err(|_| OdooError::value(format!("invalid number {literal:?} in {text:?}")))?;
            tokens.push(Token::Number(number));
        } else if c.is_alphabetic() || c == '_' {
            let start = i;
            while i < chars.len()
                && (chars[i].is_alphanumeric() || chars[i] == '_' || chars[i] == '.')
            {
                i += 1;
            }
            tokens.push(Token::Name(chars[start..i].iter().collect()));
        } else if "+-*/()".contains(c) {
            tokens.push(Token::Op(c));
            i += 1;
        } else {
            return Err(OdooError::value(format!(
                "invalid character {c:?} in expression {text:?}"
            )));
        }
    }
    Ok(tokens)
}

struct Parser<'a> {
    tokens: Vec<Token>,
    pos: usize,
    text: &'a str,
}

impl Parser<'_> {
    fn error(&self, what: &str) -> OdooError {
        OdooError::value(format!("{what} in expression {:?}", self.text))
    }

    fn peek_op(&self) -> Option<char> {
        match self.tokens.get(self.pos) {
            Some(Token::Op(op)) => Some(*op),
            _ => None,
        }
    }

    fn expression(&mut self) -> OdooResult<Expr> {
        let mut left = self.term()?;
        while let Some(op @ ('+' | '-')) = self.peek_op() {
            self.pos += 1;
            left = Expr::Binary(Box::new(left), op, Box::new(self.term()?));
        }
        Ok(left)
    }

    fn term(&mut self) -> OdooResult<Expr> {
        let mut left = self.factor()?;
        while let Some(op @ ('*' | '/')) = self.peek_op() {
            self.pos += 1;
            left = Expr::Binary(Box::new(left), op, Box::new(self.factor()?));
        }
        Ok(left)
    }

    fn factor(&mut self) -> OdooResult<Expr> {
        let token = self.tokens.get(self.pos).cloned();
        self.pos += 1;
        match token {
            Some(Token::Number(n)) => Ok(Expr::Number(n)),
            Some(Token::Op('-')) => Ok(Expr::Neg(Box::new(self.factor()?))),
            Some(Token::Op('(')) => {
                let inner = self.expression()?;
                self.expect(')')?;
                Ok(inner)
            }
            Some(Token::Name(name)) if self.peek_op() == Some('(') => self.call(&name),
            Some(Token::Name(name)) => Ok(Expr::Field(split_path(&name))),
            _ => Err(self.error("expected a number, a field or '('")),
        }
    }

    fn call(&mut self, function: &str) -> OdooResult<Expr> {
        self.expect('(')?;
        let Some(Token::Name(argument)) = self.tokens.get(self.pos).cloned() else {
            return Err(self.error("expected a field path as the argument"));
        };
        self.pos += 1;
        self.expect(')')?;
        let mut path = split_path(&argument);
        match function {
            "sum" if path.len() >= 2 => {
                let lines = path.remove(0);
                Ok(Expr::Sum(lines, path))
            }
            "count" if path.len() == 1 => Ok(Expr::Count(path.remove(0))),
            _ => Err(self.error(&format!(
                "unknown function or argument {function}({argument})"
            ))),
        }
    }

    fn expect(&mut self, op: char) -> OdooResult<()> {
        if self.peek_op() == Some(op) {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.error(&format!("expected '{op}'")))
        }
    }
}

fn split_path(name: &str) -> Vec<String> {
    name.split('.').map(str::to_owned).collect()
}

/// Returns the numeric value of a field path of the record.
pub type FieldLookup<'a> = dyn FnMut(&[String]) -> f64 + 'a;

/// Returns the values of a path across the lines of an x2many (or one
/// value per line when the path is `None`).
pub type LinesLookup<'a> = dyn FnMut(&str, Option<&[String]>) -> Vec<f64> + 'a;

/// Evaluates an expression, asking `field` for the numeric value of a
/// field path and `lines` for the values across an x2many.
pub fn evaluate(expr: &Expr, field: &mut FieldLookup<'_>, lines: &mut LinesLookup<'_>) -> f64 {
    match expr {
        Expr::Number(n) => *n,
        Expr::Field(path) => field(path),
        // Folding from 0.0 rather than `sum()`, whose empty sum is -0.0: an
        // order without lines totals 0.0, as in Python.
        Expr::Sum(x2many, path) => lines(x2many, Some(path)).iter().fold(0.0, |a, b| a + b),
        Expr::Count(x2many) => lines(x2many, None).len() as f64,
        Expr::Neg(inner) => -evaluate(inner, field, lines),
        Expr::Binary(left, op, right) => {
            let a = evaluate(left, field, lines);
            let b = evaluate(right, field, lines);
            match op {
                '+' => a + b,
                '-' => a - b,
                '*' => a * b,
                // Division by zero yields 0 rather than a fault: an empty
                // order has no average to fail on.
                '/' if b == 0.0 => 0.0,
                _ => a / b,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eval_with(expr: &str, values: &[(&str, f64)]) -> f64 {
        let expr = parse(expr).expect("valid expression");
        let mut field = |path: &[String]| {
            values
                .iter()
                .find(|(name, _)| *name == path.join("."))
                .map_or(0.0, |(_, v)| *v)
        };
        let mut lines = |_: &str, _: Option<&[String]>| vec![1.5, 2.5];
        evaluate(&expr, &mut field, &mut lines)
    }

    #[test]
    fn arithmetic_follows_precedence() {
        let subtotal = "product_uom_qty * price_unit * (1 - discount / 100)";
        let value = eval_with(
            subtotal,
            &[
                ("product_uom_qty", 2.0),
                ("price_unit", 10.0),
                ("discount", 10.0),
            ],
        );
        assert!((value - 18.0).abs() < 1e-9);
    }

    #[test]
    fn sum_and_count_use_lines() {
        assert!((eval_with("sum(order_line.price_subtotal)", &[]) - 4.0).abs() < 1e-9);
        assert!((eval_with("count(order_line)", &[]) - 2.0).abs() < 1e-9);
    }

    #[test]
    fn empty_sum_is_positive_zero() {
        let expr = parse("sum(order_line.price_subtotal)").expect("valid expression");
        let mut field = |_: &[String]| 0.0;
        let mut lines = |_: &str, _: Option<&[String]>| Vec::new();
        let total = evaluate(&expr, &mut field, &mut lines);
        assert_eq!(total, 0.0);
        assert!(total.is_sign_positive(), "{total:?}");
    }

    #[test]
    fn invalid_expressions_are_rejected() {
        assert!(parse("a +").is_err());
        assert!(parse("a $ b").is_err());
        assert!(parse("avg(lines.x)").is_err());
    }
}
