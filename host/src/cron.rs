//! Cron schedules: 5-field expressions (`min hour day month weekday`) or 6
//! with seconds first, parsed by `croner`.

use croner::Cron;
use croner::parser::{CronParser, Seconds};

/// Parses a schedule; the error says what is wrong with it.
pub fn parse_schedule(expr: &str) -> Result<Cron, String> {
    CronParser::builder()
        .seconds(Seconds::Optional)
        .build()
        .parse(expr)
        .map_err(|e| format!("invalid cron expression `{expr}`: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn five_and_six_fields() {
        assert!(parse_schedule("*/5 * * * *").is_ok());
        assert!(parse_schedule("* * * * * *").is_ok());
        assert!(parse_schedule("61 * * * *").is_err());
        assert!(parse_schedule("every minute").is_err());
    }
}
