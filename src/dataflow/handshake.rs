//! Where a process sits in a run, the handshake that checks the processes agree before timely
//! connects them, and the watch that stops every process when one of them is lost.
//!
//! Process 0 listens on its own address; the others connect, send one line (version, worker
//! count, host-file hash, parameter fingerprint) and read the verdict. The connections stay
//! open for the rest of the run as a liveness channel beside timely's: every side sends a
//! heartbeat every [`HEARTBEAT`]; a connection that closes, or stays silent for [`SILENCE`],
//! before its process said `done` marks that process lost, and process 0 relays the loss to the
//! others. Workers consult [`Watch::lost`] while they wait on the dataflow, so a dead or
//! unreachable process stops the run with an error naming it instead of a hang.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::error::{Error, Result};

/// How long processes wait for each other at the start.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(30);
/// How often a process tells the others it is alive.
pub const HEARTBEAT: Duration = Duration::from_secs(2);
/// Silence after which a process counts as lost.
pub const SILENCE: Duration = Duration::from_secs(15);

/// Where this process sits in the run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Placement {
    /// `host:port` of every process, in process order.
    pub hosts: Vec<String>,
    /// This process's index in `hosts`.
    pub process: usize,
    /// Worker threads per process (equal in every process).
    pub workers: usize,
}

/// Reads a host file: one `host:port` per line, in process order; blank lines and `#`
/// comments are ignored.
///
/// # Errors
/// [`Error::Io`] when the file cannot be read, [`Error::BadHost`] for a line that is not
/// `host:port`, [`Error::InvalidParam`] when there is no host.
pub fn read_hosts(path: &Path) -> Result<Vec<String>> {
    let text = std::fs::read_to_string(path)
        .map_err(|source| Error::Io { path: path.to_path_buf(), source })?;
    let mut hosts = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let ok = line
            .rsplit_once(':')
            .is_some_and(|(h, p)| !h.is_empty() && p.parse::<u16>().is_ok_and(|p| p > 0));
        if !ok {
            return Err(Error::BadHost {
                path: path.to_path_buf(),
                line: i + 1,
                found: line.to_owned(),
            });
        }
        hosts.push(line.to_owned());
    }
    if hosts.is_empty() {
        return Err(Error::InvalidParam {
            name: "hosts",
            reason: format!("{}: no hosts", path.display()),
        });
    }
    Ok(hosts)
}

impl Placement {
    /// This process's place, checked.
    ///
    /// # Errors
    /// [`Error::InvalidParam`] when `process` is not below the number of hosts or `workers`
    /// is zero.
    pub fn new(hosts: Vec<String>, process: usize, workers: usize) -> Result<Placement> {
        if process >= hosts.len() {
            return Err(Error::InvalidParam {
                name: "process-id",
                reason: format!("{process} is not below the {} hosts", hosts.len()),
            });
        }
        if workers == 0 {
            return Err(Error::InvalidParam {
                name: "workers",
                reason: "must be at least 1".into(),
            });
        }
        Ok(Placement { hosts, process, workers })
    }

    /// One process with `workers` threads (no network).
    pub fn local(workers: usize) -> Placement {
        Placement { hosts: vec!["127.0.0.1:1".into()], process: 0, workers: workers.max(1) }
    }

    /// The process that runs worker `w`.
    pub fn process_of(&self, worker: usize) -> usize {
        worker / self.workers
    }

    /// Timely's configuration: threads in one process, or the cluster of `hosts`.
    pub fn timely_config(&self) -> timely::Config {
        let communication = if self.hosts.len() == 1 {
            timely::CommunicationConfig::Process(self.workers)
        } else {
            timely::CommunicationConfig::Cluster {
                threads: self.workers,
                process: self.process,
                addresses: self.hosts.clone(),
                report: false,
                zerocopy: false,
            }
        };
        timely::Config { communication, worker: timely::WorkerConfig::default() }
    }

    fn peer(&self, process: usize, reason: impl Into<String>) -> Error {
        Error::Peer {
            process,
            host: self.hosts.get(process).cloned().unwrap_or_default(),
            reason: reason.into(),
        }
    }
}

/// The liveness channel of a run (see the module docs). Cheap to clone.
#[derive(Clone, Debug, Default)]
pub struct Watch {
    inner: Arc<WatchState>,
}

#[derive(Debug, Default)]
struct WatchState {
    lost: Mutex<Option<Error>>,
    finished: AtomicBool,
    /// Write halves: to every peer (process 0) or to process 0 (the others).
    writers: Mutex<Vec<(usize, TcpStream)>>,
    hosts: Vec<String>,
    /// This process's listener on its own address, bound for the whole run: the handshake's
    /// (process 0) and the one the other processes connect timely's channels to.
    listener: Mutex<Option<TcpListener>>,
}

impl Watch {
    /// The first process found lost, as an error naming it.
    pub fn lost(&self) -> Option<Error> {
        let lost = self.inner.lost.lock().ok()?;
        lost.as_ref().map(|e| match e {
            Error::Peer { process, host, reason } => {
                Error::Peer { process: *process, host: host.clone(), reason: reason.clone() }
            }
            other => Error::InvalidParam { name: "hosts", reason: other.to_string() },
        })
    }

    /// Marks a process lost (the first loss is kept) and, on process 0, tells the others.
    fn mark_lost(&self, process: usize, reason: String) {
        if self.inner.finished.load(Ordering::SeqCst) {
            return;
        }
        let host = self.inner.hosts.get(process).cloned().unwrap_or_default();
        if let Ok(mut lost) = self.inner.lost.lock() {
            if lost.is_none() {
                *lost = Some(Error::Peer { process, host, reason: reason.clone() });
            }
        }
        if let Ok(mut ws) = self.inner.writers.lock() {
            for (p, w) in ws.iter_mut() {
                if *p != process {
                    let _ = w.write_all(format!("lost {process} {reason}\n").as_bytes());
                }
            }
        }
    }

    /// The run's collective work is over: later silences and closed connections are no loss.
    pub fn finish(&self) {
        if let Ok(mut ws) = self.inner.writers.lock() {
            for (_, w) in ws.iter_mut() {
                let _ = w.write_all(b"done\n");
            }
        }
        self.inner.finished.store(true, Ordering::SeqCst);
    }

    /// Starts the reader of one connection and, on the first call, the heartbeat.
    fn follow(&self, process: usize, stream: TcpStream) -> std::io::Result<()> {
        stream.set_read_timeout(Some(SILENCE))?;
        let writer = stream.try_clone()?;
        let first = {
            let mut ws = self.inner.writers.lock().map_err(|_| std::io::Error::other("lock"))?;
            ws.push((process, writer));
            ws.len() == 1
        };
        let watch = self.clone();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stream);
            let mut line = String::new();
            loop {
                line.clear();
                match reader.read_line(&mut line) {
                    Ok(0) => {
                        watch.mark_lost(
                            process,
                            "the process ended or closed its connection".into(),
                        );
                        return;
                    }
                    Ok(_) => {
                        let l = line.trim();
                        if l == "done" {
                            return;
                        }
                        if let Some(rest) = l.strip_prefix("lost ") {
                            let (p, why) = rest.split_once(' ').unwrap_or((rest, ""));
                            let p = p.parse().unwrap_or(process);
                            watch.mark_lost(p, why.to_owned());
                            return;
                        }
                    }
                    Err(e) => {
                        let silent = matches!(
                            e.kind(),
                            std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                        );
                        let why = if silent {
                            format!("no word from it for {SILENCE:?}")
                        } else {
                            format!("its connection failed: {e}")
                        };
                        watch.mark_lost(process, why);
                        return;
                    }
                }
            }
        });
        if first {
            let watch = self.clone();
            std::thread::spawn(move || loop {
                std::thread::sleep(HEARTBEAT);
                if watch.inner.finished.load(Ordering::SeqCst) {
                    return;
                }
                if let Ok(mut ws) = watch.inner.writers.lock() {
                    for (_, w) in ws.iter_mut() {
                        let _ = w.write_all(b"alive\n");
                    }
                }
            });
        }
        Ok(())
    }
}

/// Checks, before timely connects the processes, that every process runs the same version
/// with the same host file, worker count and parameters (`fingerprint`): timely itself assumes
/// equal worker counts and would fail obscurely on a mismatch. Returns the run's [`Watch`].
///
/// # Errors
/// [`Error::Peer`] naming a process that did not arrive within [`HANDSHAKE_TIMEOUT`], that
/// disagrees, or that cannot be reached.
pub fn handshake(place: &Placement, fingerprint: &str) -> Result<Watch> {
    let watch = Watch {
        inner: Arc::new(WatchState { hosts: place.hosts.clone(), ..WatchState::default() }),
    };
    if place.hosts.len() == 1 {
        return Ok(watch);
    }
    let line = |process: usize| {
        format!(
            "neardup-handshake {} process={process} workers={} hosts={} params={fingerprint}\n",
            env!("CARGO_PKG_VERSION"),
            place.workers,
            xxhash_rust::xxh3::xxh3_64(place.hosts.join(",").as_bytes())
        )
    };
    let io = |process: usize| move |e: std::io::Error| place.peer(process, e.to_string());
    let deadline = Instant::now() + HANDSHAKE_TIMEOUT;
    if place.process == 0 {
        let listener = TcpListener::bind(&place.hosts[0])
            .map_err(|e| place.peer(0, format!("cannot listen: {e}")))?;
        listener.set_nonblocking(true).map_err(io(0))?;
        let mine = line(0);
        let mut streams: Vec<(usize, TcpStream)> = Vec::new();
        let mut problems = Vec::new();
        while streams.len() + 1 < place.hosts.len() {
            match listener.accept() {
                Ok((stream, _)) => {
                    stream.set_nonblocking(false).map_err(io(0))?;
                    stream.set_read_timeout(Some(HANDSHAKE_TIMEOUT)).map_err(io(0))?;
                    let mut theirs = String::new();
                    let _ = BufReader::new(&stream).read_line(&mut theirs);
                    let process = theirs
                        .split_whitespace()
                        .find_map(|w| w.strip_prefix("process="))
                        .and_then(|p| p.parse::<usize>().ok());
                    let expected = process.filter(|&p| p > 0 && p < place.hosts.len()).map(line);
                    if expected.as_deref() != Some(theirs.as_str()) {
                        problems.push(format!(
                            "process 0 has `{}`, a peer sent `{}`",
                            mine.trim(),
                            theirs.trim()
                        ));
                    }
                    streams.push((process.unwrap_or(usize::MAX), stream));
                }
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                    if Instant::now() > deadline {
                        let missing = (1..place.hosts.len())
                            .find(|p| streams.iter().all(|(q, _)| q != p))
                            .unwrap_or(1);
                        let why = format!("did not connect within {HANDSHAKE_TIMEOUT:?}");
                        for (_, s) in &mut streams {
                            let _ = s.write_all(format!("missing {missing} {why}\n").as_bytes());
                        }
                        return Err(place.peer(missing, why));
                    }
                    std::thread::sleep(Duration::from_millis(20));
                }
                Err(e) => return Err(place.peer(0, format!("accepting a peer: {e}"))),
            }
        }
        let verdict = if problems.is_empty() {
            "ok\n".to_owned()
        } else {
            format!("{}\n", problems.join("; "))
        };
        for (_, s) in &mut streams {
            let _ = s.write_all(verdict.as_bytes());
        }
        if !problems.is_empty() {
            return Err(place.peer(0, format!("the processes disagree: {}", problems.join("; "))));
        }
        for (p, s) in streams {
            watch.follow(p, s).map_err(io(p))?;
        }
        *watch.inner.listener.lock().map_err(|_| place.peer(0, "lock"))? = Some(listener);
        return Ok(watch);
    }
    // Bound before the handshake: once process 0 gives its verdict, every listener is up and
    // the channels connect at once (no retry with a sleep).
    let listener = TcpListener::bind(&place.hosts[place.process])
        .map_err(|e| place.peer(place.process, format!("cannot listen: {e}")))?;
    let stream = loop {
        match TcpStream::connect(&place.hosts[0]) {
            Ok(s) => break s,
            Err(e) if Instant::now() > deadline => {
                return Err(
                    place.peer(0, format!("not reachable within {HANDSHAKE_TIMEOUT:?}: {e}"))
                )
            }
            Err(_) => std::thread::sleep(Duration::from_millis(50)),
        }
    };
    stream.set_read_timeout(Some(HANDSHAKE_TIMEOUT + Duration::from_secs(5))).map_err(io(0))?;
    (&stream).write_all(line(place.process).as_bytes()).map_err(io(0))?;
    let mut verdict = String::new();
    BufReader::new(&stream)
        .read_line(&mut verdict)
        .map_err(|e| place.peer(0, format!("no verdict: {e}")))?;
    if verdict.trim() != "ok" {
        let v = verdict.trim();
        if let Some(rest) = v.strip_prefix("missing ") {
            let (p, why) = rest.split_once(' ').unwrap_or((rest, ""));
            if let Ok(p) = p.parse() {
                return Err(place.peer(p, why.to_owned()));
            }
        }
        let why = if v.is_empty() { "closed the handshake".to_owned() } else { v.to_owned() };
        return Err(place.peer(0, format!("the processes disagree: {why}")));
    }
    watch.follow(0, stream).map_err(io(0))?;
    *watch.inner.listener.lock().map_err(|_| place.peer(place.process, "lock"))? = Some(listener);
    Ok(watch)
}

/// The channels between the processes for one dataflow run: process `i` connects to every
/// process before it and accepts the ones after it on the listener the handshake bound, each
/// connection opened by the connecting process's index (8 bytes, little-endian). Slot `i` is
/// `None`.
fn mesh(place: &Placement, watch: &Watch) -> Result<Vec<Option<TcpStream>>> {
    let me = place.process;
    let n = place.hosts.len();
    let deadline = Instant::now() + HANDSHAKE_TIMEOUT;
    let mut sockets: Vec<Option<TcpStream>> = (0..n).map(|_| None).collect();
    for (j, slot) in sockets.iter_mut().enumerate().take(me) {
        let mut stream = loop {
            match TcpStream::connect(&place.hosts[j]) {
                Ok(s) => break s,
                Err(e) if Instant::now() > deadline => {
                    return Err(
                        place.peer(j, format!("not reachable within {HANDSHAKE_TIMEOUT:?}: {e}"))
                    )
                }
                Err(_) => std::thread::sleep(Duration::from_millis(10)),
            }
        };
        let io = |e: std::io::Error| place.peer(j, format!("connecting: {e}"));
        stream.set_nodelay(true).map_err(io)?;
        stream.write_all(&(me as u64).to_le_bytes()).map_err(io)?;
        *slot = Some(stream);
    }
    let guard = watch.inner.listener.lock().map_err(|_| place.peer(me, "lock"))?;
    let Some(listener) = guard.as_ref() else {
        return Err(place.peer(me, "no listener: the handshake did not run"));
    };
    let io = |e: std::io::Error| place.peer(me, format!("accepting: {e}"));
    listener.set_nonblocking(true).map_err(io)?;
    while sockets.iter().skip(me + 1).any(Option::is_none) {
        match listener.accept() {
            Ok((mut stream, _)) => {
                stream.set_nonblocking(false).map_err(io)?;
                stream.set_read_timeout(Some(HANDSHAKE_TIMEOUT)).map_err(io)?;
                let mut b = [0u8; 8];
                stream.read_exact(&mut b).map_err(io)?;
                stream.set_read_timeout(None).map_err(io)?;
                stream.set_nodelay(true).map_err(io)?;
                let j = u64::from_le_bytes(b) as usize;
                if j <= me || j >= n || sockets[j].is_some() {
                    return Err(place.peer(me, format!("an unexpected connection (process {j})")));
                }
                sockets[j] = Some(stream);
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                if let Some(e) = watch.lost() {
                    return Err(e);
                }
                if Instant::now() > deadline {
                    let j = (me + 1..n).find(|&j| sockets[j].is_none()).unwrap_or(me);
                    return Err(
                        place.peer(j, format!("did not connect within {HANDSHAKE_TIMEOUT:?}"))
                    );
                }
                std::thread::sleep(Duration::from_millis(2));
            }
            Err(e) => return Err(io(e)),
        }
    }
    Ok(sockets)
}

/// Starts one dataflow run of `func` on every worker of this process: threads in one process,
/// or, across processes, timely's channels over connections made here on the listeners the
/// [`handshake()`] bound (so no process waits out a retry).
///
/// # Errors
/// [`Error::Peer`] naming a process that cannot be connected within [`HANDSHAKE_TIMEOUT`];
/// [`Error::InvalidParam`] when timely cannot start.
pub fn execute<T, F>(
    place: &Placement,
    watch: &Watch,
    func: F,
) -> Result<timely::communication::WorkerGuards<T>>
where
    T: Send + 'static,
    F: Fn(&mut timely::worker::Worker) -> T + Send + Sync + 'static,
{
    use timely::communication::allocator::zero_copy::initialize::initialize_networking_from_sockets;
    use timely::communication::allocator::{AllocatorBuilder, ProcessBuilder};
    let started = |e: String| Error::InvalidParam {
        name: "hosts",
        reason: format!("starting the dataflow: {e}"),
    };
    if place.hosts.len() == 1 {
        return timely::execute(place.timely_config(), func).map_err(started);
    }
    let sockets = mesh(place, watch)?;
    let hooks = timely::communication::Hooks::default();
    let local =
        ProcessBuilder::new_typed_vector(place.workers, hooks.refill.clone(), hooks.spill.clone());
    let (builders, guard) =
        initialize_networking_from_sockets(local, sockets, place.process, place.workers, hooks)
            .map_err(|e| started(e.to_string()))?;
    let builders = builders.into_iter().map(AllocatorBuilder::Tcp).collect();
    let channels = Channels { guard: Some(guard), watch: watch.clone() };
    timely::execute::execute_from(
        builders,
        Box::new(channels),
        timely::WorkerConfig::default(),
        func,
    )
    .map_err(started)
}

/// Timely's channel threads, joined when the run's workers are done. When a process was lost,
/// they are left to end with the process instead: a thread reading from a silent peer would
/// never return, and the ones that saw the broken connection panicked (their messages are
/// the lost process's error, told by the workers).
struct Channels {
    guard: Option<timely::communication::allocator::zero_copy::initialize::CommsGuard>,
    watch: Watch,
}

impl Drop for Channels {
    fn drop(&mut self) {
        let Some(guard) = self.guard.take() else { return };
        if self.watch.lost().is_some() {
            std::mem::forget(guard);
            return;
        }
        // A broken connection that the watch has not reported (yet) is reported by the workers.
        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || drop(guard)));
    }
}
