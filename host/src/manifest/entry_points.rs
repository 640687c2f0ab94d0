//! The checks of a plugin's entry points other than hooks: its `[[routes]]`
//! (valid paths, handler names, no two routes a request could match alike)
//! and its `[[cron]]` jobs (schedules, time zones, at most [`MAX_CRON_JOBS`]).

use super::Manifest;
use super::validate::{ErrAt, Report, check_handler};
use std::collections::HashSet;

pub(super) fn check_routes(m: &Manifest, r: &mut Report, err: &mut ErrAt<'_>) {
    let mut seen = std::collections::HashMap::new();
    for route in &m.routes {
        let path = route.path.get_ref();
        let pattern = match crate::routes::RoutePattern::parse(path) {
            Ok(p) => p,
            Err(e) => {
                r.errors
                    .push(err(route.path.span(), "routes.path", e.to_string()));
                continue;
            }
        };
        if let Some(other) = seen.insert((route.method, pattern.shape()), path.clone()) {
            let msg = if other == *path {
                format!("route {:?} {path} is declared twice", route.method)
            } else {
                format!(
                    "route {:?} {path} conflicts with route {:?} {other}: a request could match either",
                    route.method, route.method
                )
            };
            r.errors.push(err(route.path.span(), "routes.path", msg));
        }
        if let Err(msg) = check_handler(&route.handler) {
            r.errors.push(err(route.path.span(), "routes.handler", msg));
        }
    }
    // Routes the router cannot tell apart (a request could match either).
    if r.errors.is_empty()
        && let Err(conflict) = crate::routes::RouteTable::build(
            m.routes
                .iter()
                .map(|r| (r.method, r.path.get_ref().as_str())),
        )
    {
        let span = m.routes[conflict.index].path.span();
        r.errors.push(err(span, "routes.path", conflict.reason));
    }
}

/// Most `[[cron]]` jobs one plugin may declare.
pub const MAX_CRON_JOBS: usize = 16;

pub(super) fn check_cron(m: &Manifest, r: &mut Report, err: &mut ErrAt<'_>) {
    let mut names = HashSet::new();
    if let Some(job) = m.cron.get(MAX_CRON_JOBS) {
        r.errors.push(err(
            job.schedule.span(),
            "cron",
            format!(
                "{} cron jobs; a plugin may declare at most {MAX_CRON_JOBS} (one job can do several things)",
                m.cron.len()
            ),
        ));
    }
    for job in &m.cron {
        if !names.insert(job.name.as_str()) {
            r.errors.push(err(
                job.schedule.span(),
                "cron.name",
                format!("cron job `{}` is declared twice", job.name),
            ));
        }
        if let Err(e) = super::schedule::parse_schedule(job.schedule.get_ref()) {
            r.errors.push(
                err(job.schedule.span(), "cron.schedule", e.to_string())
                    .with_help("5 fields `min hour day month weekday`, or 6 with seconds first"),
            );
        }
        if let Err(msg) = check_handler(&job.handler) {
            r.errors.push(err(job.schedule.span(), "cron.handler", msg));
        }
        if let Some(tz) = &job.timezone
            && tz.get_ref().parse::<chrono_tz::Tz>().is_err()
        {
            r.errors.push(
                err(
                    tz.span(),
                    "cron.timezone",
                    format!("unknown time zone `{}`", tz.get_ref()),
                )
                .with_help(
                    "use an IANA name such as \"UTC\", \"Europe/Paris\" or \"America/New_York\"",
                ),
            );
        }
    }
}
