//! Why an action did not succeed, told so the caller can act: the input field at fault,
//! Kommo's own validation messages, or when the rate limit allows a retry.

use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use kommo::ValidationError;

/// How Kommo's names for things map back to the action's input.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Fields {
    /// For batch inputs: the input array whose items Kommo's `request_id`s index
    /// (`contacts` → `contacts[1].first_name`).
    pub(crate) items: Option<&'static str>,
    /// The input field that holds the entity id Kommo calls `id` (`company_id`, ...).
    pub(crate) id: Option<&'static str>,
    /// Kommo path prefixes and the input fields they stand for
    /// (`_embedded.statuses` → `statuses`).
    pub(crate) renames: &'static [(&'static str, &'static str)],
    /// The input fields a 404 may be about, when more than the `id` one (a status lives in a
    /// pipeline: either id may be unknown).
    pub(crate) lookup: Option<&'static str>,
}

impl Fields {
    pub(crate) const NONE: Fields = Fields {
        items: None,
        id: None,
        renames: &[],
        lookup: None,
    };

    pub(crate) const fn items(name: &'static str) -> Self {
        Fields {
            items: Some(name),
            ..Self::NONE
        }
    }

    pub(crate) const fn id(name: &'static str) -> Self {
        Fields {
            id: Some(name),
            ..Self::NONE
        }
    }

    /// A 404 names these input fields (e.g. "`pipeline_id` or `status_id`").
    pub(crate) const fn lookup(self, fields: &'static str) -> Self {
        Fields {
            lookup: Some(fields),
            ..self
        }
    }

    pub(crate) const fn renamed(self, renames: &'static [(&'static str, &'static str)]) -> Self {
        Fields { renames, ..self }
    }

    /// Kommo's `custom_fields_values.0.field_id` as the input path
    /// `custom_fields_values[0].field_id`, under the batch item it belongs to.
    fn input_path(&self, error: &ValidationError) -> String {
        let mut path = bracket_indexes(&error.path);
        if let (Some(id), "id") = (self.id, path.as_str()) {
            path = id.to_owned();
        }
        for (kommo, input) in self.renames {
            if let Some(rest) = path.strip_prefix(kommo)
                && (rest.is_empty() || rest.starts_with('.') || rest.starts_with('['))
            {
                path = format!("{input}{rest}");
                break;
            }
        }
        match (self.items, error.index) {
            (Some(items), Some(index)) if path.is_empty() => format!("{items}[{index}]"),
            (Some(items), Some(index)) => format!("{items}[{index}].{path}"),
            _ => path,
        }
    }
}

fn bracket_indexes(path: &str) -> String {
    let mut out = String::with_capacity(path.len() + 4);
    for segment in path.split('.').filter(|s| !s.is_empty()) {
        if segment.bytes().all(|b| b.is_ascii_digit()) {
            out.push('[');
            out.push_str(segment);
            out.push(']');
        } else {
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(segment);
        }
    }
    out
}

/// An action that did not run to the end. The message is the envelope's `error`.
#[derive(Debug)]
pub(crate) enum Failure {
    /// Kommo refused or failed the call.
    Kommo {
        error: Box<kommo::Error>,
        fields: Fields,
    },
    /// The entity the input names does not exist in the account.
    Missing {
        what: &'static str,
        id: i64,
        field: &'static str,
    },
    /// Kommo answered, but not as documented (e.g. an add without the new id).
    Unexpected { detail: String },
}

impl Failure {
    pub(crate) fn kommo(fields: Fields) -> impl FnOnce(kommo::Error) -> Failure {
        move |error| Failure::Kommo {
            error: Box::new(error),
            fields,
        }
    }

    pub(crate) fn missing(what: &'static str, id: i64, field: &'static str) -> Failure {
        Failure::Missing { what, id, field }
    }

    pub(crate) fn message(&self) -> String {
        match self {
            Failure::Missing { what, id, field } => {
                format!(
                    "no {what} with id {id} exists in this Kommo account (input field `{field}`)"
                )
            }
            Failure::Kommo { error, fields } => kommo_message(error, fields),
            Failure::Unexpected { detail } => format!("unexpected answer from Kommo: {detail}"),
        }
    }
}

fn kommo_message(error: &kommo::Error, fields: &Fields) -> String {
    use kommo::Error as E;
    match error {
        E::Validation {
            errors, applied, ..
        } => {
            let mut parts: Vec<String> = errors
                .iter()
                .map(|e| {
                    let field = fields.input_path(e);
                    let code = if e.code.is_empty() {
                        String::new()
                    } else {
                        format!(" ({})", e.code)
                    };
                    if field.is_empty() {
                        format!("{}{code}", e.detail)
                    } else {
                        format!("field `{field}`: {}{code}", e.detail)
                    }
                })
                .collect();
            if parts.is_empty() {
                parts.push("no field named".to_owned());
            }
            let mut text = format!("Kommo rejected the input: {}", parts.join("; "));
            if !applied.is_empty() {
                text.push_str(&format!(
                    "; {} item(s) sent before the rejected ones were written (indexes {:?})",
                    applied.len(),
                    applied.iter().map(|a| a.index).collect::<Vec<_>>()
                ));
            }
            text
        }
        E::PartiallyApplied { applied, source } => format!(
            "{}; {} item(s) were written before that (indexes {:?}), do not send them again",
            kommo_message(source, fields),
            applied.len(),
            applied.iter().map(|a| a.index).collect::<Vec<_>>()
        ),
        E::RateLimited {
            retry_after,
            attempts,
            ..
        } => {
            let wait = retry_after.unwrap_or(Duration::from_secs(1));
            format!(
                "Kommo's rate limit for this account was hit (HTTP 429, {attempts} attempt(s)): retry after {} (at {}); \
                 other integrations may share the account's request budget",
                seconds(wait),
                at(Utc::now() + wait)
            )
        }
        E::LockedOut { until } => {
            let wait = (*until - Utc::now()).to_std().unwrap_or_default();
            format!(
                "Kommo has blocked API access for this account after repeated rate-limit violations: retry after {} \
                 (at {}); if the block persists, contact Kommo support",
                seconds(wait),
                at(*until)
            )
        }
        E::NotFound { detail, .. } => match (fields.lookup, fields.id) {
            (Some(lookup), _) => format!(
                "Kommo found nothing with the ids given in input fields {lookup} ({detail})"
            ),
            (None, Some(field)) => {
                format!("Kommo found nothing with the id given in input field `{field}` ({detail})")
            }
            (None, None) => format!("Kommo found nothing there ({detail})"),
        },
        E::BadRequest { status, detail, .. } => {
            format!("Kommo rejected the request (HTTP {status}): {detail}")
        }
        // Every other error's text already says what happened and what to do, and carries no
        // token: the client never puts one in a message.
        other => other.to_string(),
    }
}

fn seconds(wait: Duration) -> String {
    let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    format!("{} second{}", secs.max(1), if secs > 1 { "s" } else { "" })
}

fn at(time: DateTime<Utc>) -> String {
    time.to_rfc3339_opts(SecondsFormat::Secs, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_errors_point_at_input_fields() {
        let error = kommo::Error::Validation {
            endpoint: "POST /api/v4/contacts".into(),
            errors: vec![ValidationError {
                index: Some(1),
                request_id: "1".into(),
                path: "custom_fields_values.0.field_id".into(),
                code: "NotSupportedChoice".into(),
                detail: "The value you selected is not a valid choice.".into(),
            }],
            applied: vec![],
        };
        let text = Failure::kommo(Fields::items("contacts"))(error).message();
        assert_eq!(
            text,
            "Kommo rejected the input: field `contacts[1].custom_fields_values[0].field_id`: The value you selected is \
             not a valid choice. (NotSupportedChoice)"
        );
    }

    #[test]
    fn kommo_id_is_renamed_to_the_input_field() {
        let error = kommo::Error::Validation {
            endpoint: "PATCH /api/v4/companies".into(),
            errors: vec![ValidationError {
                index: Some(0),
                request_id: "0".into(),
                path: "id".into(),
                code: "NotFound".into(),
                detail: "Company not found".into(),
            }],
            applied: vec![],
        };
        let text = Failure::kommo(Fields::id("company_id"))(error).message();
        assert!(
            text.contains("field `company_id`: Company not found"),
            "{text}"
        );
    }

    #[test]
    fn rate_limit_says_when_to_retry() {
        let error = kommo::Error::RateLimited {
            endpoint: "GET /api/v4/leads".into(),
            attempts: 1,
            retry_after: Some(Duration::from_millis(1500)),
        };
        let text = Failure::kommo(Fields::NONE)(error).message();
        assert!(text.contains("rate limit"), "{text}");
        assert!(text.contains("retry after 2 seconds (at "), "{text}");
    }

    #[test]
    fn embedded_paths_become_input_fields() {
        let error = kommo::Error::Validation {
            endpoint: "POST /api/v4/leads/pipelines".into(),
            errors: vec![ValidationError {
                index: Some(0),
                request_id: "0".into(),
                path: "_embedded.statuses.1.color".into(),
                code: "NotSupportedChoice".into(),
                detail: "The value you selected is not a valid choice.".into(),
            }],
            applied: vec![],
        };
        let text =
            Failure::kommo(Fields::NONE.renamed(&[("_embedded.statuses", "statuses")]))(error)
                .message();
        assert!(text.contains("field `statuses[1].color`"), "{text}");
    }

    #[test]
    fn missing_names_the_field() {
        assert_eq!(
            Failure::missing("lead", 9, "id").message(),
            "no lead with id 9 exists in this Kommo account (input field `id`)"
        );
    }
}
