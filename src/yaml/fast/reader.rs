//! The fast path's events deserialized as yaml_serde deserializes the
//! same events from libyaml.

use std::borrow::Cow;

use serde::de::{self, DeserializeOwned, DeserializeSeed, Visitor};

use super::{Event, Parsed, Style, Unread};

/// Deserializes the events as yaml_serde's deserializer does with the
/// same events from libyaml (untagged, without anchors): the same visits,
/// and an error in the same places (any error sends the text to the
/// general parser, so only where errors happen must agree, not what they
/// say: a visitor may recover from one, as an untagged enum does).
pub(super) struct Reader<'a> {
    events: Vec<Event<'a>>,
    at: usize,
}

impl<'de> Reader<'de> {
    pub(super) fn new(events: Vec<Event<'de>>) -> Self {
        Reader { events, at: 0 }
    }

    /// The whole document as `T`, if it reads without error.
    pub(super) fn read<T: DeserializeOwned>(mut self) -> Option<T> {
        let value = T::deserialize(&mut self).ok()?;
        // One node is the whole document.
        (self.at == self.events.len()).then_some(value)
    }

    fn peek(&self) -> Parsed<&Event<'de>> {
        self.events.get(self.at).ok_or(Unread)
    }

    fn next(&mut self) -> Parsed<&Event<'de>> {
        let at = self.at;
        self.at += 1;
        self.events.get(at).ok_or(Unread)
    }

    /// The next event as a scalar's text and style; `Unread` for a
    /// collection, which is then consumed.
    fn scalar(&mut self) -> Parsed<(&Event<'de>, Style)> {
        match self.next()? {
            e @ Event::Scalar(_, style) => Ok((e, *style)),
            _ => Err(Unread),
        }
    }

    fn skip(&mut self) -> Parsed<()> {
        let mut open = 0usize;
        loop {
            match self.next()? {
                Event::Scalar(..) => {}
                Event::SequenceStart | Event::MappingStart => open += 1,
                Event::SequenceEnd | Event::MappingEnd => {
                    open = open.checked_sub(1).ok_or(Unread)?;
                }
            }
            if open == 0 {
                return Ok(());
            }
        }
    }

    fn sequence<V: Visitor<'de>>(&mut self, visitor: V) -> Parsed<V::Value> {
        let value = visitor.visit_seq(Entries { reader: self })?;
        // yaml_serde refuses entries the visitor left.
        match self.next()? {
            Event::SequenceEnd => Ok(value),
            _ => Err(Unread),
        }
    }

    fn mapping<V: Visitor<'de>>(&mut self, visitor: V) -> Parsed<V::Value> {
        let value = visitor.visit_map(Entries { reader: self })?;
        match self.next()? {
            Event::MappingEnd => Ok(value),
            _ => Err(Unread),
        }
    }
}

/// A scalar's text to a visitor: borrowed from the file when it can be.
fn visit_text<'de, V: Visitor<'de>>(visitor: V, event: &Event<'de>) -> Parsed<V::Value> {
    match event {
        Event::Scalar(Cow::Borrowed(s), _) => visitor.visit_borrowed_str(s),
        Event::Scalar(Cow::Owned(s), _) => visitor.visit_str(s),
        _ => Err(Unread),
    }
}

fn text_of<'a>(event: &'a Event<'_>) -> &'a str {
    match event {
        Event::Scalar(s, _) => s,
        _ => "",
    }
}

fn is_null(s: &str) -> bool {
    matches!(s, "null" | "Null" | "NULL" | "~")
}

fn parse_bool(s: &str) -> Option<bool> {
    match s {
        "true" | "True" | "TRUE" => Some(true),
        "false" | "False" | "FALSE" => Some(false),
        _ => None,
    }
}

/// An untagged plain scalar as yaml_serde resolves it: null, a boolean,
/// an integer, a float, else a string.
fn visit_plain<'de, V: Visitor<'de>>(visitor: V, event: &Event<'de>) -> Parsed<V::Value> {
    let s = text_of(event);
    if s.is_empty() || is_null(s) {
        return visitor.visit_unit();
    }
    if let Some(b) = parse_bool(s) {
        return visitor.visit_bool(b);
    }
    if let Some(n) = numbers::unsigned(s, u64::from_str_radix) {
        return visitor.visit_u64(n);
    }
    if let Some(n) = numbers::negative(s, i64::from_str_radix) {
        return visitor.visit_i64(n);
    }
    if let Some(n) = numbers::unsigned(s, u128::from_str_radix) {
        return visitor.visit_u128(n);
    }
    if let Some(n) = numbers::negative(s, i128::from_str_radix) {
        return visitor.visit_i128(n);
    }
    if !numbers::digits_but_not_number(s) {
        if let Some(f) = numbers::float(s) {
            return visitor.visit_f64(f);
        }
    }
    visit_text(visitor, event)
}

/// Number syntax as yaml_serde 0.10 reads plain scalars (its `de.rs`,
/// MIT OR Apache-2.0), so that both paths give the same numbers.
mod numbers {
    use std::num::ParseIntError;

    type Radix<T> = fn(&str, u32) -> Result<T, ParseIntError>;

    pub fn unsigned<T>(s: &str, radix: Radix<T>) -> Option<T> {
        let unpositive = s.strip_prefix('+').unwrap_or(s);
        for (prefix, base) in [("0x", 16), ("0o", 8), ("0b", 2)] {
            if let Some(rest) = unpositive.strip_prefix(prefix) {
                if rest.starts_with(['+', '-']) {
                    return None;
                }
                if let Ok(n) = radix(rest, base) {
                    return Some(n);
                }
            }
        }
        if unpositive.starts_with(['+', '-']) || digits_but_not_number(s) {
            return None;
        }
        radix(unpositive, 10).ok()
    }

    pub fn signed<T>(s: &str, radix: Radix<T>) -> Option<T> {
        let unpositive = match s.strip_prefix('+') {
            Some(u) if u.starts_with(['+', '-']) => return None,
            Some(u) => u,
            None => s,
        };
        for (prefix, base) in [("0x", 16), ("0o", 8), ("0b", 2)] {
            if let Some(rest) = unpositive.strip_prefix(prefix) {
                if rest.starts_with(['+', '-']) {
                    return None;
                }
                if let Ok(n) = radix(rest, base) {
                    return Some(n);
                }
            }
            if let Some(rest) = s.strip_prefix('-').and_then(|r| r.strip_prefix(prefix)) {
                if let Ok(n) = radix(&format!("-{rest}"), base) {
                    return Some(n);
                }
            }
        }
        if digits_but_not_number(s) {
            return None;
        }
        radix(unpositive, 10).ok()
    }

    pub fn negative<T>(s: &str, radix: Radix<T>) -> Option<T> {
        for (prefix, base) in [("0x", 16), ("0o", 8), ("0b", 2)] {
            if let Some(rest) = s.strip_prefix('-').and_then(|r| r.strip_prefix(prefix)) {
                if let Ok(n) = radix(&format!("-{rest}"), base) {
                    return Some(n);
                }
            }
        }
        if digits_but_not_number(s) {
            return None;
        }
        radix(s, 10).ok()
    }

    pub fn float(s: &str) -> Option<f64> {
        let unpositive = match s.strip_prefix('+') {
            Some(u) if u.starts_with(['+', '-']) => return None,
            Some(u) => u,
            None => s,
        };
        if let ".inf" | ".Inf" | ".INF" = unpositive {
            return Some(f64::INFINITY);
        }
        if let "-.inf" | "-.Inf" | "-.INF" = s {
            return Some(f64::NEG_INFINITY);
        }
        if let ".nan" | ".NaN" | ".NAN" = s {
            return Some(f64::NAN.copysign(1.0));
        }
        unpositive.parse::<f64>().ok().filter(|f| f.is_finite())
    }

    /// Leading zeros then digits: a string in YAML 1.2.
    pub fn digits_but_not_number(s: &str) -> bool {
        let s = s.strip_prefix(['-', '+']).unwrap_or(s);
        s.len() > 1 && s.starts_with('0') && s[1..].bytes().all(|b| b.is_ascii_digit())
    }
}

/// Reads the entries of a sequence or a mapping.
struct Entries<'r, 'de> {
    reader: &'r mut Reader<'de>,
}

impl<'de> de::SeqAccess<'de> for Entries<'_, 'de> {
    type Error = Unread;

    fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Parsed<Option<T::Value>> {
        match self.reader.peek()? {
            Event::SequenceEnd => Ok(None),
            _ => seed.deserialize(&mut *self.reader).map(Some),
        }
    }
}

impl<'de> de::MapAccess<'de> for Entries<'_, 'de> {
    type Error = Unread;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Parsed<Option<K::Value>> {
        match self.reader.peek()? {
            Event::MappingEnd => Ok(None),
            _ => seed.deserialize(&mut *self.reader).map(Some),
        }
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Parsed<V::Value> {
        seed.deserialize(&mut *self.reader)
    }
}

/// The entries of a sequence or mapping written as an empty plain scalar
/// (`tags:` with nothing after it): none.
struct Empty;

impl<'de> de::SeqAccess<'de> for Empty {
    type Error = Unread;

    fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, _: T) -> Parsed<Option<T::Value>> {
        Ok(None)
    }
}

impl<'de> de::MapAccess<'de> for Empty {
    type Error = Unread;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, _: K) -> Parsed<Option<K::Value>> {
        Ok(None)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, _: V) -> Parsed<V::Value> {
        Err(Unread)
    }
}

/// An enum from a scalar: its name is the variant, without content.
struct UnitVariant<'r, 'de> {
    reader: &'r mut Reader<'de>,
}

impl<'de> de::EnumAccess<'de> for UnitVariant<'_, 'de> {
    type Error = Unread;
    type Variant = Self;

    fn variant_seed<V: DeserializeSeed<'de>>(self, seed: V) -> Parsed<(V::Value, Self)> {
        Ok((seed.deserialize(&mut *self.reader)?, self))
    }
}

impl<'de> de::VariantAccess<'de> for UnitVariant<'_, 'de> {
    type Error = Unread;

    fn unit_variant(self) -> Parsed<()> {
        Ok(())
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, _: T) -> Parsed<T::Value> {
        Err(Unread)
    }

    fn tuple_variant<V: Visitor<'de>>(self, _: usize, _: V) -> Parsed<V::Value> {
        Err(Unread)
    }

    fn struct_variant<V: Visitor<'de>>(self, _: &'static [&'static str], _: V) -> Parsed<V::Value> {
        Err(Unread)
    }
}

/// Which number a `deserialize_*` asks for.
macro_rules! number {
    ($method:ident, $visit:ident, $parse:expr) => {
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Parsed<V::Value> {
            let (event, style) = self.scalar()?;
            match style {
                Style::Plain => match $parse(text_of(event)) {
                    Some(n) => visitor.$visit(n),
                    None => Err(Unread),
                },
                Style::Other => Err(Unread),
            }
        }
    };
}

/// Narrower types read as the wider one does: the visitor checks the range.
macro_rules! forward {
    ($($method:ident => $to:ident),* $(,)?) => {
        $(fn $method<V: Visitor<'de>>(self, visitor: V) -> Parsed<V::Value> {
            self.$to(visitor)
        })*
    };
}

impl<'de> de::Deserializer<'de> for &mut Reader<'de> {
    type Error = Unread;

    forward! {
        deserialize_i8 => deserialize_i64,
        deserialize_i16 => deserialize_i64,
        deserialize_i32 => deserialize_i64,
        deserialize_u8 => deserialize_u64,
        deserialize_u16 => deserialize_u64,
        deserialize_u32 => deserialize_u64,
        deserialize_f32 => deserialize_f64,
        deserialize_char => deserialize_str,
        deserialize_string => deserialize_str,
    }

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Parsed<V::Value> {
        let at = self.at;
        self.at += 1;
        match self.events.get(at).ok_or(Unread)? {
            Event::SequenceStart => self.sequence(visitor),
            Event::MappingStart => self.mapping(visitor),
            e @ Event::Scalar(_, Style::Plain) => visit_plain(visitor, e),
            e @ Event::Scalar(_, Style::Other) => visit_text(visitor, e),
            Event::SequenceEnd | Event::MappingEnd => Err(Unread),
        }
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Parsed<V::Value> {
        let (event, style) = self.scalar()?;
        match (style, parse_bool(text_of(event))) {
            (Style::Plain, Some(b)) => visitor.visit_bool(b),
            _ => Err(Unread),
        }
    }

    number!(deserialize_i64, visit_i64, |s| numbers::signed(
        s,
        i64::from_str_radix
    ));
    number!(deserialize_i128, visit_i128, |s| numbers::signed(
        s,
        i128::from_str_radix
    ));

    number!(deserialize_u64, visit_u64, |s| numbers::unsigned(
        s,
        u64::from_str_radix
    ));
    number!(deserialize_u128, visit_u128, |s| numbers::unsigned(
        s,
        u128::from_str_radix
    ));

    number!(deserialize_f64, visit_f64, numbers::float);

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Parsed<V::Value> {
        let (event, _) = self.scalar()?;
        visit_text(visitor, event)
    }

    fn deserialize_bytes<V: Visitor<'de>>(self, _: V) -> Parsed<V::Value> {
        Err(Unread)
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, _: V) -> Parsed<V::Value> {
        Err(Unread)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Parsed<V::Value> {
        let some = match self.peek()? {
            Event::Scalar(s, Style::Plain) => !s.is_empty() && !is_null(s),
            Event::Scalar(_, Style::Other) | Event::SequenceStart | Event::MappingStart => true,
            Event::SequenceEnd | Event::MappingEnd => return Err(Unread),
        };
        if some {
            visitor.visit_some(self)
        } else {
            self.at += 1;
            visitor.visit_none()
        }
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Parsed<V::Value> {
        let (event, style) = self.scalar()?;
        let s = text_of(event);
        if style == Style::Plain && (s.is_empty() || is_null(s)) {
            visitor.visit_unit()
        } else {
            Err(Unread)
        }
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        visitor: V,
    ) -> Parsed<V::Value> {
        self.deserialize_unit(visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        visitor: V,
    ) -> Parsed<V::Value> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Parsed<V::Value> {
        match self.next()? {
            Event::SequenceStart => self.sequence(visitor),
            // An empty plain scalar reads as an empty sequence.
            Event::Scalar(s, Style::Plain) if s.is_empty() => visitor.visit_seq(Empty),
            _ => Err(Unread),
        }
    }

    fn deserialize_tuple<V: Visitor<'de>>(self, _: usize, visitor: V) -> Parsed<V::Value> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        _: usize,
        visitor: V,
    ) -> Parsed<V::Value> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Parsed<V::Value> {
        match self.next()? {
            Event::MappingStart => self.mapping(visitor),
            Event::Scalar(s, Style::Plain) if s.is_empty() => visitor.visit_map(Empty),
            _ => Err(Unread),
        }
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        _: &'static [&'static str],
        visitor: V,
    ) -> Parsed<V::Value> {
        self.deserialize_map(visitor)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _: &'static str,
        _: &'static [&'static str],
        visitor: V,
    ) -> Parsed<V::Value> {
        match self.peek()? {
            Event::Scalar(..) => visitor.visit_enum(UnitVariant { reader: self }),
            _ => Err(Unread),
        }
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Parsed<V::Value> {
        self.deserialize_str(visitor)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Parsed<V::Value> {
        self.skip()?;
        visitor.visit_unit()
    }
}
