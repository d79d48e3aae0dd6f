//! Parsing one raw record into a document: UTF-8 validation and JSON field extraction.

use std::borrow::Cow;
use std::fmt;
use std::path::Path;

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, Visitor};
use serde_json::value::RawValue;

use super::{Format, RawRecord};
use crate::error::{Error, Result};

/// Names of the JSONL fields neardup reads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fields {
    /// The document text (default `text`).
    pub text: String,
    /// The document id (default `id`); `FILE:LINE` when absent.
    pub id: String,
    /// An optional title, prepended to the text.
    pub title: Option<String>,
    /// An optional date (any string that sorts chronologically, e.g. ISO 8601).
    pub date: Option<String>,
}

impl Default for Fields {
    fn default() -> Self {
        Fields { text: "text".into(), id: "id".into(), title: None, date: None }
    }
}

/// A parsed document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Doc<'a> {
    /// The id as a JSON value (a string or number as it appeared, or `"FILE:LINE"`).
    pub id_json: Cow<'a, str>,
    /// The text (with the title, when a title field is set).
    pub text: Cow<'a, str>,
    /// The date field's value, when set and present.
    pub date: Option<Cow<'a, str>>,
    /// Bytes at the start of `text` that are the prepended title and its newline (0 when no
    /// title was prepended).
    pub title_len: usize,
}

impl Doc<'_> {
    /// The title prepended to the text, when a title field gave one.
    pub fn title(&self) -> Option<&str> {
        (self.title_len > 0).then(|| &self.text[..self.title_len - 1])
    }

    /// The text without the prepended title: the article's own text.
    pub fn body(&self) -> &str {
        &self.text[self.title_len..]
    }
}

/// A JSON object key, borrowed when it has no escapes.
struct Key<'de>(Cow<'de, str>);

impl<'de> de::Deserialize<'de> for Key<'de> {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string key")
            }
            fn visit_borrowed_str<E: de::Error>(
                self,
                v: &'de str,
            ) -> std::result::Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> std::result::Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v.to_owned())))
            }
        }
        d.deserialize_str(V)
    }
}

/// Picks up to four named fields of a JSON object as raw values, skipping the rest.
struct Picker<'f>([Option<&'f str>; 4]);

impl<'de> DeserializeSeed<'de> for Picker<'_> {
    type Value = [Option<&'de RawValue>; 4];
    fn deserialize<D: de::Deserializer<'de>>(
        self,
        d: D,
    ) -> std::result::Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for Picker<'_> {
    type Value = [Option<&'de RawValue>; 4];
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON object")
    }
    fn visit_map<A: MapAccess<'de>>(
        self,
        mut map: A,
    ) -> std::result::Result<Self::Value, A::Error> {
        let mut out = [None; 4];
        while let Some(Key(k)) = map.next_key::<Key<'de>>()? {
            match self.0.iter().position(|f| *f == Some(&*k)) {
                Some(i) if out[i].is_some() => {
                    return Err(de::Error::custom(format_args!("duplicate field {k:?}")));
                }
                Some(i) => out[i] = Some(map.next_value::<&'de RawValue>()?),
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(out)
    }
}

/// Decodes a raw JSON string value, borrowing when it has no escapes.
fn json_str(raw: &RawValue) -> Option<Cow<'_, str>> {
    let s = raw.get();
    if !s.starts_with('"') {
        return None;
    }
    let inner = &s[1..s.len() - 1];
    if memchr::memchr(b'\\', inner.as_bytes()).is_none() {
        return Some(Cow::Borrowed(inner));
    }
    unescape(inner).map(Cow::Owned)
}

/// Decodes the escapes of a JSON string's contents (without its quotes), which the parser has
/// already checked for syntax: plain runs are copied whole between backslashes (found with
/// `memchr`), so the text is scanned once more, not twice. `None` where `serde_json` would
/// refuse the string too: a lone surrogate, or an escape it does not know.
fn unescape(s: &str) -> Option<String> {
    fn hex4(b: &[u8]) -> Option<u32> {
        let h = std::str::from_utf8(b).ok()?;
        if !h.bytes().all(|c| c.is_ascii_hexdigit()) {
            return None;
        }
        u32::from_str_radix(h, 16).ok()
    }
    let b = s.as_bytes();
    let mut out = String::with_capacity(b.len());
    let mut i = 0;
    while let Some(j) = memchr::memchr(b'\\', &b[i..]) {
        // Backslashes and escapes are ASCII, so `i` and `i + j` are char boundaries.
        out.push_str(&s[i..i + j]);
        i += j;
        let e = *b.get(i + 1)?;
        i += 2;
        let c = match e {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                let hi = hex4(b.get(i..i + 4)?)?;
                i += 4;
                match hi {
                    0xD800..=0xDBFF => {
                        if b.get(i..i + 2)? != b"\\u" {
                            return None;
                        }
                        let lo = hex4(b.get(i + 2..i + 6)?)?;
                        if !(0xDC00..=0xDFFF).contains(&lo) {
                            return None;
                        }
                        i += 6;
                        char::from_u32(0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00))?
                    }
                    0xDC00..=0xDFFF => return None,
                    _ => char::from_u32(hi)?,
                }
            }
            _ => return None,
        };
        out.push(c);
    }
    out.push_str(&s[i..]);
    Some(out)
}

fn location_id(path: &Path, line: u64) -> String {
    serde_json::to_string(&format!("{}:{line}", path.display())).unwrap_or_default()
}

/// Parses `raw` read from `path` in `format`.
pub(super) fn parse<'a>(
    raw: &'a RawRecord,
    format: Format,
    path: &Path,
    fields: &Fields,
) -> Result<Doc<'a>> {
    let mut bytes = &raw.bytes[..];
    if format != Format::Text && bytes.last() == Some(&b'\r') {
        bytes = &bytes[..bytes.len() - 1];
    }
    let text = std::str::from_utf8(bytes).map_err(|e| Error::InvalidUtf8 {
        path: path.to_path_buf(),
        line: raw.line,
        offset: e.valid_up_to(),
    })?;
    match format {
        Format::Text => Ok(Doc {
            id_json: Cow::Owned(
                serde_json::to_string(&path.display().to_string()).unwrap_or_default(),
            ),
            text: Cow::Borrowed(text),
            date: None,
            title_len: 0,
        }),
        Format::Lines => Ok(Doc {
            id_json: Cow::Owned(location_id(path, raw.line)),
            text: Cow::Borrowed(text),
            date: None,
            title_len: 0,
        }),
        Format::Jsonl | Format::Parquet => {
            let json_err =
                |message: String| Error::Json { path: path.to_path_buf(), line: raw.line, message };
            let mut de = serde_json::Deserializer::from_str(text);
            let picker = Picker([
                Some(&fields.text),
                Some(&fields.id),
                fields.title.as_deref(),
                fields.date.as_deref(),
            ]);
            let [t, id, title, date] =
                picker.deserialize(&mut de).map_err(|e| json_err(e.to_string()))?;
            de.end().map_err(|e| json_err(e.to_string()))?;
            let bad = |problem| Error::BadField {
                path: path.to_path_buf(),
                line: raw.line,
                field: fields.text.clone(),
                problem,
            };
            let body =
                json_str(t.ok_or_else(|| bad("missing"))?).ok_or_else(|| bad("not a string"))?;
            let id_json = match id {
                Some(v)
                    if v.get().starts_with('"')
                        || v.get().starts_with(|c: char| c == '-' || c.is_ascii_digit()) =>
                {
                    Cow::Borrowed(v.get())
                }
                _ => Cow::Owned(location_id(path, raw.line)),
            };
            let (text, title_len) = match title.and_then(json_str) {
                Some(t) if !t.is_empty() => (Cow::Owned(format!("{t}\n{body}")), t.len() + 1),
                _ => (body, 0),
            };
            Ok(Doc { id_json, text, date: date.and_then(json_str), title_len })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// The unescaper agrees with serde_json on every string the parser lets through:
        /// encoded text, and raw escape soup (lone and paired surrogates, bad escapes).
        #[test]
        fn unescape_agrees_with_serde_json(
            text in "\\PC{0,40}",
            soup in proptest::collection::vec(prop_oneof![
                Just("\\n".to_owned()), Just("\\\"".to_owned()), Just("\\\\".to_owned()),
                Just("\\/".to_owned()), Just("\\b\\f\\r\\t".to_owned()), Just("\\ud83d".to_owned()),
                Just("\\ude00".to_owned()), Just("\\u00e9".to_owned()), Just("\\uD834\\uDD1E".to_owned()),
                Just("\\x".to_owned()), Just("\\u12".to_owned()), Just("ab".to_owned()), Just("é".to_owned()),
            ], 0..8),
        ) {
            let encoded = serde_json::to_string(&text).unwrap();
            let raw: &RawValue = serde_json::from_str(&encoded).unwrap();
            prop_assert_eq!(json_str(raw).map(|c| c.into_owned()), Some(text));
            let quoted = format!("\"{}\"", soup.concat());
            if let Ok(raw) = serde_json::from_str::<&RawValue>(&quoted) {
                let want = serde_json::from_str::<String>(&quoted).ok();
                prop_assert_eq!(json_str(raw).map(|c| c.into_owned()), want, "{}", quoted);
            }
        }
    }

    fn rec(s: &[u8]) -> RawRecord {
        RawRecord {
            ordinal: 0,
            source: 0,
            line: 7,
            offset: 0,
            bytes: crate::input::RecordBytes::from_vec(s.to_vec()),
            too_long: None,
        }
    }

    fn p(s: &[u8], fields: &Fields) -> Result<Doc<'static>> {
        let r = Box::leak(Box::new(rec(s)));
        parse(r, Format::Jsonl, Path::new("f.jsonl"), fields)
    }

    #[test]
    fn picks_fields() {
        let f = Fields { title: Some("title".into()), date: Some("d".into()), ..Fields::default() };
        let d = p(br#"{"x":[1,{"y":2}],"id":12,"text":"a\"b","title":"T","d":"2020-01-01"}"#, &f)
            .unwrap();
        assert_eq!(d.id_json, "12");
        assert_eq!(d.text, "T\na\"b");
        assert_eq!((d.title(), d.body()), (Some("T"), "a\"b"));
        let untitled = p(br#"{"id":1,"text":"x\ny","title":""}"#, &f).unwrap();
        assert_eq!((untitled.title(), untitled.body()), (None, "x\ny"));
        assert_eq!(d.date.as_deref(), Some("2020-01-01"));
    }

    #[test]
    fn errors_name_the_line() {
        let f = Fields::default();
        assert!(matches!(
            p(br#"{"text": 3}"#, &f),
            Err(Error::BadField { line: 7, problem: "not a string", .. })
        ));
        assert!(matches!(
            p(br#"{"id": "a"}"#, &f),
            Err(Error::BadField { problem: "missing", .. })
        ));
        assert!(matches!(p(br#"{"text": "a"} x"#, &f), Err(Error::Json { .. })));
        assert!(matches!(p(br#"{"text": "a""#, &f), Err(Error::Json { .. })));
        assert!(matches!(p(b"[1]", &f), Err(Error::Json { .. })));
        assert!(matches!(
            p(b"{\"text\": \"\xff\"}", &f),
            Err(Error::InvalidUtf8 { offset: 10, .. })
        ));
    }

    #[test]
    fn missing_id_uses_location() {
        let d = p(br#"{"text":"x"}"#, &Fields::default()).unwrap();
        assert_eq!(d.id_json, r#""f.jsonl:7""#);
    }
}
