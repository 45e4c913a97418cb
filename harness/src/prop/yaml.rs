//! Writing values as YAML flow collections (`{key: value}`, `[a, b]`), the
//! one-line style the scenario library uses for steps.

use serde_json::Value;

/// Words that YAML 1.1 readers take for booleans or null when unquoted.
const RESERVED: &[&str] = &[
    "true", "false", "null", "yes", "no", "on", "off", "y", "n", "~",
];

/// Writes a value on one line in YAML flow style.
pub fn flow(value: &Value) -> String {
    match value {
        Value::Null => "null".into(),
        Value::Bool(flag) => flag.to_string(),
        Value::Number(number) => number.to_string(),
        Value::String(text) => scalar(text),
        Value::Array(items) => {
            let items: Vec<String> = items.iter().map(flow).collect();
            format!("[{}]", items.join(", "))
        }
        Value::Object(map) => {
            let entries: Vec<String> = map
                .iter()
                .map(|(key, value)| format!("{}: {}", scalar(key), flow(value)))
                .collect();
            format!("{{{}}}", entries.join(", "))
        }
    }
}

/// Writes a string bare when YAML reads it back as the same string, and
/// double-quoted otherwise. JSON's escapes are valid in YAML double quotes.
fn scalar(text: &str) -> String {
    let plain = text
        .chars()
        .next()
        .is_some_and(|first| first.is_ascii_alphabetic() || first == '_')
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
        && !RESERVED.contains(&text.to_ascii_lowercase().as_str());
    if plain {
        text.to_owned()
    } else {
        serde_json::to_string(text).expect("a string always serializes")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn flow_quotes_only_what_needs_it() {
        let value = json!({
            "saas": {"create": "customer", "id": "c1", "set": {
                "name": "Ada Lovelace", "email": "ada@example.com", "company": false,
                "note": "yes", "price": 9.5, "tags": []
            }}
        });

        let text = flow(&value);

        assert_eq!(
            text,
            "{saas: {create: customer, id: c1, set: {name: \"Ada Lovelace\", \
             email: \"ada@example.com\", company: false, note: \"yes\", price: 9.5, tags: []}}}"
        );
    }

    #[test]
    fn flow_reads_back_as_the_same_value() {
        let value = json!({"a": ["x-1", "+32 2", "res.partner", "2030-01-01 00:00:00", null, 3]});

        let parsed: Value = serde_saphyr::from_str(&flow(&value)).expect("valid YAML");

        assert_eq!(parsed, value);
    }
}
