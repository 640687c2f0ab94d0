//! PostgreSQL's binary NUMERIC, to and from decimal text.

use serde_json::Value;

/// PostgreSQL's binary NUMERIC (base-10000 digits) as a JSON number when it
/// parses as one, else as its decimal text.
pub fn numeric(raw: &[u8]) -> Result<Value, Box<dyn std::error::Error + Sync + Send>> {
    let word = |i: usize| -> Result<u16, Box<dyn std::error::Error + Sync + Send>> {
        raw.get(i..i + 2)
            .map(|b| u16::from_be_bytes([b[0], b[1]]))
            .ok_or_else(|| "truncated numeric".into())
    };
    let (ndigits, weight, sign, dscale) = (word(0)?, word(2)? as i16, word(4)?, word(6)?);
    if sign == 0xC000 {
        return Ok(Value::String("NaN".into()));
    }
    let digits: Vec<u16> = (0..ndigits as usize)
        .map(|k| word(8 + 2 * k))
        .collect::<Result<_, _>>()?;
    let mut int = String::new();
    for k in 0..=weight.max(-1) {
        let d = digits.get(k as usize).copied().unwrap_or(0);
        if int.is_empty() {
            int = d.to_string();
        } else {
            int.push_str(&format!("{d:04}"));
        }
    }
    if int.is_empty() {
        int.push('0');
    }
    let mut frac = String::new();
    let mut k = weight + 1;
    while frac.len() < dscale as usize {
        let d = if k < 0 {
            0
        } else {
            digits.get(k as usize).copied().unwrap_or(0)
        };
        frac.push_str(&format!("{d:04}"));
        k += 1;
    }
    frac.truncate(dscale as usize);
    let text = format!(
        "{}{int}{}{frac}",
        if sign == 0x4000 { "-" } else { "" },
        if frac.is_empty() { "" } else { "." }
    );
    Ok(match serde_json::from_str::<serde_json::Number>(&text) {
        Ok(n) if text.len() <= 17 => Value::Number(n),
        _ => Value::String(text),
    })
}

/// A decimal text (`-12.5`) as PostgreSQL's binary NUMERIC: base-10000
/// digits, the weight of the first, the sign and the decimal scale.
pub fn numeric_bytes(text: &str) -> Option<Vec<u8>> {
    let (negative, unsigned) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (int, frac) = unsigned.split_once('.').unwrap_or((unsigned, ""));
    if int.is_empty() && frac.is_empty()
        || !int.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let int = int.trim_start_matches('0');
    // Base-10000 groups: the integer part aligned on the point from the
    // right, the fraction from the left.
    let pad = (4 - int.len() % 4) % 4;
    let int = format!("{}{int}", "0".repeat(pad));
    let frac_padded = format!("{frac}{}", "0".repeat((4 - frac.len() % 4) % 4));
    let group = |s: &str| -> Vec<u16> {
        s.as_bytes()
            .chunks(4)
            .map(|c| {
                std::str::from_utf8(c)
                    .ok()
                    .and_then(|x| x.parse().ok())
                    .unwrap_or(0)
            })
            .collect()
    };
    let mut digits = group(&int);
    let mut weight = digits.len() as i16 - 1;
    digits.extend(group(&frac_padded));
    // No leading or trailing zero groups.
    while digits.first() == Some(&0) {
        digits.remove(0);
        weight -= 1;
    }
    while digits.last() == Some(&0) {
        digits.pop();
    }
    if digits.is_empty() {
        weight = 0;
    }
    let sign: u16 = if negative && !digits.is_empty() {
        0x4000
    } else {
        0
    };
    let mut out = Vec::with_capacity(8 + 2 * digits.len());
    for w in [digits.len() as u16, weight as u16, sign, frac.len() as u16] {
        out.extend_from_slice(&w.to_be_bytes());
    }
    for d in digits {
        out.extend_from_slice(&d.to_be_bytes());
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numerics_decode_exactly() {
        // 12345.678: ndigits 3, weight 1, sign +, dscale 3, digits 1 2345 6780.
        let raw: Vec<u8> = [3u16, 1, 0, 3, 1, 2345, 6780]
            .iter()
            .flat_map(|w| w.to_be_bytes())
            .collect();
        assert_eq!(numeric(&raw).unwrap(), serde_json::json!(12345.678));
        // -0.05: ndigits 1, weight -1, sign -, dscale 2, digit 500.
        let raw: Vec<u8> = [1u16, 0xFFFF, 0x4000, 2, 500]
            .iter()
            .flat_map(|w| w.to_be_bytes())
            .collect();
        assert_eq!(numeric(&raw).unwrap(), serde_json::json!(-0.05));
    }

    #[test]
    fn numerics_encode_and_decode_back() {
        for text in ["12.5", "-0.05", "0", "10000", "123456789.000123", "0.0001"] {
            let bytes = numeric_bytes(text).unwrap();
            let back = numeric(&bytes).unwrap();
            let expected: serde_json::Value = serde_json::from_str(text).unwrap();
            assert_eq!(back.as_f64(), expected.as_f64(), "{text}");
        }
        assert!(numeric_bytes("1e5").is_none());
    }
}
