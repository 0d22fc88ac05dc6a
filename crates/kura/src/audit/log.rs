//! Appending to the access log: durable, ordered, batched.
//!
//! [`Log::append`] returns only after the entries are committed to storage with fsync; callers return data
//! only after it returns (no log, no data). A single writer thread takes every entry waiting at that moment
//! into one transaction (group commit), so many concurrent readers share one fsync. Sequence numbers and
//! timestamps are assigned by the writer under the log's write lock, so they are dense and never go back.

use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use super::merkle::{self, Appender};
use super::store::{LogStore, StoredEntry};
use super::Entry;

/// Most entries one commit takes.
const MAX_BATCH: usize = 8192;
/// Largest entry accepted: it must fit a tlog-tiles entry bundle (u16 length prefix).
pub const MAX_ENTRY_BYTES: usize = 60_000;

/// An append failed: the entries are not in the log and the operation must not return data.
#[derive(Debug, thiserror::Error, Clone)]
#[error("the access log could not record this operation ({0}); nothing was returned or changed")]
pub struct AppendError(pub String);

struct Request {
    entries: Vec<Entry>,
    reply: mpsc::SyncSender<Result<Vec<u64>, AppendError>>,
}

/// The access log: a writer thread in front of a [`LogStore`].
pub struct Log {
    store: Arc<dyn LogStore>,
    sender: Mutex<Option<mpsc::Sender<Request>>>,
    worker: Mutex<Option<JoinHandle<()>>>,
}

impl std::fmt::Debug for Log {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Log").field("store", &self.store).finish_non_exhaustive()
    }
}

impl Log {
    /// Starts the writer.
    pub fn new(store: Box<dyn LogStore>) -> Log {
        let store: Arc<dyn LogStore> = Arc::from(store);
        let (sender, receiver) = mpsc::channel::<Request>();
        let writer_store = Arc::clone(&store);
        let worker = std::thread::Builder::new()
            .name("kura-audit-writer".to_owned())
            .spawn(move || writer(&*writer_store, &receiver))
            .ok();
        Log { store, sender: Mutex::new(Some(sender)), worker: Mutex::new(worker) }
    }

    /// The storage, for proofs, queries and verification.
    pub fn store(&self) -> &dyn LogStore {
        &*self.store
    }

    /// Appends entries (their `seq` and `time_ms` are assigned here) and waits until they are durable.
    /// Returns their sequence numbers.
    pub fn append(&self, entries: Vec<Entry>) -> Result<Vec<u64>, AppendError> {
        if entries.is_empty() {
            return Ok(Vec::new());
        }
        // The exact size only when the bound says it might not fit (the writer serialises every entry anyway).
        for e in entries.iter().filter(|e| e.to_leaf_bound() > MAX_ENTRY_BYTES) {
            let n = e.to_leaf().map_err(|err| AppendError(err.to_string()))?.len();
            if n > MAX_ENTRY_BYTES {
                return Err(AppendError(format!("entry of {n} bytes exceeds the {MAX_ENTRY_BYTES}-byte limit")));
            }
        }
        let (reply, answer) = mpsc::sync_channel(1);
        {
            let sender = self.sender.lock().map_err(|_| AppendError("writer lock poisoned".to_owned()))?;
            let sender = sender.as_ref().ok_or_else(|| AppendError("log is closed".to_owned()))?;
            sender.send(Request { entries, reply }).map_err(|_| AppendError("log writer stopped".to_owned()))?;
        }
        answer.recv().map_err(|_| AppendError("log writer stopped".to_owned()))?
    }
}

impl Drop for Log {
    fn drop(&mut self) {
        if let Ok(mut s) = self.sender.lock() {
            s.take();
        }
        if let Some(w) = self.worker.lock().ok().and_then(|mut w| w.take()) {
            let _ = w.join();
        }
    }
}

fn writer(store: &dyn LogStore, receiver: &mpsc::Receiver<Request>) {
    let mut cached: Option<Appender> = None;
    let mut last_time = 0i64;
    while let Ok(first) = receiver.recv() {
        let mut batch = vec![first];
        let mut count = batch.iter().map(|r| r.entries.len()).sum::<usize>();
        while count < MAX_BATCH {
            match receiver.try_recv() {
                Ok(r) => {
                    count += r.entries.len();
                    batch.push(r);
                }
                Err(_) => break,
            }
        }
        let mut next_appender = None;
        let mut assigned: Vec<Vec<u64>> = Vec::new();
        let result = store.append(&mut |size, nodes| {
            let mut appender = match &cached {
                Some(a) if a.size() == size => a.clone(),
                _ => Appender::load(nodes, size)?,
            };
            let now = super::now_ms().max(last_time);
            let mut stored = Vec::with_capacity(count);
            let mut leaves = Vec::with_capacity(count);
            assigned.clear();
            let mut seq = size;
            for request in &batch {
                let mut seqs = Vec::with_capacity(request.entries.len());
                for e in &request.entries {
                    let mut e = e.clone();
                    e.seq = seq;
                    e.time_ms = now;
                    let data = e.to_leaf().map_err(|err| super::store::Error::Encode(err.to_string()))?;
                    leaves.push(merkle::leaf_hash(&data));
                    stored.push(StoredEntry {
                        seq,
                        time_ms: now,
                        principal: e.principal.clone(),
                        data,
                        subjects: e.subjects.clone(),
                    });
                    seqs.push(seq);
                    seq += 1;
                }
                assigned.push(seqs);
            }
            let nodes = appender.append(&leaves)?;
            next_appender = Some(appender);
            Ok((stored, nodes))
        });
        match result {
            Ok(_) => {
                cached = next_appender;
                last_time = super::now_ms().max(last_time);
                for (request, seqs) in batch.into_iter().zip(assigned) {
                    let _ = request.reply.send(Ok(seqs));
                }
            }
            Err(e) => {
                cached = None;
                let err = AppendError(e.to_string());
                for request in batch {
                    let _ = request.reply.send(Err(err.clone()));
                }
            }
        }
    }
}
