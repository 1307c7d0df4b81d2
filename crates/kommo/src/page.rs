//! Lists as streams of pages: one request per page, ending on a missing `_links.next` or a 204.
//!
//! The next page is requested with the same query and `page + 1` rather than by following
//! the `next` href: Kommo renders hrefs with the account's canonical host (older accounts
//! show `amocrm.com` hosts), and following a host from a response could send the token to
//! a host the caller never configured. `next` is read only as "another page exists".

use std::pin::Pin;
use std::task::{Context, Poll};

use futures::stream::{self, BoxStream};
use futures::{Stream, StreamExt, TryStreamExt};
use kommo_model::query::ListQuery;
use kommo_model::{Collection, Entity};
use serde::de::DeserializeOwned;

use crate::client::Client;
use crate::error::Error;

/// One page of a list.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    /// The 1-based page number that was requested.
    pub number: u32,
    pub items: Vec<T>,
    /// `_total_items`, on the endpoints that send it (pipelines, users, sources, ...).
    pub total_items: Option<u64>,
    /// `_page_count`, on the endpoints that send it (users).
    pub page_count: Option<u32>,
    /// Whether Kommo announced another page.
    pub has_next: bool,
}

/// A stream of pages; also offers [`Pages::collect_all`] and [`Pages::items`].
#[must_use = "a list request does nothing until the stream is polled"]
pub struct Pages<T> {
    inner: BoxStream<'static, Result<Page<T>, Error>>,
}

impl<T> std::fmt::Debug for Pages<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Pages { .. }")
    }
}

impl<T> Stream for Pages<T> {
    type Item = Result<Page<T>, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.inner.as_mut().poll_next(cx)
    }
}

impl<T: Send + 'static> Pages<T> {
    /// Every item of every page, in order. Holds the whole list in memory: for large lists
    /// prefer consuming the stream page by page.
    pub async fn collect_all(self) -> Result<Vec<T>, Error> {
        self.inner
            .try_fold(Vec::new(), |mut all, page| async move {
                all.extend(page.items);
                Ok(all)
            })
            .await
    }

    /// The items one by one, pages fetched as needed.
    pub fn items(self) -> BoxStream<'static, Result<T, Error>> {
        self.inner
            .map_ok(|page| stream::iter(page.items.into_iter().map(Ok)))
            .try_flatten()
            .boxed()
    }
}

impl Client {
    /// Pages of `path` for `query`; `limit` defaults to the configured page size.
    pub(crate) fn pages<T>(&self, path: String, query: ListQuery) -> Pages<T>
    where
        T: Entity + DeserializeOwned + Send + 'static,
    {
        let mut query = query;
        if query.limit.is_none() {
            query.limit = Some(self.config().page_size);
        }
        let first = query.page.unwrap_or(1);
        let client = self.clone();
        let inner = stream::try_unfold(Some(first), move |next| {
            let client = client.clone();
            let path = path.clone();
            let query = query.clone();
            async move {
                let Some(number) = next else {
                    return Ok(None);
                };
                let pairs = query.page(number).to_pairs();
                let Some(collection) = client.get_json::<Collection<T>>(path, pairs).await? else {
                    // 204: past the last page, or nothing matched.
                    return Ok(None);
                };
                if collection.items.is_empty() {
                    // A 200 with no items ends the list too, whatever `next` says: asking
                    // for the following page could otherwise loop forever.
                    return Ok(None);
                }
                let has_next = collection.has_next();
                let page = Page {
                    number,
                    items: collection.items,
                    total_items: collection.total_items,
                    page_count: collection.page_count,
                    has_next,
                };
                let following = if has_next {
                    number.checked_add(1)
                } else {
                    None
                };
                Ok(Some((page, following)))
            }
        });
        Pages {
            inner: inner.boxed(),
        }
    }
}
