//! DuckDB's query profile (the tree its profiler returns) rendered as the
//! indented text EXPLAIN ANALYZE shows under a DuckDB scan.

/// A profiler node: its metrics as (name, text value), and its children.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProfileNode {
    pub metrics: Vec<(String, String)>,
    pub children: Vec<ProfileNode>,
}

impl ProfileNode {
    pub fn metric(&self, name: &str) -> Option<&str> {
        self.metrics.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

/// "12.345 ms" from DuckDB's timing in seconds.
fn millis(seconds: &str) -> Option<String> {
    seconds.parse::<f64>().ok().map(|s| format!("{:.3} ms", s * 1000.0))
}

/// One line per operator, children indented under their parent:
/// `HASH_GROUP_BY (rows=10, time=1.234 ms) Groups=#0`, under a head line
/// with the query's total and CPU time. Result collectors and the prepared
/// statement's EXECUTE (bookkeeping of the C API) are skipped. DuckDB 2.0 names metrics in lower case
/// (`type`, `timing`, `intermediate_rows`, `extra_info`); the query-wide
/// ones sit in an object child of the root holding `total_time`.
pub fn render(root: &ProfileNode) -> Vec<String> {
    let query = root.children.iter().find(|c| c.metric("total_time").is_some() && c.metric("type").is_none());
    let mut facts = Vec::new();
    if let Some(q) = query {
        if let Some(t) = q.metric("total_time").and_then(millis) {
            facts.push(format!("time={t}"));
        }
        if let Some(t) = q.metric("cpu_time").and_then(millis) {
            facts.push(format!("cpu={t}"));
        }
        if let Some(n) = q.metric("total_rows_scanned") {
            facts.push(format!("rows scanned={n}"));
        }
    }
    let mut lines = vec![if facts.is_empty() { "DuckDB query".to_string() } else { format!("DuckDB query ({})", facts.join(", ")) }];
    for child in root.children.iter().filter(|c| c.metric("type").is_some()) {
        operator_lines(child, 1, &mut lines);
    }
    lines
}

fn operator_lines(node: &ProfileNode, depth: usize, lines: &mut Vec<String>) {
    let name = node.metric("type").unwrap_or("?").trim().to_string();
    if name == "RESULT_COLLECTOR" || name == "EXECUTE" {
        for child in &node.children {
            operator_lines(child, depth, lines);
        }
        return;
    }
    let mut facts = Vec::new();
    if let Some(rows) = node.metric("intermediate_rows") {
        facts.push(format!("rows={rows}"));
    }
    if let Some(t) = node.metric("timing").and_then(millis) {
        facts.push(format!("time={t}"));
    }
    let mut line = format!("{}{name}", "  ".repeat(depth));
    if !facts.is_empty() {
        line.push_str(&format!(" ({})", facts.join(", ")));
    }
    if let Some(extra) = node.metric("extra_info").map(compact).filter(|e| !e.is_empty()) {
        line.push_str(&format!(" {extra}"));
    }
    lines.push(line);
    for child in node.children.iter().filter(|c| c.metric("type").is_some()) {
        operator_lines(child, depth + 1, lines);
    }
}

/// DuckDB's extra info arrives as a map's text, `{Key=value, …}`; without
/// the braces and the planner's cardinality estimate.
fn compact(extra: &str) -> String {
    let flat = extra.replace('\n', " ");
    let inner = flat.trim().trim_start_matches('{').trim_end_matches('}');
    // Split on top-level ", " (values may be quoted and contain commas).
    let mut items = Vec::new();
    let (mut start, mut quoted) = (0, false);
    let bytes = inner.as_bytes();
    for i in 0..bytes.len() {
        match bytes[i] {
            b'\'' => quoted = !quoted,
            b',' if !quoted && bytes.get(i + 1) == Some(&b' ') => {
                items.push(&inner[start..i]);
                start = i + 2;
            }
            _ => {}
        }
    }
    items.push(&inner[start..]);
    items.into_iter().filter(|i| !i.is_empty() && !i.starts_with("Estimated Cardinality")).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(metrics: &[(&str, &str)], children: Vec<ProfileNode>) -> ProfileNode {
        ProfileNode { metrics: metrics.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(), children }
    }

    #[test]
    fn renders_operators_indented_without_the_result_collector() {
        let scan = node(
            &[("type", "TABLE_SCAN"), ("intermediate_rows", "100"), ("timing", "0.0015"), ("extra_info", "{Table=t, Filters='(a > 5, b)', Estimated Cardinality=5}")],
            vec![],
        );
        let agg = node(&[("type", "HASH_GROUP_BY"), ("intermediate_rows", "3")], vec![scan]);
        let execute = node(&[("type", "EXECUTE")], vec![agg]);
        let collector = node(&[("type", "RESULT_COLLECTOR")], vec![execute]);
        let query = node(&[("total_time", "0.01"), ("cpu_time", "0.002"), ("sql", "SELECT 1")], vec![]);
        let system = node(&[("peak_buffer_memory", "10")], vec![]);
        let root = node(&[], vec![collector, query, system]);
        assert_eq!(
            render(&root),
            vec![
                "DuckDB query (time=10.000 ms, cpu=2.000 ms)".to_string(),
                "  HASH_GROUP_BY (rows=3)".to_string(),
                "    TABLE_SCAN (rows=100, time=1.500 ms) Table=t, Filters='(a > 5, b)'".to_string(),
            ]
        );
    }
}
