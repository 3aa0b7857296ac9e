//! How many connections one client address may hold open at once. Each
//! connection is an open file; without a cap, one address that opens slow
//! connections faster than they time out takes every file the process may
//! open, and `/healthz` with everyone else's requests wait for a free one.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

use ipnet::IpNet;

/// Connections one address may hold open. A browser opens six at most per
/// site; this leaves room for a household or an office behind one address.
pub const MAX_PER_ADDRESS: usize = 64;

/// Open connections by client address (IPv6 by its /64, as the rate limits
/// count them), shared by every worker.
#[derive(Clone)]
pub struct ConnectionCap {
    open: Arc<Mutex<HashMap<String, usize>>>,
    max: usize,
    /// Proxies in front (`--trusted-proxy`): a connection from one carries
    /// many clients, so it is not counted against an address. Which client a
    /// request is from is known only once its head is read, too late to
    /// refuse the connection, so behind a proxy the proxy must cap them.
    trusted: Arc<Vec<IpNet>>,
}

/// Held for as long as a connection is open (in its connection data);
/// dropping it gives its place back.
pub struct Admitted {
    open: Arc<Mutex<HashMap<String, usize>>>,
    key: String,
}

impl Drop for Admitted {
    fn drop(&mut self) {
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(n) = open.get_mut(&self.key) {
            *n -= 1;
            if *n == 0 {
                open.remove(&self.key);
            }
        }
    }
}

/// What `admit` decided.
pub enum Admission {
    Counted(Admitted),
    /// From a trusted proxy: not counted.
    Uncounted,
    /// The address holds its most already.
    Refused,
}

impl ConnectionCap {
    pub fn new(max: usize, trusted: Vec<IpNet>) -> Self {
        ConnectionCap {
            open: Arc::default(),
            max,
            trusted: Arc::new(trusted),
        }
    }

    /// A place for one more connection from `peer`.
    pub fn admit(&self, peer: IpAddr) -> Admission {
        let peer = peer.to_canonical();
        if self.trusted.iter().any(|net| net.contains(&peer)) {
            return Admission::Uncounted;
        }
        let key = crate::auth::limits::address_key(peer);
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        let n = open.entry(key.clone()).or_insert(0);
        if *n >= self.max {
            return Admission::Refused;
        }
        *n += 1;
        Admission::Counted(Admitted {
            open: self.open.clone(),
            key,
        })
    }

    /// Addresses holding connections now.
    pub fn addresses(&self) -> usize {
        self.open.lock().unwrap_or_else(|e| e.into_inner()).len()
    }
}

/// Answers a connection over its address's cap with a 503 and shuts it
/// down: the server reads its end at once and closes it, so it holds its
/// file only for a moment.
pub fn refuse(tcp: &tokio::net::TcpStream) {
    let socket = socket2::SockRef::from(tcp);
    // A new connection's send buffer has room; if not, the shutdown alone says it.
    let _ = socket.send(
        b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\nRetry-After: 5\r\n\r\n",
    );
    if let Err(e) = socket.shutdown(std::net::Shutdown::Both) {
        tracing::debug!("could not shut a refused connection down: {e}");
    }
    tracing::debug!("a connection over its address's cap was refused");
}

/// Raises this process's soft limit of open files to its hard limit: the
/// usual soft default (1,024) is spent by a few hundred slow clients, while
/// the hard limit the system allows is usually far higher. Returns the limit
/// now in force.
pub fn raise_open_files_limit() -> std::io::Result<u64> {
    rlimit::increase_nofile_limit(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_holds_at_most_max_and_gets_its_places_back() {
        let counted = |a: &Admission| matches!(a, Admission::Counted(_));
        let refused = |a: &Admission| matches!(a, Admission::Refused);
        let cap = ConnectionCap::new(2, vec!["10.0.0.0/8".parse().unwrap()]);
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let first = cap.admit(a);
        let second = cap.admit(a);
        assert!(counted(&first) && counted(&second));
        assert!(refused(&cap.admit(a)));
        assert!(counted(&cap.admit("192.0.2.2".parse().unwrap())));
        drop(first);
        let third = cap.admit(a);
        assert!(counted(&third));
        drop((second, third));
        assert_eq!(cap.addresses(), 0);
        // The /64 is one address; a trusted proxy is never counted.
        let cap = ConnectionCap::new(1, vec!["10.0.0.0/8".parse().unwrap()]);
        let held = cap.admit("2001:db8::1".parse().unwrap());
        assert!(counted(&held));
        assert!(refused(&cap.admit("2001:db8::2".parse().unwrap())));
        for _ in 0..3 {
            let proxy = cap.admit("10.1.2.3".parse().unwrap());
            assert!(matches!(proxy, Admission::Uncounted));
        }
    }
}
