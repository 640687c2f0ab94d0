//! Cron schedules: 5-field expressions, or 6 with seconds first (`croner`),
//! and their next tick in a time zone.

use chrono::{DateTime, Utc};
use croner::Cron;
use croner::parser::{CronParser, Seconds};

/// A cron expression that does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid cron expression `{expr}`: {reason}")]
pub struct ScheduleError {
    /// The expression.
    pub expr: String,
    /// What is wrong with it.
    pub reason: String,
}

/// Parses a schedule; the error says what is wrong with it.
pub fn parse_schedule(expr: &str) -> Result<Cron, ScheduleError> {
    CronParser::builder()
        .seconds(Seconds::Optional)
        .build()
        .parse(expr)
        .map_err(|e| ScheduleError {
            expr: expr.to_string(),
            reason: e.to_string(),
        })
}

/// The first tick of `cron` strictly after `after`, in time zone `tz`.
pub fn next_after(cron: &Cron, tz: chrono_tz::Tz, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let local = after.with_timezone(&tz);
    cron.find_next_occurrence(&local, false)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn five_and_six_fields() {
        assert!(parse_schedule("*/5 * * * *").is_ok());
        assert!(parse_schedule("* * * * * *").is_ok());
        assert!(parse_schedule("61 * * * *").is_err());
        assert!(parse_schedule("every minute").is_err());
    }

    #[test]
    fn next_ticks_respect_time_zones() {
        let cron = parse_schedule("0 9 * * *").unwrap();
        let at = Utc.with_ymd_and_hms(2026, 1, 15, 12, 0, 0).unwrap();
        let utc = next_after(&cron, chrono_tz::UTC, at).unwrap();
        assert_eq!(utc, Utc.with_ymd_and_hms(2026, 1, 16, 9, 0, 0).unwrap());
        let paris = next_after(&cron, chrono_tz::Europe::Paris, at).unwrap();
        assert_eq!(paris, Utc.with_ymd_and_hms(2026, 1, 16, 8, 0, 0).unwrap());
    }
}
