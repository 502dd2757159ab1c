//! Login back-off: failed logins per account name and per client address. After a few free
//! failures each further one doubles the wait before the next attempt is even checked (up to
//! a quarter of an hour); a success clears the account's count. Memory is bounded: the oldest
//! entries are forgotten first.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Failures an account name may have before it must wait.
const FREE_PER_ACCOUNT: u32 = 5;
/// Failures one address may have (across names) before it must wait: more than an account's,
/// since several people may share an address.
const FREE_PER_ADDRESS: u32 = 20;
/// The longest wait.
const MAX_WAIT: Duration = Duration::from_secs(15 * 60);
/// Failures older than this are forgotten.
const FORGET_AFTER: Duration = Duration::from_secs(60 * 60);
/// Most names and addresses remembered at once.
const MAX_KEYS: usize = 100_000;

#[derive(Debug, Clone, Copy)]
struct Failures {
    count: u32,
    last: Instant,
}

/// What a login attempt is counted under.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    Account(String),
    Address(IpAddr),
}

/// The failed logins the node remembers.
#[derive(Debug, Default)]
pub struct LoginThrottle {
    failures: Mutex<HashMap<Key, Failures>>,
}

impl LoginThrottle {
    /// How long the caller must still wait before a login for `name` from `address` is
    /// checked; `None`: it may be checked now.
    pub fn wait(&self, name: &str, address: Option<IpAddr>) -> Option<Duration> {
        let now = Instant::now();
        let map = self.failures.lock().expect("throttle lock");
        let wait_for = |key: &Key, free: u32| {
            let f = map.get(key)?;
            let over = f.count.checked_sub(free)?.checked_sub(1)?;
            let wait = Duration::from_secs(1u64 << over.min(20)).min(MAX_WAIT);
            (f.last + wait).checked_duration_since(now)
        };
        let account = wait_for(&Key::Account(normalise(name)), FREE_PER_ACCOUNT);
        let addr = address.and_then(|a| wait_for(&Key::Address(a), FREE_PER_ADDRESS));
        account.max(addr)
    }

    /// Counts a failed login.
    pub fn failed(&self, name: &str, address: Option<IpAddr>) {
        let now = Instant::now();
        let mut map = self.failures.lock().expect("throttle lock");
        if map.len() >= MAX_KEYS {
            map.retain(|_, f| now.duration_since(f.last) < FORGET_AFTER);
            if map.len() >= MAX_KEYS {
                // Still full (an attack from many names): forget the older half.
                let mut times: Vec<Instant> = map.values().map(|f| f.last).collect();
                times.sort_unstable();
                let cut = times[times.len() / 2];
                map.retain(|_, f| f.last > cut);
            }
        }
        let keys = std::iter::once(Key::Account(normalise(name))).chain(address.map(Key::Address));
        for key in keys {
            let f = map.entry(key).or_insert(Failures { count: 0, last: now });
            if now.duration_since(f.last) >= FORGET_AFTER {
                f.count = 0;
            }
            f.count += 1;
            f.last = now;
        }
    }

    /// A successful login: the account's failures are cleared (the address's stay).
    pub fn succeeded(&self, name: &str) {
        self.failures.lock().expect("throttle lock").remove(&Key::Account(normalise(name)));
    }
}

fn normalise(name: &str) -> String {
    name.trim().to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_account_waits_after_its_free_failures_and_a_success_clears_it() {
        let t = LoginThrottle::default();
        let addr: IpAddr = "192.0.2.1".parse().unwrap();
        for _ in 0..FREE_PER_ACCOUNT {
            assert_eq!(t.wait("alice", Some(addr)), None);
            t.failed("alice", Some(addr));
        }
        assert_eq!(t.wait("Alice ", None), None, "at the limit, not over it");
        t.failed("alice", Some(addr));
        let wait = t.wait("ALICE", None).expect("over the limit: a wait");
        assert!(wait <= Duration::from_secs(2) && wait > Duration::ZERO, "{wait:?}");
        // Another account from another address is not affected.
        assert_eq!(t.wait("bob", Some("192.0.2.2".parse().unwrap())), None);
        t.succeeded("alice");
        assert_eq!(t.wait("alice", None), None);
    }

    #[test]
    fn an_address_trying_many_names_waits_too() {
        let t = LoginThrottle::default();
        let addr: IpAddr = "2001:db8::1".parse().unwrap();
        for i in 0..=FREE_PER_ADDRESS {
            t.failed(&format!("user{i}"), Some(addr));
        }
        assert!(t.wait("someone-new", Some(addr)).is_some());
        assert_eq!(t.wait("someone-new", Some("2001:db8::2".parse().unwrap())), None);
    }

    #[test]
    fn waits_double_and_stop_at_the_maximum() {
        let t = LoginThrottle::default();
        for _ in 0..(FREE_PER_ACCOUNT + 40) {
            t.failed("mallory", None);
        }
        let wait = t.wait("mallory", None).unwrap();
        assert!(wait <= MAX_WAIT && wait > MAX_WAIT - Duration::from_secs(5), "{wait:?}");
    }
}

/// How many LAPIS questions one client may ask: a bucket of `burst` questions refilled at
/// `per_second`, per address for anonymous clients (per user, four times as much, for
/// logged-in ones). A dashboard's burst of a few dozen questions passes; a client hammering the
/// node waits and is told how long (429 with `Retry-After`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ClientRate {
    /// Questions refilled per second.
    pub per_second: f64,
    /// Questions a client may ask at once.
    pub burst: f64,
}

impl Default for ClientRate {
    fn default() -> Self {
        ClientRate { per_second: 50.0, burst: 300.0 }
    }
}

/// Who a question is counted against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Client {
    /// A logged-in user (token or session), by id.
    User(i64),
    /// An anonymous client, by address.
    Address(IpAddr),
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

/// The query budgets of the clients seen lately.
#[derive(Debug, Default)]
pub struct QueryBudgets {
    rate: ClientRate,
    buckets: Mutex<HashMap<Client, Bucket>>,
}

impl QueryBudgets {
    /// Budgets at `rate`.
    pub fn new(rate: ClientRate) -> QueryBudgets {
        QueryBudgets { rate, buckets: Mutex::default() }
    }

    /// Takes one question from `client`'s budget, or says how long until one is free.
    pub fn take(&self, client: Client) -> Result<(), Duration> {
        let scale = if matches!(client, Client::User(_)) { 4.0 } else { 1.0 };
        let (burst, per_second) = (self.rate.burst * scale, self.rate.per_second * scale);
        let now = Instant::now();
        let mut map = self.buckets.lock().expect("budget lock");
        if map.len() >= MAX_KEYS {
            // Clients whose bucket has filled up again owe nothing: forget them.
            map.retain(|_, b| b.tokens + now.duration_since(b.at).as_secs_f64() * per_second < burst);
        }
        let b = map.entry(client).or_insert(Bucket { tokens: burst, at: now });
        b.tokens = (b.tokens + now.duration_since(b.at).as_secs_f64() * per_second).min(burst);
        b.at = now;
        if b.tokens >= 1.0 {
            b.tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - b.tokens) / per_second.max(f64::MIN_POSITIVE)))
        }
    }
}

#[cfg(test)]
mod budget_tests {
    use super::*;

    #[test]
    fn a_client_past_its_burst_waits_and_others_do_not() {
        let budgets = QueryBudgets::new(ClientRate { per_second: 1.0, burst: 3.0 });
        let a = Client::Address("192.0.2.7".parse().unwrap());
        for _ in 0..3 {
            assert_eq!(budgets.take(a), Ok(()));
        }
        let wait = budgets.take(a).unwrap_err();
        assert!(wait > Duration::ZERO && wait <= Duration::from_secs(1), "{wait:?}");
        assert_eq!(budgets.take(Client::Address("192.0.2.8".parse().unwrap())), Ok(()));
        // A logged-in user has four times the burst.
        let u = Client::User(1);
        for _ in 0..12 {
            assert_eq!(budgets.take(u), Ok(()));
        }
        assert!(budgets.take(u).is_err());
    }
}
