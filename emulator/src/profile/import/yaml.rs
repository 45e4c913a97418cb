//! Writing an imported profile as YAML in the style of the fixtures.
//! Sections, models and fields are block mappings. Anything else that fits
//! on one line is written in flow style (`{...}`, `[...]`), and scalars are
//! quoted only where YAML would read them as something else.

use crate::profile::format::{
    AccessSpec, FieldSpec, GroupSpec, ModelSpec, ProfileFile, RecordSpec, RuleSpec,
};

/// The line width flow style must fit in, as rustfmt's default.
const MAX_WIDTH: usize = 100;

/// A YAML node. Scalars are stored as they are written, quotes included.
#[derive(Debug, Clone, PartialEq)]
enum Node {
    Scalar(String),
    Seq(Vec<Node>),
    /// A mapping written in flow style when it fits.
    Map(Vec<(String, Node)>),
    /// A mapping always written in block style.
    Block(Vec<(String, Node)>),
}

impl Node {
    fn text(text: &str) -> Node {
        Node::Scalar(quote(text))
    }

    fn flag(flag: bool) -> Node {
        Node::Scalar(flag.to_string())
    }

    fn texts(texts: &[String]) -> Node {
        Node::Seq(texts.iter().map(|text| Node::text(text)).collect())
    }

    fn json(value: &serde_json::Value) -> Node {
        match value {
            serde_json::Value::Null => Node::Scalar("null".to_owned()),
            serde_json::Value::Bool(flag) => Node::flag(*flag),
            serde_json::Value::Number(number) => match number.as_f64() {
                Some(float) if !number.is_i64() && !number.is_u64() => {
                    Node::Scalar(crate::value::python_float_repr(float))
                }
                _ => Node::Scalar(number.to_string()),
            },
            serde_json::Value::String(text) => Node::text(text),
            serde_json::Value::Array(items) => Node::Seq(items.iter().map(Node::json).collect()),
            serde_json::Value::Object(entries) => Node::Map(
                entries
                    .iter()
                    .map(|(key, value)| (quote(key), Node::json(value)))
                    .collect(),
            ),
        }
    }
}

/// Renders a profile: the `header` lines as comments, then the top-level
/// keys and every non-empty section, separated by blank lines.
pub fn render(header: &[String], profile: &ProfileFile) -> String {
    let mut out = String::new();
    for line in header {
        if line.is_empty() {
            out.push_str("#\n");
        } else {
            out.push_str("# ");
            out.push_str(line);
            out.push('\n');
        }
    }
    out.push('\n');
    let mut top = vec![("name".to_owned(), Node::text(&profile.name))];
    if let Some(extends) = &profile.extends {
        top.push(("extends".to_owned(), Node::text(extends)));
    }
    if let Some(database) = &profile.database {
        top.push(("database".to_owned(), Node::text(database)));
    }
    write_entries(&mut out, &top, 0);
    for (key, node) in sections(profile) {
        out.push('\n');
        match node {
            Node::Seq(items) => {
                out.push_str(&format!("{key}:\n"));
                write_items(&mut out, &items, 2);
            }
            node => write_entries(&mut out, &[(key, node)], 0),
        }
    }
    out
}

fn sections(profile: &ProfileFile) -> Vec<(String, Node)> {
    let mut sections = Vec::new();
    if !profile.models.is_empty() {
        let models = profile
            .models
            .iter()
            .map(|(name, spec)| (quote(name), model_node(spec)))
            .collect();
        sections.push(("models".to_owned(), Node::Block(models)));
    }
    if !profile.groups.is_empty() {
        let groups = profile.groups.iter().map(group_node).collect();
        sections.push(("groups".to_owned(), Node::Seq(groups)));
    }
    if !profile.access.is_empty() {
        let access = profile.access.iter().map(access_node).collect();
        sections.push(("access".to_owned(), Node::Seq(access)));
    }
    if !profile.rules.is_empty() {
        let rules = profile.rules.iter().map(rule_node).collect();
        sections.push(("rules".to_owned(), Node::Seq(rules)));
    }
    if !profile.records.is_empty() {
        let records = profile
            .records
            .iter()
            .map(|(model, records)| {
                let records = records.iter().map(record_node).collect();
                (quote(model), Node::Seq(records))
            })
            .collect();
        sections.push(("records".to_owned(), Node::Block(records)));
    }
    sections
}

fn model_node(spec: &ModelSpec) -> Node {
    let mut entries = Vec::new();
    if let Some(description) = &spec.description {
        entries.push(("description".to_owned(), Node::text(description)));
    }
    if let Some(order) = &spec.order {
        entries.push(("order".to_owned(), Node::text(order)));
    }
    if !spec.fields.is_empty() {
        let fields = spec
            .fields
            .iter()
            .map(|(name, field)| (quote(name), field_node(field)))
            .collect();
        entries.push(("fields".to_owned(), Node::Block(fields)));
    }
    Node::Block(entries)
}

/// Writes a field's attributes in the order the profile docs list them.
fn field_node(spec: &FieldSpec) -> Node {
    let mut entries = Vec::new();
    let mut put = |key: &str, node: Option<Node>| {
        if let Some(node) = node {
            entries.push((key.to_owned(), node));
        }
    };
    put("type", spec.field_type.as_deref().map(Node::text));
    put("string", spec.string.as_deref().map(Node::text));
    put("required", spec.required.map(Node::flag));
    put("readonly", spec.readonly.map(Node::flag));
    put("store", spec.store.map(Node::flag));
    put("index", spec.index.map(Node::flag));
    put("translate", spec.translate.map(Node::flag));
    put("relation", spec.relation.as_deref().map(Node::text));
    put("inverse", spec.inverse.as_deref().map(Node::text));
    put("ondelete", spec.ondelete.as_deref().map(Node::text));
    put("selection", spec.selection.as_deref().map(pairs));
    put("selection_add", spec.selection_add.as_deref().map(pairs));
    put(
        "selection_remove",
        spec.selection_remove.as_deref().map(Node::texts),
    );
    put("default", spec.default.as_ref().map(Node::json));
    put("size", spec.size.map(|size| Node::Scalar(size.to_string())));
    put("help", spec.help.as_deref().map(Node::text));
    put("remove", spec.remove.then(|| Node::flag(true)));
    Node::Map(entries)
}

fn pairs(pairs: &[(String, String)]) -> Node {
    Node::Seq(
        pairs
            .iter()
            .map(|(key, label)| Node::Seq(vec![Node::text(key), Node::text(label)]))
            .collect(),
    )
}

fn group_node(group: &GroupSpec) -> Node {
    let mut entries = vec![
        ("xmlid".to_owned(), Node::text(&group.xmlid)),
        ("name".to_owned(), Node::text(&group.name)),
    ];
    if !group.implied.is_empty() {
        entries.push(("implied".to_owned(), Node::texts(&group.implied)));
    }
    Node::Map(entries)
}

fn access_node(row: &AccessSpec) -> Node {
    let mut entries = Vec::new();
    if let Some(name) = &row.name {
        entries.push(("name".to_owned(), Node::text(name)));
    }
    entries.push(("model".to_owned(), Node::text(&row.model)));
    if let Some(group) = &row.group {
        entries.push(("group".to_owned(), Node::text(group)));
    }
    // Each right defaults to false, so only granted ones are written.
    for (key, granted) in [
        ("read", row.read),
        ("write", row.write),
        ("create", row.create),
        ("unlink", row.unlink),
    ] {
        if granted {
            entries.push((key.to_owned(), Node::flag(true)));
        }
    }
    Node::Map(entries)
}

fn rule_node(rule: &RuleSpec) -> Node {
    let mut entries = vec![
        ("name".to_owned(), Node::text(&rule.name)),
        ("model".to_owned(), Node::text(&rule.model)),
    ];
    if !rule.groups.is_empty() {
        entries.push(("groups".to_owned(), Node::texts(&rule.groups)));
    }
    entries.push(("domain_force".to_owned(), Node::text(&rule.domain_force)));
    // Each operation defaults to true, so only excluded ones are written.
    for (key, applies) in [
        ("perm_read", rule.perm_read),
        ("perm_write", rule.perm_write),
        ("perm_create", rule.perm_create),
        ("perm_unlink", rule.perm_unlink),
    ] {
        if !applies {
            entries.push((key.to_owned(), Node::flag(false)));
        }
    }
    Node::Map(entries)
}

fn record_node(record: &RecordSpec) -> Node {
    let mut entries = Vec::new();
    if let Some(xmlid) = &record.xmlid {
        entries.push(("xmlid".to_owned(), Node::text(xmlid)));
    }
    for (field, value) in &record.values {
        entries.push((quote(field), Node::json(value)));
    }
    Node::Map(entries)
}

/// Writes `key: value` lines at `indent` spaces.
fn write_entries(out: &mut String, entries: &[(String, Node)], indent: usize) {
    let pad = " ".repeat(indent);
    for (key, node) in entries {
        let prefix = format!("{pad}{key}:");
        if let Some(flow) = inline(node, prefix.len() + 1) {
            out.push_str(&format!("{prefix} {flow}\n"));
            continue;
        }
        out.push_str(&prefix);
        out.push('\n');
        match node {
            Node::Map(children) | Node::Block(children) => {
                write_entries(out, children, indent + 2);
            }
            Node::Seq(items) => write_items(out, items, indent + 2),
            Node::Scalar(_) => unreachable!("a scalar is always written inline"),
        }
    }
}

/// Writes `- item` lines at `indent` spaces. A mapping that does not fit
/// on one line starts on the dash's line, as YAML allows.
fn write_items(out: &mut String, items: &[Node], indent: usize) {
    let pad = " ".repeat(indent);
    for item in items {
        if let Some(flow) = inline(item, indent + 2) {
            out.push_str(&format!("{pad}- {flow}\n"));
            continue;
        }
        match item {
            Node::Map(children) | Node::Block(children) => {
                let mut block = String::new();
                write_entries(&mut block, children, indent + 2);
                out.push_str(&pad);
                out.push_str("- ");
                out.push_str(&block[indent + 2..]);
            }
            Node::Seq(children) => {
                out.push_str(&format!("{pad}-\n"));
                write_items(out, children, indent + 2);
            }
            Node::Scalar(_) => unreachable!("a scalar is always written inline"),
        }
    }
}

/// Returns the node on one line when it is a scalar, an empty collection,
/// or a flow collection that fits after `column` characters.
fn inline(node: &Node, column: usize) -> Option<String> {
    match node {
        Node::Scalar(text) => Some(text.clone()),
        Node::Block(entries) if entries.is_empty() => Some("{}".to_owned()),
        Node::Block(_) => None,
        Node::Map(_) | Node::Seq(_) => {
            let flow = flow(node)?;
            (column + flow.len() <= MAX_WIDTH).then_some(flow)
        }
    }
}

/// Writes a node in flow style; block mappings have none.
fn flow(node: &Node) -> Option<String> {
    match node {
        Node::Scalar(text) => Some(text.clone()),
        Node::Seq(items) => {
            let items: Option<Vec<String>> = items.iter().map(flow).collect();
            Some(format!("[{}]", items?.join(", ")))
        }
        Node::Map(entries) => {
            let entries: Option<Vec<String>> = entries
                .iter()
                .map(|(key, value)| Some(format!("{key}: {}", flow(value)?)))
                .collect();
            Some(format!("{{{}}}", entries?.join(", ")))
        }
        Node::Block(_) => None,
    }
}

/// Returns the text as a plain scalar when YAML reads it back as the same
/// string in block and flow context, and double-quoted otherwise.
fn quote(text: &str) -> String {
    if is_plain_safe(text) {
        text.to_owned()
    } else {
        serde_json::Value::from(text).to_string()
    }
}

/// Words that YAML 1.1 or 1.2 reads as booleans or null.
const RESERVED_WORDS: [&str; 10] = [
    "true", "false", "yes", "no", "on", "off", "y", "n", "null", "~",
];

fn is_plain_safe(text: &str) -> bool {
    let mut chars = text.chars();
    let Some(first) = chars.next() else {
        return false;
    };
    let allowed = |c: char| {
        c.is_alphanumeric() || matches!(c, ' ' | '_' | '.' | '-' | '/' | '(' | ')' | '%' | '+')
    };
    (first.is_alphabetic() || first == '_')
        && text.chars().all(allowed)
        && !text.ends_with(' ')
        && !RESERVED_WORDS.contains(&text.to_ascii_lowercase().as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_only_ambiguous_scalars() {
        let cases = [
            ("Delivery slot", "Delivery slot"),
            ("x_delivery.slot", "x_delivery.slot"),
            ("Müller", "Müller"),
            ("no", "\"no\""),
            ("Off", "\"Off\""),
            ("17.0", "\"17.0\""),
            ("", "\"\""),
            ("Integration: own company", "\"Integration: own company\""),
            ("[('id', '=', 1)]", "\"[('id', '=', 1)]\""),
            ("a, b", "\"a, b\""),
            ("say \"hi\"\n", "\"say \\\"hi\\\"\\n\""),
            ("trailing ", "\"trailing \""),
            ("#comment", "\"#comment\""),
        ];
        for (text, expected) in cases {
            assert_eq!(quote(text), expected, "{text:?}");
        }
    }

    #[test]
    fn long_mappings_use_block_style() {
        let field = FieldSpec {
            field_type: Some("selection".to_owned()),
            string: Some("Zone".to_owned()),
            selection: Some(vec![
                ("north".to_owned(), "North".to_owned()),
                ("south".to_owned(), "South".to_owned()),
                (
                    "pickup".to_owned(),
                    "Pick-up at the Springfield warehouse".to_owned(),
                ),
            ]),
            ..FieldSpec::default()
        };
        let short = FieldSpec {
            required: Some(true),
            ..FieldSpec::default()
        };
        let entries = [
            ("x_studio_zone".to_owned(), field_node(&field)),
            ("vat".to_owned(), field_node(&short)),
        ];

        let mut out = String::new();
        write_entries(&mut out, &entries, 6);

        assert_eq!(
            out,
            "      x_studio_zone:\n\
             \x20       type: selection\n\
             \x20       string: Zone\n\
             \x20       selection: [[north, North], [south, South], [pickup, Pick-up at the \
             Springfield warehouse]]\n\
             \x20     vat: {required: true}\n"
        );
    }

    #[test]
    fn long_items_start_on_the_dash_line() {
        let rule = RuleSpec {
            name: "Own orders".to_owned(),
            model: "sale.order".to_owned(),
            groups: vec!["sales_team.group_sale_salesman".to_owned()],
            domain_force: "['|', ('user_id', '=', user.id), ('user_id', '=', False)]".to_owned(),
            perm_read: true,
            perm_write: false,
            perm_create: true,
            perm_unlink: true,
        };

        let mut out = String::new();
        write_items(&mut out, &[rule_node(&rule)], 2);

        assert_eq!(
            out,
            "  - name: Own orders\n\
             \x20   model: sale.order\n\
             \x20   groups: [sales_team.group_sale_salesman]\n\
             \x20   domain_force: \"['|', ('user_id', '=', user.id), ('user_id', '=', False)]\"\n\
             \x20   perm_write: false\n"
        );
    }
}
