//! List parameters in Kommo's query syntax: `page`, `limit`, `with`, `query`, `order[...]`,
//! `filter[...]`.
//!
//! One type describes a list request from both ends: the client builds it and renders it
//! with [`ListQuery::to_pairs`]; the simulator parses what arrives with
//! [`ListQuery::from_pairs`]. Arrays use PHP's indexed form (`filter[id][0]=1`), which is
//! what `http_build_query` sends; `filter[id][]=1` and a comma list (`filter[id]=1,2`)
//! are read as well.

use std::fmt;

/// Kommo's largest page.
pub const MAX_LIMIT: u32 = 250;
/// The page size Kommo uses when `limit` is absent.
pub const DEFAULT_LIMIT: u32 = 50;

/// Sort direction of `order[field]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Asc,
    Desc,
}

impl Direction {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Asc => "asc",
            Self::Desc => "desc",
        }
    }
}

/// `order[field]=direction`; Kommo sorts by one field (`created_at`, `updated_at`, `id`, ...).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Order {
    pub field: String,
    pub direction: Direction,
}

/// An inclusive range of Unix timestamps or numbers; either end may be open.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Range {
    pub from: Option<i64>,
    pub to: Option<i64>,
}

impl Range {
    pub fn contains(&self, value: i64) -> bool {
        self.from.is_none_or(|from| value >= from) && self.to.is_none_or(|to| value <= to)
    }
}

/// One `filter[statuses][i]` item: a status within a pipeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatusFilter {
    pub pipeline_id: i64,
    pub status_id: i64,
}

/// Every filter Kommo's list endpoints accept; each endpoint reads the ones it knows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    pub id: Vec<i64>,
    pub name: Vec<String>,
    pub price: Option<Range>,
    pub statuses: Vec<StatusFilter>,
    pub pipeline_id: Vec<i64>,
    pub created_by: Vec<i64>,
    pub updated_by: Vec<i64>,
    pub responsible_user_id: Vec<i64>,
    pub created_at: Option<Range>,
    pub updated_at: Option<Range>,
    pub closed_at: Option<Range>,
    pub closest_task_at: Option<Range>,
    /// Tasks: `filter[is_completed]=0|1`.
    pub is_completed: Option<bool>,
    /// Tasks: `filter[task_type]` (also read from `filter[task_type_id]`).
    pub task_type: Vec<i64>,
    /// Tasks: `filter[entity_type]`; events: `filter[entity]` (`lead`, `contact`, ...).
    pub entity_type: Vec<String>,
    /// Tasks and events: `filter[entity_id]`.
    pub entity_id: Vec<i64>,
    /// Events: `filter[type]`.
    pub event_type: Vec<String>,
    /// Sources: `filter[external_id]`.
    pub external_id: Vec<String>,
    /// Filters this type does not model (custom field values, `value_after`, ...), kept as
    /// `(path after "filter", value)` so nothing is silently lost.
    pub other: Vec<(String, String)>,
}

/// A list request's parameters.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListQuery {
    pub page: Option<u32>,
    pub limit: Option<u32>,
    pub with: Vec<String>,
    pub query: Option<String>,
    pub order: Option<Order>,
    pub filter: Filter,
}

/// A query parameter that could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryError {
    /// The parameter as sent, e.g. `filter[updated_at][from]`.
    pub parameter: String,
    /// What was expected there.
    pub expected: &'static str,
    pub value: String,
}

impl fmt::Display for QueryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} must be {}, got {:?}",
            self.parameter, self.expected, self.value
        )
    }
}

impl std::error::Error for QueryError {}

impl ListQuery {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn page(mut self, page: u32) -> Self {
        self.page = Some(page);
        self
    }

    pub fn limit(mut self, limit: u32) -> Self {
        self.limit = Some(limit);
        self
    }

    /// Adds `with` values (`contacts`, `loss_reason`, `only_deleted`, `role`, ...).
    pub fn with<I, S>(mut self, values: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.with.extend(values.into_iter().map(Into::into));
        self
    }

    pub fn search(mut self, query: impl Into<String>) -> Self {
        self.query = Some(query.into());
        self
    }

    pub fn order(mut self, field: impl Into<String>, direction: Direction) -> Self {
        self.order = Some(Order {
            field: field.into(),
            direction,
        });
        self
    }

    /// Changes the filters in place: `ListQuery::new().filter(|f| f.id = vec![1, 2])`.
    pub fn filter(mut self, edit: impl FnOnce(&mut Filter)) -> Self {
        edit(&mut self.filter);
        self
    }

    pub fn updated_since(self, from: i64) -> Self {
        self.filter(|f| {
            f.updated_at = Some(Range {
                from: Some(from),
                to: None,
            })
        })
    }

    /// Whether `with` includes `value`.
    pub fn has_with(&self, value: &str) -> bool {
        self.with.iter().any(|w| w == value)
    }

    /// The query in Kommo's syntax, in a stable order.
    pub fn to_pairs(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        if let Some(page) = self.page {
            out.push(("page".to_owned(), page.to_string()));
        }
        if let Some(limit) = self.limit {
            out.push(("limit".to_owned(), limit.to_string()));
        }
        if !self.with.is_empty() {
            out.push(("with".to_owned(), self.with.join(",")));
        }
        if let Some(query) = &self.query {
            out.push(("query".to_owned(), query.clone()));
        }
        if let Some(order) = &self.order {
            out.push((
                format!("order[{}]", order.field),
                order.direction.as_str().to_owned(),
            ));
        }
        let f = &self.filter;
        push_list(&mut out, "id", &f.id);
        push_list(&mut out, "name", &f.name);
        push_range(&mut out, "price", f.price);
        for (i, s) in f.statuses.iter().enumerate() {
            out.push((
                format!("filter[statuses][{i}][pipeline_id]"),
                s.pipeline_id.to_string(),
            ));
            out.push((
                format!("filter[statuses][{i}][status_id]"),
                s.status_id.to_string(),
            ));
        }
        push_list(&mut out, "pipeline_id", &f.pipeline_id);
        push_list(&mut out, "created_by", &f.created_by);
        push_list(&mut out, "updated_by", &f.updated_by);
        push_list(&mut out, "responsible_user_id", &f.responsible_user_id);
        push_range(&mut out, "created_at", f.created_at);
        push_range(&mut out, "updated_at", f.updated_at);
        push_range(&mut out, "closed_at", f.closed_at);
        push_range(&mut out, "closest_task_at", f.closest_task_at);
        if let Some(done) = f.is_completed {
            out.push((
                "filter[is_completed]".to_owned(),
                u8::from(done).to_string(),
            ));
        }
        push_list(&mut out, "task_type", &f.task_type);
        push_list(&mut out, "entity_type", &f.entity_type);
        push_list(&mut out, "entity_id", &f.entity_id);
        push_list(&mut out, "type", &f.event_type);
        push_list(&mut out, "external_id", &f.external_id);
        for (path, value) in &f.other {
            out.push((format!("filter{path}"), value.clone()));
        }
        out
    }

    /// Reads decoded query pairs. Unknown top-level parameters are ignored, as Kommo does;
    /// a malformed value of a known one is an error naming it.
    pub fn from_pairs<K, V>(pairs: impl IntoIterator<Item = (K, V)>) -> Result<Self, QueryError>
    where
        K: AsRef<str>,
        V: AsRef<str>,
    {
        let mut q = Self::default();
        for (key, value) in pairs {
            let (key, value) = (key.as_ref(), value.as_ref());
            let path = split_brackets(key);
            match path.as_slice() {
                ["page"] => q.page = Some(parse_num(key, value, "a positive integer")?),
                ["limit"] => q.limit = Some(parse_num(key, value, "a positive integer")?),
                ["with"] => q.with.extend(split_commas(value)),
                ["with", _] => q.with.extend(split_commas(value)),
                ["query"] => q.query = Some(value.to_owned()).filter(|v| !v.is_empty()),
                ["order", field] => {
                    let direction = match value.to_ascii_lowercase().as_str() {
                        "asc" => Direction::Asc,
                        "desc" => Direction::Desc,
                        _ => return Err(err(key, "asc or desc", value)),
                    };
                    q.order = Some(Order {
                        field: (*field).to_owned(),
                        direction,
                    });
                }
                ["filter", rest @ ..] => q.filter.read(key, rest, value)?,
                _ => {}
            }
        }
        Ok(q)
    }
}

impl Filter {
    fn read(&mut self, key: &str, path: &[&str], value: &str) -> Result<(), QueryError> {
        // `filter[x]`, `filter[x][]`, `filter[x][3]` all mean "one more value of x".
        let is_item = |rest: &[&str]| {
            rest.is_empty()
                || rest.len() == 1 && (rest[0].is_empty() || rest[0].parse::<u32>().is_ok())
        };
        match path {
            ["id", rest @ ..] if is_item(rest) => extend_ints(&mut self.id, key, value)?,
            ["name", rest @ ..] if is_item(rest) => self.name.push(value.to_owned()),
            ["price", rest @ ..] => read_range(&mut self.price, key, rest, value, true)?,
            ["statuses", index, field] => {
                let index: usize = index.parse().map_err(|_| err(key, "an index", index))?;
                let id: i64 = parse_num(key, value, "an integer id")?;
                while self.statuses.len() <= index {
                    self.statuses.push(StatusFilter {
                        pipeline_id: 0,
                        status_id: 0,
                    });
                }
                match *field {
                    "pipeline_id" => self.statuses[index].pipeline_id = id,
                    "status_id" => self.statuses[index].status_id = id,
                    _ => return Err(err(key, "pipeline_id or status_id", field)),
                }
            }
            ["pipeline_id", rest @ ..] if is_item(rest) => {
                extend_ints(&mut self.pipeline_id, key, value)?
            }
            ["created_by", rest @ ..] if is_item(rest) => {
                extend_ints(&mut self.created_by, key, value)?
            }
            ["updated_by", rest @ ..] if is_item(rest) => {
                extend_ints(&mut self.updated_by, key, value)?
            }
            ["responsible_user_id", rest @ ..] if is_item(rest) => {
                extend_ints(&mut self.responsible_user_id, key, value)?
            }
            ["created_at", rest @ ..] => read_range(&mut self.created_at, key, rest, value, false)?,
            ["updated_at", rest @ ..] => read_range(&mut self.updated_at, key, rest, value, false)?,
            ["closed_at", rest @ ..] => read_range(&mut self.closed_at, key, rest, value, false)?,
            ["closest_task_at", rest @ ..] => {
                read_range(&mut self.closest_task_at, key, rest, value, false)?
            }
            ["is_completed"] => {
                self.is_completed = Some(match value {
                    "1" | "true" => true,
                    "0" | "false" => false,
                    _ => return Err(err(key, "0 or 1", value)),
                })
            }
            ["task_type" | "task_type_id", rest @ ..] if is_item(rest) => {
                extend_ints(&mut self.task_type, key, value)?
            }
            ["entity_type" | "entity", rest @ ..] if is_item(rest) => {
                self.entity_type.extend(split_commas(value))
            }
            ["entity_id", rest @ ..] if is_item(rest) => {
                extend_ints(&mut self.entity_id, key, value)?
            }
            ["type", rest @ ..] if is_item(rest) => self.event_type.extend(split_commas(value)),
            ["external_id", rest @ ..] if is_item(rest) => self.external_id.push(value.to_owned()),
            _ => {
                let mut rendered = String::new();
                for segment in path {
                    rendered.push('[');
                    rendered.push_str(segment);
                    rendered.push(']');
                }
                self.other.push((rendered, value.to_owned()));
            }
        }
        Ok(())
    }
}

fn err(parameter: &str, expected: &'static str, value: &str) -> QueryError {
    QueryError {
        parameter: parameter.to_owned(),
        expected,
        value: value.to_owned(),
    }
}

fn parse_num<T: std::str::FromStr>(
    key: &str,
    value: &str,
    expected: &'static str,
) -> Result<T, QueryError> {
    value.trim().parse().map_err(|_| err(key, expected, value))
}

fn split_commas(value: &str) -> impl Iterator<Item = String> + '_ {
    value
        .split(',')
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
}

fn extend_ints(into: &mut Vec<i64>, key: &str, value: &str) -> Result<(), QueryError> {
    for item in value.split(',').map(str::trim).filter(|v| !v.is_empty()) {
        into.push(parse_num(
            key,
            item,
            "an integer or a comma-separated list of integers",
        )?);
    }
    Ok(())
}

/// `filter[x][from]`, `filter[x][to]`, or a bare `filter[x]=v`: "from v" for timestamps
/// (Kommo's "after"), "exactly v" for numbers such as `price`.
fn read_range(
    into: &mut Option<Range>,
    key: &str,
    rest: &[&str],
    value: &str,
    bare_is_exact: bool,
) -> Result<(), QueryError> {
    let range = into.get_or_insert_with(Range::default);
    let number: i64 = parse_num(key, value, "an integer (Unix seconds for dates)")?;
    match rest {
        ["from"] => range.from = Some(number),
        ["to"] => range.to = Some(number),
        [] => {
            range.from = Some(number);
            if bare_is_exact {
                range.to = Some(number);
            }
        }
        _ => return Err(err(key, "[from] or [to]", value)),
    }
    Ok(())
}

fn push_list<T: ToString>(out: &mut Vec<(String, String)>, name: &str, values: &[T]) {
    for (i, value) in values.iter().enumerate() {
        out.push((format!("filter[{name}][{i}]"), value.to_string()));
    }
}

fn push_range(out: &mut Vec<(String, String)>, name: &str, range: Option<Range>) {
    if let Some(range) = range {
        if let Some(from) = range.from {
            out.push((format!("filter[{name}][from]"), from.to_string()));
        }
        if let Some(to) = range.to {
            out.push((format!("filter[{name}][to]"), to.to_string()));
        }
    }
}

/// `filter[statuses][0][pipeline_id]` → `["filter", "statuses", "0", "pipeline_id"]`.
fn split_brackets(key: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let (head, mut rest) = match key.find('[') {
        Some(at) => (&key[..at], &key[at..]),
        None => return vec![key],
    };
    parts.push(head);
    while let Some(stripped) = rest.strip_prefix('[') {
        match stripped.find(']') {
            Some(end) => {
                parts.push(&stripped[..end]);
                rest = &stripped[end + 1..];
            }
            None => {
                parts.push(stripped);
                break;
            }
        }
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_and_reads_back_every_filter() {
        let query = ListQuery::new()
            .page(3)
            .limit(250)
            .with(["contacts", "loss_reason"])
            .search("Maria")
            .order("updated_at", Direction::Asc)
            .filter(|f| {
                f.id = vec![1, 2];
                f.name = vec!["Deal, big".into()];
                f.price = Some(Range {
                    from: Some(10),
                    to: Some(20),
                });
                f.statuses = vec![
                    StatusFilter {
                        pipeline_id: 7,
                        status_id: 142,
                    },
                    StatusFilter {
                        pipeline_id: 8,
                        status_id: 143,
                    },
                ];
                f.pipeline_id = vec![7];
                f.responsible_user_id = vec![5, 6];
                f.updated_at = Some(Range {
                    from: Some(1_700_000_000),
                    to: None,
                });
                f.is_completed = Some(false);
                f.event_type = vec!["lead_added".into()];
                f.other = vec![("[custom_fields_values][12][0]".into(), "x".into())];
            });
        let pairs = query.to_pairs();
        assert!(pairs.contains(&("filter[statuses][1][status_id]".into(), "143".into())));
        assert!(pairs.contains(&("order[updated_at]".into(), "asc".into())));
        assert_eq!(ListQuery::from_pairs(pairs).unwrap(), query);
    }

    #[test]
    fn reads_php_and_comma_array_forms() {
        let q = ListQuery::from_pairs([
            ("filter[id][]", "1"),
            ("filter[id][]", "2"),
            ("filter[pipeline_id]", "3,4"),
            ("with", "contacts,only_deleted"),
        ])
        .unwrap();
        assert_eq!(q.filter.id, vec![1, 2]);
        assert_eq!(q.filter.pipeline_id, vec![3, 4]);
        assert!(q.has_with("only_deleted"));
    }

    #[test]
    fn bare_timestamp_means_from() {
        let q = ListQuery::from_pairs([("filter[updated_at]", "100")]).unwrap();
        assert_eq!(
            q.filter.updated_at,
            Some(Range {
                from: Some(100),
                to: None
            })
        );
    }

    #[test]
    fn malformed_values_name_the_parameter() {
        let e = ListQuery::from_pairs([("filter[updated_at][from]", "yesterday")]).unwrap_err();
        assert_eq!(e.parameter, "filter[updated_at][from]");
        let e = ListQuery::from_pairs([("limit", "lots")]).unwrap_err();
        assert_eq!(e.parameter, "limit");
        let e = ListQuery::from_pairs([("order[id]", "sideways")]).unwrap_err();
        assert!(e.to_string().contains("asc or desc"));
    }
}
