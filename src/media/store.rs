//! Where the images live: a folder (which several instances may share as a
//! volume) or an S3-compatible bucket, behind one interface: save every file
//! of an upload or none, remove, and fetch one for serving.

use std::collections::HashSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use actix_web::web::Bytes;
use futures_util::stream::{BoxStream, StreamExt};
use object_store::aws::{AmazonS3Builder, AmazonS3ConfigKey};
use object_store::path::Path as ObjectPath;
use object_store::prefix::PrefixStore;
use object_store::{
    Attribute, Attributes, BackoffConfig, ClientConfigKey, ClientOptions, GetOptions, ObjectMeta,
    ObjectStore, ObjectStoreExt, PutOptions, RetryConfig,
};
use tokio::sync::Semaphore;

use super::{file_name, Processed, Processor};
pub use crate::error::StoreError;

/// The hidden folder files are written in before they are renamed into place.
const PARTIAL: &str = ".partial";
/// Each request to the bucket (a write of one file, a delete, the answer to
/// a read) is given up after this long: the store is then taken as unreachable.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(15);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// A body that stops arriving from the bucket for this long is cut off.
const READ_TIMEOUT: Duration = Duration::from_secs(20);
/// Objects read from the bucket at once (each holds a connection and a few
/// chunks in memory until its reader has it all).
pub const MAX_FETCHES: usize = 32;
/// How long a reader waits for a fetch slot before being told to try again.
const FETCH_QUEUE_TIMEOUT: Duration = Duration::from_secs(5);
/// Chunks of one object held between the bucket and a slow reader.
const CHUNKS_IN_FLIGHT: usize = 4;

/// The images' store, and how many uploads are handled at once.
#[derive(Debug, Clone)]
pub struct Store {
    backend: Backend,
    /// Uploads being received at once: each holds up to one file in memory.
    pub receiving: Arc<Semaphore>,
    /// Accounts with an upload being received: one each, so that one
    /// person sending slowly cannot hold every `receiving` slot.
    uploaders: Arc<std::sync::Mutex<HashSet<i32>>>,
    /// Images waiting for or on the processing thread: one at a time.
    processing: Arc<Semaphore>,
    processor: Arc<Processor>,
}

#[derive(Debug, Clone)]
enum Backend {
    /// Files in a folder, with a hidden one for files being written (never
    /// served: dotted paths are refused).
    Folder(PathBuf),
    Bucket(Arc<Bucket>),
}

/// An account's upload turn (`Store::uploader`), given back when dropped.
#[derive(Debug)]
pub struct Uploader {
    uploaders: Arc<std::sync::Mutex<HashSet<i32>>>,
    user_id: i32,
}

impl Drop for Uploader {
    fn drop(&mut self) {
        self.uploaders
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .remove(&self.user_id);
    }
}

/// One object read for serving.
pub enum Fetched {
    Object {
        meta: ObjectMeta,
        /// The bytes as they arrive from the bucket (at most a few chunks ahead).
        body: BoxStream<'static, std::io::Result<Bytes>>,
    },
    /// The reader's copy (`If-None-Match` / `If-Modified-Since`) is current.
    NotModified,
    Missing,
}

impl Store {
    /// The folder store.
    pub fn new(dir: PathBuf) -> Store {
        Store::with_backend(Backend::Folder(dir))
    }

    /// The bucket store named by `url` (`s3://bucket/prefix`).
    /// Each request to it is given up after `timeout` (`REQUEST_TIMEOUT`
    /// on every site: `Config::media_request_timeout`).
    pub fn bucket(url: &str, timeout: Duration) -> Result<Store, String> {
        Ok(Store::with_backend(Backend::Bucket(Arc::new(
            Bucket::open(url, timeout)?,
        ))))
    }

    fn with_backend(backend: Backend) -> Store {
        Store {
            backend,
            receiving: Arc::new(Semaphore::new(2)),
            uploaders: Arc::default(),
            processing: Arc::new(Semaphore::new(1)),
            processor: Arc::new(Processor::start()),
        }
    }

    /// The account's one upload turn, held until the guard is dropped;
    /// `None` while another upload of the same account is under way.
    pub fn uploader(&self, user_id: i32) -> Option<Uploader> {
        let mut uploading = self
            .uploaders
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        uploading.insert(user_id).then(|| Uploader {
            uploaders: Arc::clone(&self.uploaders),
            user_id,
        })
    }

    /// Processes an upload (whose `hash_of` is `hash`) on the image thread,
    /// waiting for its turn. `None` when the thread is gone (it never should be).
    pub async fn process(
        &self,
        bytes: Vec<u8>,
        hash: String,
    ) -> Option<Result<Processed, super::Refused>> {
        self.on_image_thread(move || super::process(&bytes, hash))
            .await
    }

    /// The site icon's square PNGs made of a stored image's bytes
    /// (`media::icons`), on the image thread.
    pub async fn icons(
        &self,
        bytes: Vec<u8>,
    ) -> Option<Result<Vec<super::Encoded>, super::Refused>> {
        self.on_image_thread(move || super::icons(&bytes)).await
    }

    /// Runs `work` on the image thread once it is free; `None` when the
    /// thread is gone or `work` panicked.
    async fn on_image_thread<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Option<T> {
        let _turn = self.processing.acquire().await.ok()?;
        let (reply, answer) = tokio::sync::oneshot::channel();
        // The permit means the queue (of one) is free: this never waits.
        self.processor
            .jobs
            .send(Box::new(move || {
                let _ = reply.send(work());
            }))
            .ok()?;
        answer.await.ok()
    }

    /// A stored file's bytes; `None` when there is no such file. Blocking.
    pub fn read(&self, name: &str) -> Result<Option<Vec<u8>>, StoreError> {
        match &self.backend {
            Backend::Folder(dir) => match std::fs::read(dir.join(name)) {
                Ok(bytes) => Ok(Some(bytes)),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                Err(e) => Err(StoreError::Io(e)),
            },
            Backend::Bucket(bucket) => {
                let (objects, timeout) = (Arc::clone(&bucket.objects), bucket.timeout);
                let path = ObjectPath::from(name);
                bucket.block(async move {
                    match within(timeout, objects.get(&path)).await {
                        Ok(got) => Ok(Some(within(timeout, got.bytes()).await?.to_vec())),
                        Err(StoreError::Bucket(e))
                            if matches!(*e, object_store::Error::NotFound { .. }) =>
                        {
                            Ok(None)
                        }
                        Err(e) => Err(e),
                    }
                })
            }
        }
    }

    /// The folder the images are in; `None` for a bucket.
    pub fn folder(&self) -> Option<&Path> {
        match &self.backend {
            Backend::Folder(dir) => Some(dir),
            Backend::Bucket(_) => None,
        }
    }

    /// Where the images are, for people: a folder's path or the bucket's URL.
    pub fn describe(&self) -> String {
        match &self.backend {
            Backend::Folder(dir) => dir.display().to_string(),
            Backend::Bucket(bucket) => bucket.url.clone(),
        }
    }

    /// Checks once that the bucket answers and takes a write (a hidden
    /// object, removed again); a folder needs no check.
    pub fn check(&self) -> Result<(), String> {
        let Backend::Bucket(bucket) = &self.backend else {
            return Ok(());
        };
        let name = ObjectPath::from(format!(".broadsheet-check-{:016x}", rand::random::<u64>()));
        let (objects, timeout) = (Arc::clone(&bucket.objects), bucket.timeout);
        bucket
            .block(async move {
                within(
                    timeout,
                    objects.put(&name, Bytes::from_static(b"ok").into()),
                )
                .await?;
                within(timeout, objects.delete(&name)).await
            })
            .map_err(|e| {
                let why = match &e {
                    StoreError::Bucket(b) => match **b {
                        object_store::Error::NotFound { .. } => {
                            "there is no such bucket at the endpoint".to_string()
                        }
                        object_store::Error::PermissionDenied { .. }
                        | object_store::Error::Unauthenticated { .. } => {
                            "the store refused the credentials in AWS_ACCESS_KEY_ID / \
                             AWS_SECRET_ACCESS_KEY"
                                .to_string()
                        }
                        _ => one_line(&e.to_string()),
                    },
                    _ => one_line(&e.to_string()),
                };
                format!("the media bucket {} cannot be written: {why}", bucket.url)
            })
    }

    /// Stores every file of an upload and returns their names. A folder's
    /// files are written to a temporary name first, made durable, then
    /// renamed into place, so a reader never sees half a file; a bucket's
    /// objects appear whole or not at all. On failure nothing of this upload
    /// is left. Blocking: call it off the async workers.
    pub fn save(&self, processed: &Processed) -> Result<Vec<String>, StoreError> {
        let files: Vec<(String, &[u8])> = processed
            .files
            .iter()
            .map(|f| {
                (
                    file_name(processed.stem(), &f.suffix, processed.format),
                    f.bytes.as_slice(),
                )
            })
            .collect();
        match &self.backend {
            Backend::Folder(dir) => save_in_folder(dir, &files).map_err(StoreError::Io),
            Backend::Bucket(bucket) => {
                let objects = Arc::clone(&bucket.objects);
                let owned: Vec<(String, Bytes)> = files
                    .into_iter()
                    .map(|(name, bytes)| (name, Bytes::copy_from_slice(bytes)))
                    .collect();
                bucket.block(put_all(bucket.timeout, objects, owned))
            }
        }
    }

    /// Removes stored files by name, ignoring those already gone. Blocking.
    pub fn remove(&self, names: &[String]) {
        match &self.backend {
            Backend::Folder(dir) => {
                for name in names {
                    if let Err(e) = std::fs::remove_file(dir.join(name)) {
                        if e.kind() != std::io::ErrorKind::NotFound {
                            tracing::warn!("could not remove {name} from the media folder: {e}");
                        }
                    }
                }
            }
            Backend::Bucket(bucket) => {
                let (objects, timeout) = (Arc::clone(&bucket.objects), bucket.timeout);
                let names = names.to_vec();
                let removed = bucket.block(async move {
                    delete_all(&objects, &names, timeout).await;
                    Ok::<_, StoreError>(())
                });
                if let Err(e) = removed {
                    tracing::warn!("could not remove images from the media bucket: {e}");
                }
            }
        }
    }

    /// Removes what no upload will ever finish: partial files, and stored
    /// files whose stem no row has (an upload stopped between its files and
    /// its row, by a crash or a kill). Only files older than `age`, so an
    /// upload in flight (files written, row not yet) is never touched.
    /// `known` answers which of the stems have rows. Blocking. Returns the
    /// number of files removed.
    pub fn sweep(
        &self,
        age: Duration,
        mut known: impl FnMut(&[String]) -> Result<HashSet<String>, String>,
    ) -> Result<usize, String> {
        let before = SystemTime::now()
            .checked_sub(age)
            .unwrap_or(SystemTime::UNIX_EPOCH);
        let (partial, stored) = match &self.backend {
            Backend::Folder(dir) => {
                old_in_folder(dir, before).map_err(|e| format!("{}: {e}", dir.display()))?
            }
            Backend::Bucket(bucket) => {
                let (objects, timeout) = (Arc::clone(&bucket.objects), bucket.timeout);
                let names = bucket
                    .block(async move { old_in_bucket(objects, before, timeout).await })
                    .map_err(|e| one_line(&e.to_string()))?;
                (Vec::new(), names)
            }
        };
        let mut removed = 0;
        for path in partial {
            match std::fs::remove_file(&path) {
                Ok(()) => removed += 1,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => tracing::warn!("could not remove {}: {e}", path.display()),
            }
        }
        let mut stems: Vec<String> = stored.iter().map(|n| stem_of_name(n).to_string()).collect();
        stems.sort_unstable();
        stems.dedup();
        let mut keep = HashSet::new();
        // A bounded list per query (SQLite takes at most 32766 parameters).
        for chunk in stems.chunks(500) {
            keep.extend(known(chunk)?);
        }
        let orphans: Vec<String> = stored
            .into_iter()
            .filter(|n| !keep.contains(stem_of_name(n)))
            .collect();
        removed += orphans.len();
        for name in &orphans {
            tracing::info!("removing {name} from the media store: no image in the library has it");
        }
        self.remove(&orphans);
        Ok(removed)
    }

    /// Reads a stored file for serving from the bucket, answering the
    /// reader's validators; `None` for a folder, served by the file service.
    pub async fn fetch(
        &self,
        name: &str,
        if_none_match: Option<String>,
        if_modified_since: Option<chrono::DateTime<chrono::Utc>>,
        head: bool,
    ) -> Option<Result<Fetched, StoreError>> {
        let Backend::Bucket(bucket) = &self.backend else {
            return None;
        };
        Some(
            bucket
                .fetch(name, if_none_match, if_modified_since, head)
                .await,
        )
    }
}

fn save_in_folder(dir: &Path, files: &[(String, &[u8])]) -> std::io::Result<Vec<String>> {
    let tmp = dir.join(PARTIAL);
    std::fs::create_dir_all(&tmp)?;
    let mut written = Vec::new();
    // The file being written, removed if this fails: a write that ran out
    // of disk would otherwise keep the space it did get.
    let mut part = None;
    let result = (|| {
        for (name, bytes) in files {
            let path = tmp.join(format!("{name}.{}", rand::random::<u64>()));
            part = Some(path.clone());
            let mut f = std::fs::File::create(&path)?;
            f.write_all(bytes)?;
            f.sync_all()?;
            std::fs::rename(&path, dir.join(name))?;
            part = None;
            written.push(name.clone());
        }
        std::fs::File::open(dir)?.sync_all()
    })();
    match result {
        Ok(()) => Ok(written),
        Err(e) => {
            if let Some(path) = part {
                let _ = std::fs::remove_file(path);
            }
            for name in &written {
                let _ = std::fs::remove_file(dir.join(name));
            }
            Err(e)
        }
    }
}

/// The stem a stored file's name starts with (`{stem}{-suffix}.{ext}`).
fn stem_of_name(name: &str) -> &str {
    name.split(['-', '.']).next().unwrap_or("")
}

/// Whether a name has the shape of the library's files (`{20 hex}` then
/// `-480` or `-icon32` or nothing, then an image extension): a sweep leaves
/// anything else alone, such as an operator's own files in a shared folder
/// or bucket.
fn is_library_name(name: &str) -> bool {
    let stem = stem_of_name(name);
    let rest = &name[stem.len()..];
    let Some((suffix, ext)) = rest.rsplit_once('.') else {
        return false;
    };
    let suffix_ok = match suffix.strip_prefix('-') {
        None => suffix.is_empty(),
        Some(s) => {
            let digits = s.strip_prefix("icon").unwrap_or(s);
            !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
        }
    };
    stem.len() == 20
        && stem.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
        && suffix_ok
        && matches!(ext, "jpg" | "png" | "gif" | "webp")
}

/// A folder's files last changed before `before`: the partial ones (whole
/// paths, removed whatever they are) and the stored ones (names, removed
/// only when no row has their stem).
fn old_in_folder(dir: &Path, before: SystemTime) -> std::io::Result<(Vec<PathBuf>, Vec<String>)> {
    let old = |entry: &std::fs::DirEntry| {
        entry
            .metadata()
            .and_then(|m| m.modified())
            .is_ok_and(|at| at < before)
    };
    let mut partial = Vec::new();
    match std::fs::read_dir(dir.join(PARTIAL)) {
        Ok(entries) => {
            for entry in entries.flatten() {
                if old(&entry) {
                    partial.push(entry.path());
                }
            }
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotADirectory => {}
        Err(e) => return Err(e),
    }
    let mut stored = Vec::new();
    for entry in std::fs::read_dir(dir)?.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        // Dotted names are not the library's (`.partial`, an operator's own).
        if name.starts_with('.') || !entry.file_type().is_ok_and(|t| t.is_file()) {
            continue;
        }
        if is_library_name(&name) && old(&entry) {
            stored.push(name);
        }
    }
    Ok((partial, stored))
}

/// Puts every object, removing those already put when one fails.
async fn put_all(
    timeout: Duration,
    objects: Arc<dyn ObjectStore>,
    files: Vec<(String, Bytes)>,
) -> Result<Vec<String>, StoreError> {
    let mut written = Vec::new();
    for (name, bytes) in files {
        // The bucket keeps the type and caching a file service would send,
        // for a CDN or anyone serving it directly.
        let mut attributes = Attributes::new();
        attributes.insert(
            Attribute::ContentType,
            actix_files::file_extension_to_mime(name.rsplit('.').next().unwrap_or(""))
                .to_string()
                .into(),
        );
        attributes.insert(
            Attribute::CacheControl,
            "public, max-age=31536000, immutable".into(),
        );
        let put = within(
            timeout,
            objects.put_opts(
                &ObjectPath::from(name.as_str()),
                bytes.into(),
                PutOptions::from(attributes),
            ),
        )
        .await;
        if let Err(e) = put {
            delete_all(&objects, &written, timeout).await;
            return Err(e);
        }
        written.push(name);
    }
    Ok(written)
}

/// The bucket's objects last changed before `before`, by name (hidden ones,
/// like the start-up check's, aside). Listing has no overall timeout (a large
/// bucket takes many pages), only each page's.
async fn old_in_bucket(
    objects: Arc<dyn ObjectStore>,
    before: SystemTime,
    timeout: Duration,
) -> Result<Vec<String>, StoreError> {
    let before = chrono::DateTime::<chrono::Utc>::from(before);
    let mut listing = objects.list(None);
    let mut names = Vec::new();
    loop {
        let next = tokio::time::timeout(timeout, listing.next())
            .await
            .map_err(|_| StoreError::TimedOut(timeout))?;
        let Some(meta) = next else {
            return Ok(names);
        };
        let meta = meta?;
        let name = meta.location.to_string();
        if meta.last_modified < before && is_library_name(&name) {
            names.push(name);
        }
    }
}

/// One request to the bucket, given up after `timeout` (the bucket's).
async fn within<T>(
    timeout: Duration,
    request: impl std::future::Future<Output = Result<T, object_store::Error>>,
) -> Result<T, StoreError> {
    match tokio::time::timeout(timeout, request).await {
        Ok(done) => Ok(done?),
        Err(_) => Err(StoreError::TimedOut(timeout)),
    }
}

async fn delete_all(objects: &Arc<dyn ObjectStore>, names: &[String], timeout: Duration) {
    for name in names {
        match within(timeout, objects.delete(&ObjectPath::from(name.as_str()))).await {
            Ok(()) => {}
            Err(StoreError::Bucket(e)) if matches!(*e, object_store::Error::NotFound { .. }) => {}
            Err(e) => tracing::warn!(
                "could not remove {name} from the media bucket: {}",
                one_line(&e.to_string())
            ),
        }
    }
}

/// The images' bucket: its client, and the runtime its requests run on.
struct Bucket {
    /// `s3://bucket/prefix`, for messages (no credentials are in it).
    url: String,
    objects: Arc<dyn ObjectStore>,
    /// The bucket's own runtime, so that the async workers, the blocking
    /// pool and the command line all reach it the same way.
    runtime: IoRuntime,
    fetches: Arc<Semaphore>,
    /// How long one request may take (`REQUEST_TIMEOUT` unless the config
    /// lowered it).
    timeout: Duration,
}

impl std::fmt::Debug for Bucket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Bucket").field("url", &self.url).finish()
    }
}

impl Bucket {
    /// A client for `url` (`s3://bucket[/prefix]`) configured from the
    /// standard `AWS_*` variables. Plain http is allowed to a local endpoint
    /// only, unless `AWS_ALLOW_HTTP=true` says otherwise.
    fn open(url: &str, timeout: Duration) -> Result<Bucket, String> {
        let (bucket, prefix) = parse_s3_url(url)?;
        let mut builder = AmazonS3Builder::from_env().with_bucket_name(&bucket);
        let allow_http_set = builder
            .get_config_value(&AmazonS3ConfigKey::Client(ClientConfigKey::AllowHttp))
            .is_some_and(|v| v.eq_ignore_ascii_case("true"));
        let mut allow_http = allow_http_set;
        for key in [AmazonS3ConfigKey::S3Endpoint, AmazonS3ConfigKey::Endpoint] {
            let Some(endpoint) = builder.get_config_value(&key) else {
                continue;
            };
            let parsed = url::Url::parse(&endpoint)
                .map_err(|_| "the S3 endpoint (AWS_ENDPOINT_URL) is not a URL".to_string())?;
            if parsed.scheme() == "http" {
                if is_local(&parsed) {
                    allow_http = true;
                } else if !allow_http_set {
                    // Shown without any user or password the URL may carry.
                    let mut shown = parsed.clone();
                    let _ = shown.set_username("");
                    let _ = shown.set_password(None);
                    return Err(format!(
                        "the S3 endpoint {shown} is plain http to another machine: use https, \
                         or set AWS_ALLOW_HTTP=true to send the images and signed requests unencrypted"
                    ));
                }
            }
        }
        let client = ClientOptions::new()
            .with_connect_timeout(CONNECT_TIMEOUT)
            // Bounded per request below; a body is bounded by its idle time,
            // since a large image may take a slow reader a while.
            .with_timeout_disabled()
            .with_read_timeout(READ_TIMEOUT)
            .with_allow_http(allow_http);
        builder = builder
            .with_crypto_provider(Arc::new(super::signing::RustCrypto))
            .with_client_options(client)
            .with_retry(RetryConfig {
                backoff: BackoffConfig::default(),
                max_retries: 2,
                retry_timeout: timeout,
            });
        let s3 = builder
            .build()
            .map_err(|e| format!("the media bucket {url}: {}", one_line(&e.to_string())))?;
        let objects: Arc<dyn ObjectStore> = if prefix.is_empty() {
            Arc::new(s3)
        } else {
            Arc::new(PrefixStore::new(s3, ObjectPath::from(prefix.as_str())))
        };
        Ok(Bucket {
            url: url.trim_end_matches('/').to_string(),
            objects,
            runtime: IoRuntime::start()
                .map_err(|e| format!("cannot start the media client: {e}"))?,
            fetches: Arc::new(Semaphore::new(MAX_FETCHES)),
            timeout,
        })
    }

    /// Runs requests on the bucket's runtime (each bounded by `within`,
    /// whose timer is made there: the caller may have no runtime).
    async fn run<T: Send + 'static>(
        &self,
        requests: impl std::future::Future<Output = Result<T, StoreError>> + Send + 'static,
    ) -> Result<T, StoreError> {
        match self.runtime.handle().spawn(requests).await {
            Ok(done) => done,
            Err(e) => Err(StoreError::Io(std::io::Error::other(e))),
        }
    }

    /// `run`, waited for: for the blocking pool, the command line and start-up.
    fn block<T: Send + 'static>(
        &self,
        requests: impl std::future::Future<Output = Result<T, StoreError>> + Send + 'static,
    ) -> Result<T, StoreError> {
        let task = self.runtime.handle().spawn(requests);
        let wait = || self.runtime.handle().block_on(task);
        // Inside a runtime (an async worker, a test) a thread may not block
        // on another one: the wait moves to a thread of its own.
        let joined = if tokio::runtime::Handle::try_current().is_ok() {
            std::thread::scope(|scope| scope.spawn(wait).join())
                .map_err(|_| StoreError::Io(std::io::Error::other("the media client stopped")))?
        } else {
            wait()
        };
        match joined {
            Ok(done) => done,
            Err(e) => Err(StoreError::Io(std::io::Error::other(e))),
        }
    }

    async fn fetch(
        &self,
        name: &str,
        if_none_match: Option<String>,
        if_modified_since: Option<chrono::DateTime<chrono::Utc>>,
        head: bool,
    ) -> Result<Fetched, StoreError> {
        let permit = tokio::time::timeout(
            FETCH_QUEUE_TIMEOUT,
            Arc::clone(&self.fetches).acquire_owned(),
        )
        .await
        .map_err(|_| StoreError::Busy)?
        .map_err(|_| StoreError::Busy)?;
        let (objects, timeout) = (Arc::clone(&self.objects), self.timeout);
        let path = ObjectPath::from(name);
        let options = GetOptions {
            if_none_match,
            if_modified_since,
            head,
            ..GetOptions::default()
        };
        let got = self
            .run(async move { within(timeout, objects.get_opts(&path, options)).await })
            .await;
        let got = match got {
            Ok(got) => got,
            Err(StoreError::Bucket(e)) => match *e {
                object_store::Error::NotFound { .. } => return Ok(Fetched::Missing),
                object_store::Error::NotModified { .. } => return Ok(Fetched::NotModified),
                e => return Err(e.into()),
            },
            Err(e) => return Err(e),
        };
        let meta = got.meta.clone();
        let mut stream = got.into_stream();
        // The bytes pass through a short queue, read on the bucket's runtime
        // while the reader keeps up; the slot is held until the last chunk.
        let (tx, rx) = tokio::sync::mpsc::channel::<std::io::Result<Bytes>>(CHUNKS_IN_FLIGHT);
        self.runtime.handle().spawn(async move {
            let _permit = permit;
            while let Some(chunk) = stream.next().await {
                let chunk = chunk.map_err(std::io::Error::other);
                let failed = chunk.is_err();
                if tx.send(chunk).await.is_err() || failed {
                    break;
                }
            }
        });
        let body = futures_util::stream::unfold(rx, |mut rx| async move {
            rx.recv().await.map(|chunk| (chunk, rx))
        })
        .boxed();
        Ok(Fetched::Object { meta, body })
    }
}

/// `s3://bucket/prefix` as its bucket and its prefix (without slashes at
/// either end; empty for the whole bucket).
pub fn parse_s3_url(url: &str) -> Result<(String, String), String> {
    let parsed = url::Url::parse(url)
        .map_err(|_| "the media store is not a URL: give it as s3://BUCKET/PREFIX".to_string())?;
    // Checked first, so that no message below repeats a secret.
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(
            "the media store URL must not carry credentials: set AWS_ACCESS_KEY_ID and \
             AWS_SECRET_ACCESS_KEY instead"
                .into(),
        );
    }
    if parsed.scheme() != "s3" {
        return Err(format!(
            "`{url}`: the media store must be an s3://BUCKET/PREFIX URL (or use --media-dir for a folder)"
        ));
    }
    let bucket = parsed.host_str().unwrap_or("").to_string();
    if bucket.is_empty() {
        return Err(format!("`{url}` names no bucket: s3://BUCKET/PREFIX"));
    }
    if parsed.query().is_some() || parsed.fragment().is_some() {
        return Err(format!("`{url}`: the media store URL takes no query"));
    }
    let prefix = parsed.path().trim_matches('/').to_string();
    if !prefix.is_empty() && prefix.split('/').any(|segment| segment.starts_with('.')) {
        return Err(format!("`{url}`: the prefix may not have dotted segments"));
    }
    Ok((bucket, prefix))
}

fn is_local(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A runtime of one thread for the bucket's requests. Shut down without
/// waiting when dropped, which may happen on an async worker.
struct IoRuntime(Option<tokio::runtime::Runtime>, tokio::runtime::Handle);

impl IoRuntime {
    fn start() -> std::io::Result<IoRuntime> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("broadsheet-media")
            .enable_all()
            .build()?;
        let handle = runtime.handle().clone();
        Ok(IoRuntime(Some(runtime), handle))
    }

    fn handle(&self) -> &tokio::runtime::Handle {
        &self.1
    }
}

impl Drop for IoRuntime {
    fn drop(&mut self) {
        if let Some(runtime) = self.0.take() {
            runtime.shutdown_background();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn media_store_urls_name_a_bucket_and_a_plain_prefix() {
        assert_eq!(
            parse_s3_url("s3://photos/blog/media/").unwrap(),
            ("photos".into(), "blog/media".into())
        );
        assert_eq!(
            parse_s3_url("s3://photos").unwrap(),
            ("photos".into(), String::new())
        );
        for bad in [
            "photos/blog",
            "https://photos.s3.amazonaws.com/blog",
            "s3:///blog",
            "s3://key:secret@photos/blog",
            "s3://photos/.hidden/media",
            "s3://photos/blog?x=1",
        ] {
            assert!(parse_s3_url(bad).is_err(), "{bad}");
        }
        let err = parse_s3_url("s3://key:secret@photos/blog").unwrap_err();
        assert!(!err.contains("secret"), "{err}");
    }

    #[test]
    fn a_sweep_considers_only_names_shaped_like_the_librarys() {
        for ours in [
            "0123456789abcdef0123.jpg",
            "0123456789abcdef0123-480.webp",
            "0123456789abcdef0123-icon180.png",
        ] {
            assert!(is_library_name(ours), "{ours}");
        }
        for theirs in [
            "robots.txt",
            "logo.png",
            "0123456789abcdef0123.txt",
            "0123456789ABCDEF0123.jpg",
            "0123456789abcdef0123-large.jpg",
            "0123456789abcdef0123-.jpg",
            "backups/0123456789abcdef0123.jpg",
            ".partial",
        ] {
            assert!(!is_library_name(theirs), "{theirs}");
        }
    }

    #[test]
    fn only_a_loopback_endpoint_counts_as_local() {
        for local in [
            "http://127.0.0.1:9000",
            "http://localhost:9000",
            "http://[::1]:9000",
        ] {
            assert!(is_local(&url::Url::parse(local).unwrap()), "{local}");
        }
        for remote in ["http://10.0.0.5:9000", "http://minio.internal:9000"] {
            assert!(!is_local(&url::Url::parse(remote).unwrap()), "{remote}");
        }
    }
}
