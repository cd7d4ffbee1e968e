//! JS operators on known primitive values (`ToString`, `ToNumber`, equality, arithmetic).
//! Callers handle objects, unknowns and env references before reaching here.

use crate::value::ValueKind;
use oxc::ast::ast::{BinaryOperator, UnaryOperator};

/// `ToString` of a primitive; `None` for kinds that are not plain primitives.
pub(super) fn to_string(v: &ValueKind) -> Option<String> {
    Some(match v {
        ValueKind::Undefined => "undefined".into(),
        ValueKind::Null => "null".into(),
        ValueKind::Bool(b) => b.to_string(),
        ValueKind::Number(n) => number_to_string(*n),
        ValueKind::String(s) => s.clone(),
        ValueKind::Regex { source, flags } => format!("/{source}/{flags}"),
        _ => return None,
    })
}

/// `ToNumber` of a primitive.
pub(super) fn to_number(v: &ValueKind) -> Option<f64> {
    Some(match v {
        ValueKind::Undefined => f64::NAN,
        ValueKind::Null => 0.0,
        ValueKind::Bool(b) => f64::from(u8::from(*b)),
        ValueKind::Number(n) => *n,
        ValueKind::String(s) => string_to_number(s),
        ValueKind::Regex { .. } => f64::NAN,
        _ => return None,
    })
}

fn string_to_number(s: &str) -> f64 {
    let t = s.trim();
    if t.is_empty() {
        return 0.0;
    }
    let radix = |p: &str, r| i64::from_str_radix(p, r).map_or(f64::NAN, |n| n as f64);
    match t.get(..2) {
        Some("0x" | "0X") => radix(&t[2..], 16),
        Some("0o" | "0O") => radix(&t[2..], 8),
        Some("0b" | "0B") => radix(&t[2..], 2),
        _ => match t {
            "Infinity" | "+Infinity" => f64::INFINITY,
            "-Infinity" => f64::NEG_INFINITY,
            _ if t
                .chars()
                .all(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '+' | '-')) =>
            {
                t.parse().unwrap_or(f64::NAN)
            }
            _ => f64::NAN,
        },
    }
}

/// JS `Number.prototype.toString()` for the common cases (integers print without `.0`).
pub(super) fn number_to_string(n: f64) -> String {
    if n.is_nan() {
        "NaN".into()
    } else if n.is_infinite() {
        if n > 0.0 {
            "Infinity".into()
        } else {
            "-Infinity".into()
        }
    } else if n == 0.0 {
        "0".into()
    } else if n.fract() == 0.0 && n.abs() < 1e21 {
        format!("{n:.0}")
    } else {
        n.to_string()
    }
}

/// `parseInt(s, radix)`.
pub(super) fn parse_int(s: &str, radix: Option<u32>) -> f64 {
    let t = s.trim_start();
    let (neg, t) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let (radix, t) = match radix {
        Some(r) if r != 0 && !(2..=36).contains(&r) => return f64::NAN,
        Some(16) | None | Some(0) if t.starts_with("0x") || t.starts_with("0X") => (16, &t[2..]),
        Some(r) if r != 0 => (r, t),
        _ => (10, t),
    };
    let digits: String = t.chars().take_while(|c| c.is_digit(radix)).collect();
    if digits.is_empty() {
        return f64::NAN;
    }
    let n = digits.chars().fold(0f64, |acc, c| {
        acc * f64::from(radix) + f64::from(c.to_digit(radix).unwrap_or(0))
    });
    if neg {
        -n
    } else {
        n
    }
}

/// `parseFloat(s)`.
pub(super) fn parse_float(s: &str) -> f64 {
    let t = s.trim_start();
    if t.starts_with("Infinity") || t.starts_with("+Infinity") {
        return f64::INFINITY;
    }
    if t.starts_with("-Infinity") {
        return f64::NEG_INFINITY;
    }
    // The longest numeric prefix (`1.5e3px` → `1.5e3`).
    let head: String = t
        .chars()
        .take(64)
        .take_while(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '+' | '-'))
        .collect();
    (1..=head.len())
        .rev()
        .map(|i| &head[..i])
        .find_map(|p| p.parse::<f64>().ok())
        .unwrap_or(f64::NAN)
}

/// `typeof` of a primitive.
pub(super) fn type_of(v: &ValueKind) -> Option<&'static str> {
    Some(match v {
        ValueKind::Undefined => "undefined",
        ValueKind::Null
        | ValueKind::Regex { .. }
        | ValueKind::Array(_)
        | ValueKind::Set(_)
        | ValueKind::Object(_) => "object",
        ValueKind::Bool(_) => "boolean",
        ValueKind::Number(_) => "number",
        ValueKind::String(_) => "string",
        ValueKind::Function { .. } => "function",
        ValueKind::Env { .. } | ValueKind::Unknown { .. } => return None,
    })
}

/// `===` on primitives.
pub(super) fn strict_equals(a: &ValueKind, b: &ValueKind) -> Option<bool> {
    Some(match (a, b) {
        (ValueKind::Undefined, ValueKind::Undefined) | (ValueKind::Null, ValueKind::Null) => true,
        (ValueKind::Bool(x), ValueKind::Bool(y)) => x == y,
        (ValueKind::Number(x), ValueKind::Number(y)) => x == y,
        (ValueKind::String(x), ValueKind::String(y)) => x == y,
        // Two regex literals are distinct objects.
        (ValueKind::Regex { .. }, ValueKind::Regex { .. }) => false,
        _ if is_plain(a) && is_plain(b) => false,
        _ => return None,
    })
}

/// `==` on primitives (null/undefined equal each other; other mixes compare as numbers).
pub(super) fn loose_equals(a: &ValueKind, b: &ValueKind) -> Option<bool> {
    let nullish = |v: &ValueKind| matches!(v, ValueKind::Undefined | ValueKind::Null);
    if !is_plain(a) || !is_plain(b) {
        return None;
    }
    if nullish(a) || nullish(b) {
        return Some(nullish(a) && nullish(b));
    }
    match (a, b) {
        (ValueKind::String(x), ValueKind::String(y)) => Some(x == y),
        (ValueKind::Regex { .. }, _) | (_, ValueKind::Regex { .. }) => None,
        _ => Some(to_number(a)? == to_number(b)?),
    }
}

fn is_plain(v: &ValueKind) -> bool {
    matches!(
        v,
        ValueKind::Undefined
            | ValueKind::Null
            | ValueKind::Bool(_)
            | ValueKind::Number(_)
            | ValueKind::String(_)
            | ValueKind::Regex { .. }
    )
}

/// A binary operator on two known primitives. `None` when the result cannot be computed here
/// (`in`, `instanceof`, or an operand that is not a plain primitive).
pub(super) fn binary(op: BinaryOperator, a: &ValueKind, b: &ValueKind) -> Option<ValueKind> {
    use BinaryOperator as B;
    let num = |f: fn(f64, f64) -> f64| Some(ValueKind::Number(f(to_number(a)?, to_number(b)?)));
    let int = |f: fn(i32, i32) -> i32| {
        Some(ValueKind::Number(f64::from(f(
            to_int32(to_number(a)?),
            to_int32(to_number(b)?),
        ))))
    };
    let cmp = |f: fn(std::cmp::Ordering) -> bool| {
        Some(ValueKind::Bool(match (a, b) {
            (ValueKind::String(x), ValueKind::String(y)) => f(x.cmp(y)),
            _ => to_number(a)?.partial_cmp(&to_number(b)?).is_some_and(f),
        }))
    };
    if !is_plain(a) || !is_plain(b) {
        return None;
    }
    match op {
        B::Equality => loose_equals(a, b).map(ValueKind::Bool),
        B::Inequality => loose_equals(a, b).map(|e| ValueKind::Bool(!e)),
        B::StrictEquality => strict_equals(a, b).map(ValueKind::Bool),
        B::StrictInequality => strict_equals(a, b).map(|e| ValueKind::Bool(!e)),
        B::LessThan => cmp(|o| o.is_lt()),
        B::LessEqualThan => cmp(|o| o.is_le()),
        B::GreaterThan => cmp(|o| o.is_gt()),
        B::GreaterEqualThan => cmp(|o| o.is_ge()),
        B::Addition => {
            if matches!(a, ValueKind::String(_) | ValueKind::Regex { .. })
                || matches!(b, ValueKind::String(_) | ValueKind::Regex { .. })
            {
                let (x, y) = (to_string(a)?, to_string(b)?);
                if x.len() + y.len() > super::heap::MAX_STRING_BYTES {
                    return None; // beyond the evaluation budget: not known
                }
                Some(ValueKind::String(x + &y))
            } else {
                num(|x, y| x + y)
            }
        }
        B::Subtraction => num(|x, y| x - y),
        B::Multiplication => num(|x, y| x * y),
        B::Division => num(|x, y| x / y),
        B::Remainder => num(|x, y| x % y),
        B::Exponential => num(f64::powf),
        B::BitwiseOR => int(|x, y| x | y),
        B::BitwiseXOR => int(|x, y| x ^ y),
        B::BitwiseAnd => int(|x, y| x & y),
        B::ShiftLeft => int(|x, y| x.wrapping_shl(y as u32 & 31)),
        B::ShiftRight => int(|x, y| x.wrapping_shr(y as u32 & 31)),
        B::ShiftRightZeroFill => Some(ValueKind::Number(f64::from(
            (to_int32(to_number(a)?) as u32) >> (to_int32(to_number(b)?) as u32 & 31),
        ))),
        B::In | B::Instanceof => None,
    }
}

/// A unary operator on a known primitive (`typeof`, `delete` and `void` are handled by the caller).
pub(super) fn unary(op: UnaryOperator, v: &ValueKind) -> Option<ValueKind> {
    Some(match op {
        UnaryOperator::UnaryNegation => ValueKind::Number(-to_number(v)?),
        UnaryOperator::UnaryPlus => ValueKind::Number(to_number(v)?),
        UnaryOperator::LogicalNot => ValueKind::Bool(
            !crate::value::Value::new(v.clone(), crate::value::Provenance::synthetic(""))
                .truthy()?,
        ),
        UnaryOperator::BitwiseNot => ValueKind::Number(f64::from(!to_int32(to_number(v)?))),
        UnaryOperator::Typeof | UnaryOperator::Void | UnaryOperator::Delete => return None,
    })
}

fn to_int32(n: f64) -> i32 {
    if !n.is_finite() {
        return 0;
    }
    (n.trunc().rem_euclid(4_294_967_296.0) as u64 as u32) as i32
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(x: &str) -> ValueKind {
        ValueKind::String(x.into())
    }
    fn n(x: f64) -> ValueKind {
        ValueKind::Number(x)
    }

    #[test]
    fn arithmetic_and_concatenation() {
        assert_eq!(
            binary(BinaryOperator::Addition, &s("a_"), &n(1.0)),
            Some(s("a_1"))
        );
        assert_eq!(
            binary(BinaryOperator::Addition, &n(1.0), &n(2.0)),
            Some(n(3.0))
        );
        assert_eq!(
            binary(BinaryOperator::Multiplication, &n(1000.0), &n(60.0)),
            Some(n(60000.0))
        );
        assert_eq!(
            binary(BinaryOperator::Subtraction, &s("5"), &n(1.0)),
            Some(n(4.0))
        );
        assert_eq!(
            binary(BinaryOperator::Addition, &s("x"), &ValueKind::Undefined),
            Some(s("xundefined"))
        );
    }

    #[test]
    fn equality() {
        assert_eq!(
            binary(BinaryOperator::StrictEquality, &s("prod"), &s("prod")),
            Some(ValueKind::Bool(true))
        );
        assert_eq!(
            binary(BinaryOperator::StrictEquality, &s("1"), &n(1.0)),
            Some(ValueKind::Bool(false))
        );
        assert_eq!(
            binary(BinaryOperator::Equality, &s("1"), &n(1.0)),
            Some(ValueKind::Bool(true))
        );
        assert_eq!(
            binary(
                BinaryOperator::Equality,
                &ValueKind::Null,
                &ValueKind::Undefined
            ),
            Some(ValueKind::Bool(true))
        );
    }

    #[test]
    fn number_strings() {
        assert_eq!(number_to_string(86_400_000.0), "86400000");
        assert_eq!(number_to_string(1.5), "1.5");
        assert_eq!(number_to_string(-0.0), "0");
        assert_eq!(parse_int("7001", None), 7001.0);
        assert_eq!(parse_int("  42px", None), 42.0);
        assert_eq!(parse_int("0x1f", None), 31.0);
        assert!(parse_int("abc", None).is_nan());
        assert_eq!(parse_float("1.5e3x"), 1500.0);
        assert_eq!(to_number(&s(" 12 ")), Some(12.0));
        assert!(to_number(&s("12a")).unwrap().is_nan());
    }
}
