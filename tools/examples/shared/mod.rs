//! What the librdkafka benchmark examples (`rdkafka-load`, `group-bench`) share: `-X
//! key=value` parsing and the one-line summary (`mode key=value …`, or one JSON object).

/// Parses `-X key=value`.
pub fn parse_property(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((key, value)) if !key.trim().is_empty() => {
            Ok((key.trim().to_owned(), value.trim().to_owned()))
        }
        _ => Err(format!("expected key=value, got `{text}`")),
    }
}

/// Prints the run's summary: `mode key=value …` (floats with `digits` decimals), or with
/// `json` one JSON object with a `mode` field.
pub fn print_summary(json: bool, mode: &str, fields: &[(&str, serde_json::Value)], digits: usize) {
    if json {
        let mut object = serde_json::Map::new();
        object.insert("mode".to_owned(), serde_json::Value::from(mode));
        for (key, value) in fields {
            object.insert((*key).to_owned(), value.clone());
        }
        println!("{}", serde_json::Value::Object(object));
    } else {
        let text: Vec<String> = fields
            .iter()
            .map(|(key, value)| match value {
                serde_json::Value::String(text) => format!("{key}={text}"),
                serde_json::Value::Number(number) => match number.as_f64() {
                    Some(float) if number.is_f64() => format!("{key}={float:.digits$}"),
                    _ => format!("{key}={number}"),
                },
                other => format!("{key}={other}"),
            })
            .collect();
        println!("{mode} {}", text.join(" "));
    }
}
