//! Response buffers reused across requests: a fresh quarter-megabyte page buffer costs the
//! kernel a page fault and a zeroed page per 4 KiB, which showed up in profiles of paging.

use std::sync::Arc;

use bytes::Bytes;
use parking_lot::Mutex;

/// Buffers kept for reuse; more than this many in flight are simply freed.
const KEEP: usize = 32;
/// Larger buffers are not kept: a page of 250 leads with every `with` is well under this.
const KEEP_CAPACITY: usize = 4 << 20;

/// A pool of body buffers, shared by a simulator's requests.
#[derive(Debug, Default)]
pub(crate) struct Buffers {
    free: Mutex<Vec<Vec<u8>>>,
}

impl Buffers {
    /// An empty buffer, reused when one is free.
    pub(crate) fn take(&self) -> Vec<u8> {
        self.free.lock().pop().unwrap_or_default()
    }

    /// `buf` as a body; the buffer comes back to the pool once the body is sent and dropped.
    pub(crate) fn body(self: &Arc<Self>, buf: Vec<u8>) -> Bytes {
        Bytes::from_owner(Pooled {
            buf,
            pool: self.clone(),
        })
    }
}

struct Pooled {
    buf: Vec<u8>,
    pool: Arc<Buffers>,
}

impl AsRef<[u8]> for Pooled {
    fn as_ref(&self) -> &[u8] {
        &self.buf
    }
}

impl Drop for Pooled {
    fn drop(&mut self) {
        let mut buf = std::mem::take(&mut self.buf);
        if buf.capacity() > KEEP_CAPACITY {
            return;
        }
        buf.clear();
        let mut free = self.pool.free.lock();
        if free.len() < KEEP {
            free.push(buf);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sent_body_gives_its_buffer_back() {
        let pool = Arc::new(Buffers::default());
        let mut buf = pool.take();
        buf.extend_from_slice(b"{\"a\":1}");
        let capacity = buf.capacity();
        let body = pool.body(buf);
        let copy = body.clone();
        assert_eq!(&body[..], b"{\"a\":1}");
        drop(body);
        // Still referenced by a clone: not back yet.
        assert_eq!(pool.free.lock().len(), 0);
        drop(copy);
        let again = pool.take();
        assert!(again.is_empty());
        assert_eq!(again.capacity(), capacity);
    }
}
