//! Splitting a JSON object into its fields without copying them, and typing single values.
//!
//! A line is parsed once into (key, raw value) pairs that borrow from the line; each raw value
//! is then read by what its column needs. Sequences (tens of kB each) are taken as slices of
//! the line when they hold no escapes (they never do in practice), so the only copy of a
//! sequence is the one into the record.

use std::borrow::Cow;
use std::fmt;

use chrono::NaiveDate;
use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;
use virion_index::Value;

use crate::error::{FieldProblem, LineProblem};
use crate::schema::MetadataKind;

/// An object key: borrowed from the line unless it holds escapes.
pub(crate) struct Key<'a>(pub Cow<'a, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Key<'de>, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v.to_owned())))
            }
        }
        d.deserialize_str(V)
    }
}

/// The fields of one JSON object, in order, values unparsed.
pub(crate) struct Fields<'a>(pub Vec<(Cow<'a, str>, &'a RawValue)>);

impl<'de> Deserialize<'de> for Fields<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Fields<'de>, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Fields<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Fields<'de>, A::Error> {
                let mut out = Vec::with_capacity(map.size_hint().unwrap_or(16));
                while let Some(Key(k)) = map.next_key()? {
                    out.push((k, map.next_value::<&'de RawValue>()?));
                }
                Ok(Fields(out))
            }
        }
        d.deserialize_map(V)
    }
}

/// What a JSON text starts with, for "expected an object, found …".
pub(crate) fn kind_of(text: &str) -> &'static str {
    match text.trim_start().as_bytes().first() {
        Some(b'{') => "an object",
        Some(b'[') => "an array",
        Some(b'"') => "a string",
        Some(b't' | b'f') => "a boolean",
        Some(b'n') => "null",
        Some(b'-' | b'0'..=b'9') => "a number",
        _ => "something else",
    }
}

/// Checks that a line holds an object before parsing it, for a clearer message than the
/// parser's.
pub(crate) fn expect_object(line: &str) -> Result<(), LineProblem> {
    match line.trim_start().as_bytes().first() {
        Some(b'{') => Ok(()),
        _ => Err(LineProblem::NotAnObject { found: kind_of(line) }),
    }
}

/// Splits a whole line (already valid UTF-8) into its fields.
pub(crate) fn line_fields(line: &str) -> Result<Fields<'_>, LineProblem> {
    expect_object(line)?;
    serde_json::from_str(line).map_err(LineProblem::Json)
}

/// Splits a field's value into its fields (a nested object).
pub(crate) fn object_fields<'a>(
    raw: &'a RawValue,
    expected: &'static str,
) -> Result<Fields<'a>, FieldProblem> {
    if !raw.get().starts_with('{') {
        return Err(wrong_type(raw, expected));
    }
    // The raw value is valid JSON and an object, so this only fails on something we do not
    // expect (such as a nesting limit); report it as the type problem it most resembles.
    serde_json::from_str(raw.get()).map_err(|_| wrong_type(raw, expected))
}

pub(crate) fn is_null(raw: &RawValue) -> bool {
    raw.get() == "null"
}

/// The JSON text of a value, shortened for a message.
pub(crate) fn shown(raw: &RawValue) -> String {
    const MAX: usize = 60;
    let s = raw.get();
    if s.len() <= MAX {
        return s.to_owned();
    }
    let cut = (0..=MAX).rev().find(|&i| s.is_char_boundary(i)).unwrap_or(0);
    format!("{}…", &s[..cut])
}

pub(crate) fn wrong_type(raw: &RawValue, expected: &'static str) -> FieldProblem {
    FieldProblem::WrongType { value: shown(raw), expected }
}

/// A JSON string's content: the slice itself when it has no escapes, else unescaped.
/// `None` for null.
pub(crate) fn string<'a>(
    raw: &'a RawValue,
    expected: &'static str,
) -> Result<Option<Cow<'a, str>>, FieldProblem> {
    let s = raw.get();
    if s == "null" {
        return Ok(None);
    }
    if !s.starts_with('"') {
        return Err(wrong_type(raw, expected));
    }
    let inner = &s[1..s.len() - 1];
    if !inner.as_bytes().contains(&b'\\') {
        return Ok(Some(Cow::Borrowed(inner)));
    }
    serde_json::from_str::<String>(s).map(|v| Some(Cow::Owned(v))).map_err(|_| wrong_type(raw, expected))
}

/// An array of strings (insertions); null counts as empty.
pub(crate) fn strings<'a>(
    raw: &'a RawValue,
    expected: &'static str,
) -> Result<Vec<Cow<'a, str>>, FieldProblem> {
    if is_null(raw) {
        return Ok(Vec::new());
    }
    let items: Vec<&RawValue> = serde_json::from_str(raw.get()).map_err(|_| wrong_type(raw, expected))?;
    items.into_iter().map(|item| string(item, expected)?.ok_or_else(|| wrong_type(item, expected))).collect()
}

/// Checks a `YYYY-MM-DD` date strictly (four-digit year, two-digit month and day).
pub(crate) fn parse_date(text: &str) -> Option<NaiveDate> {
    let b = text.as_bytes();
    let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' || !digits(0..4) || !digits(5..7) || !digits(8..10) {
        return None;
    }
    let n = |r: std::ops::Range<usize>| text[r].parse::<u32>().ok();
    NaiveDate::from_ymd_opt(n(0..4)? as i32, n(5..7)?, n(8..10)?)
}

/// A metadata value as its column's type wants it. Null fits every type; a date column also
/// takes `""` as null (SILO's rule); numbers must be whole for integer columns and fit them.
pub(crate) fn metadata_value(raw: &RawValue, kind: MetadataKind) -> Result<Value, FieldProblem> {
    let s = raw.get();
    if s == "null" {
        return Ok(Value::Null);
    }
    match kind {
        MetadataKind::String => {
            Ok(Value::String(string(raw, "a string")?.map(Cow::into_owned).unwrap_or_default()))
        }
        MetadataKind::Date => {
            let text = string(raw, "a date string YYYY-MM-DD")?.unwrap_or_default();
            if text.is_empty() {
                return Ok(Value::Null);
            }
            parse_date(&text)
                .map(Value::Date)
                .ok_or_else(|| FieldProblem::NotADate { value: text.into_owned() })
        }
        MetadataKind::Int32 | MetadataKind::Int64 => {
            let expected = "a whole number";
            if !matches!(s.as_bytes()[0], b'-' | b'0'..=b'9') {
                return Err(wrong_type(raw, expected));
            }
            let n: serde_json::Number = serde_json::from_str(s).map_err(|_| wrong_type(raw, expected))?;
            let i = match n.as_i64() {
                Some(i) => i,
                None if n.is_u64() => return Err(FieldProblem::OutOfRange { value: shown(raw), bits: 64 }),
                None => return Err(wrong_type(raw, expected)),
            };
            if kind == MetadataKind::Int32 && i32::try_from(i).is_err() {
                return Err(FieldProblem::OutOfRange { value: shown(raw), bits: 32 });
            }
            Ok(Value::Int(i))
        }
        MetadataKind::Float => {
            if !matches!(s.as_bytes()[0], b'-' | b'0'..=b'9') {
                return Err(wrong_type(raw, "a number"));
            }
            // Rust's parser rounds correctly; serde_json's default one can be off by an ulp,
            // and a value must come out as the writer's shortest form meant it. JSON number
            // syntax is a subset of what `f64::from_str` accepts.
            s.parse::<f64>().map(Value::Float).map_err(|_| wrong_type(raw, "a number"))
        }
        MetadataKind::Boolean => match s {
            "true" => Ok(Value::Boolean(true)),
            "false" => Ok(Value::Boolean(false)),
            _ => Err(wrong_type(raw, "true or false")),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(s: &str) -> Box<RawValue> {
        RawValue::from_string(s.to_owned()).unwrap()
    }

    #[test]
    fn dates_are_strict() {
        assert!(parse_date("2021-03-18").is_some());
        for bad in ["2021-3-18", "2021-13-01", "2021-02-30", "21-03-18", "2021/03/18", "2021-03-18 "] {
            assert!(parse_date(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn values_are_typed_by_column() {
        use MetadataKind::*;
        assert_eq!(metadata_value(&raw("\"CH\""), String).unwrap(), Value::String("CH".into()));
        assert_eq!(metadata_value(&raw("\"a\\\"b\""), String).unwrap(), Value::String("a\"b".into()));
        assert_eq!(metadata_value(&raw("null"), Int32).unwrap(), Value::Null);
        assert_eq!(metadata_value(&raw("\"\""), Date).unwrap(), Value::Null);
        assert_eq!(metadata_value(&raw("-5"), Int32).unwrap(), Value::Int(-5));
        assert_eq!(metadata_value(&raw("5"), Float).unwrap(), Value::Float(5.0));
        // serde_json's default float parser reads this one ulp off; found by the round trip.
        assert_eq!(
            metadata_value(&raw("505372991569.01483"), Float).unwrap(),
            Value::Float(505372991569.01483)
        );
        assert_eq!(metadata_value(&raw("true"), Boolean).unwrap(), Value::Boolean(true));
        assert!(matches!(
            metadata_value(&raw("3000000000"), Int32),
            Err(FieldProblem::OutOfRange { bits: 32, .. })
        ));
        assert_eq!(metadata_value(&raw("3000000000"), Int64).unwrap(), Value::Int(3_000_000_000));
        assert!(matches!(metadata_value(&raw("5.5"), Int32), Err(FieldProblem::WrongType { .. })));
        assert!(matches!(metadata_value(&raw("\"5\""), Int32), Err(FieldProblem::WrongType { .. })));
        assert!(matches!(metadata_value(&raw("5"), String), Err(FieldProblem::WrongType { .. })));
        let e = metadata_value(&raw("\"2021-13-45\""), Date).unwrap_err();
        assert_eq!(e.to_string(), "\"2021-13-45\" is not a date YYYY-MM-DD");
    }
}
