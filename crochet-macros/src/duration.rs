//! Readable durations (`"250ms"`, `"1.5s"`, `"2m"`, `"1m30s"`), parsed when
//! the macro expands so that a typo is a compile error, not a panic at run
//! time.

/// The units a duration may use, longest spelling first within a prefix
/// (`ms` before `m`), with their length in nanoseconds.
const UNITS: &[(&str, u128)] = &[
    ("h", 3_600_000_000_000),
    ("ms", 1_000_000),
    ("m", 60_000_000_000),
    ("s", 1_000_000_000),
    ("us", 1_000),
    ("µs", 1_000),
    ("ns", 1),
];

/// What the error messages show as the accepted forms.
pub(crate) const ACCEPTED: &str = "a number and a unit, like \"250ms\", \"1.5s\", \"2m\" or \
     \"1m30s\" (units: h, m, s, ms, us, ns)";

/// A parsed duration, as the arguments of `Duration::new`.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Parsed {
    pub(crate) secs: u64,
    pub(crate) nanos: u32,
}

/// Parses one or more `<number><unit>` groups, units from the largest to the
/// smallest, each at most once; the number may have a decimal fraction.
///
/// The error says what is wrong, for a compile error that also lists the
/// accepted forms.
pub(crate) fn parse(text: &str) -> Result<Parsed, String> {
    if text.is_empty() {
        return Err("the duration is empty".to_owned());
    }
    let mut rest = text;
    let mut total: u128 = 0;
    // The length of the previous group's unit: each next unit must be smaller.
    let mut previous_unit = u128::MAX;
    while !rest.is_empty() {
        let number_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let (number, after) = rest.split_at(number_len);
        if number.is_empty() {
            return Err(format!("expected a number at `{rest}`"));
        }
        let unit_len = after
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(after.len());
        let (unit, after) = after.split_at(unit_len);
        let Some(&(_, unit_nanos)) = UNITS.iter().find(|(name, _)| *name == unit) else {
            return Err(if unit.is_empty() {
                format!("`{number}` has no unit")
            } else {
                format!("`{unit}` is not a unit")
            });
        };
        if unit_nanos >= previous_unit {
            return Err(format!(
                "`{unit}` comes after a unit that is not larger; write units from the largest \
                 to the smallest, each once"
            ));
        }
        previous_unit = unit_nanos;
        total = total
            .checked_add(group_nanos(number, unit_nanos)?)
            .ok_or_else(too_long)?;
        rest = after;
    }
    let secs = u64::try_from(total / 1_000_000_000).map_err(|_| too_long())?;
    let nanos = u32::try_from(total % 1_000_000_000).expect("a remainder below 10^9 fits a u32");
    Ok(Parsed { secs, nanos })
}

/// The nanoseconds of `number` (digits, maybe with one decimal point) times a
/// unit of `unit_nanos`, which must come out as a whole number.
fn group_nanos(number: &str, unit_nanos: u128) -> Result<u128, String> {
    let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
    if whole.is_empty() || (number.contains('.') && fraction.is_empty()) {
        return Err(format!(
            "`{number}` is not a number: write digits on both sides of a `.`"
        ));
    }
    if fraction.contains('.') {
        return Err(format!("`{number}` is not a number: it has two `.`"));
    }
    let whole: u128 = whole.parse().map_err(|_| too_long())?;
    let mut nanos = whole.checked_mul(unit_nanos).ok_or_else(too_long)?;
    if !fraction.is_empty() {
        // More fractional digits than a nanosecond can resolve in any unit
        // would be finer than a nanosecond anyway.
        if fraction.len() > 18 {
            return Err(format!("`{number}` is finer than a nanosecond"));
        }
        let scale = 10u128.pow(fraction.len() as u32);
        let digits: u128 = fraction.parse().expect("the fraction is ASCII digits");
        let scaled = digits * unit_nanos;
        if scaled % scale != 0 {
            return Err(format!(
                "`{number}` is finer than a nanosecond in this unit"
            ));
        }
        nanos = nanos.checked_add(scaled / scale).ok_or_else(too_long)?;
    }
    Ok(nanos)
}

fn too_long() -> String {
    "the duration is too long for a `Duration`".to_owned()
}

#[cfg(test)]
mod tests {
    use super::{parse, Parsed};

    fn ok(text: &str) -> (u64, u32) {
        let Parsed { secs, nanos } = parse(text).unwrap();
        (secs, nanos)
    }

    #[test]
    fn single_units() {
        assert_eq!(ok("250ms"), (0, 250_000_000));
        assert_eq!(ok("1s"), (1, 0));
        assert_eq!(ok("2m"), (120, 0));
        assert_eq!(ok("1h"), (3600, 0));
        assert_eq!(ok("100us"), (0, 100_000));
        assert_eq!(ok("100µs"), (0, 100_000));
        assert_eq!(ok("7ns"), (0, 7));
        assert_eq!(ok("0s"), (0, 0));
    }

    #[test]
    fn fractions_and_groups() {
        assert_eq!(ok("1.5s"), (1, 500_000_000));
        assert_eq!(ok("0.25m"), (15, 0));
        assert_eq!(ok("1m30s"), (90, 0));
        assert_eq!(ok("1h2m3s4ms"), (3723, 4_000_000));
        assert_eq!(ok("1.000000001s"), (1, 1));
    }

    #[test]
    fn the_largest_duration_fits_and_one_more_does_not() {
        assert_eq!(ok(&format!("{}s", u64::MAX)), (u64::MAX, 0));
        assert!(parse(&format!("{}s1ns", u64::MAX)).is_ok());
        assert!(parse(&format!("{}0s", u64::MAX)).is_err());
        assert!(parse("99999999999999999999999999999999999999999h").is_err());
    }

    #[test]
    fn malformed() {
        for text in [
            "", "1", "s", "1 s", "1sec", "1.s", ".5s", "1.2.3s", "1.5ns", "1s1m", "1s1s", "-1s",
            "1s ", "1e3ms",
        ] {
            assert!(parse(text).is_err(), "{text:?} parsed");
        }
    }
}
