//! What the diagnostic examples share: reading a JSON lines file whole.

use std::io::{BufRead, BufReader};

use serde_json::Value;

/// The JSON objects of the non-blank lines of `path`. An unreadable file or a malformed line
/// ends the program with exit status 2 and the file and line named.
pub fn read_jsonl(path: &str) -> Vec<Value> {
    let fail = |what: String| -> ! {
        eprintln!("{what}");
        std::process::exit(2)
    };
    let f = std::fs::File::open(path).unwrap_or_else(|e| fail(format!("{path}: {e}")));
    let mut out = Vec::new();
    for (i, line) in BufReader::new(f).lines().enumerate() {
        let line = line.unwrap_or_else(|e| fail(format!("{path}:{}: {e}", i + 1)));
        if !line.trim().is_empty() {
            out.push(
                serde_json::from_str(&line)
                    .unwrap_or_else(|e| fail(format!("{path}:{}: {e}", i + 1))),
            );
        }
    }
    out
}
