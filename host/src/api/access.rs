//! Who may use the API: `--api-allow` as cgminer reads it. A comma-separated
//! list of `[W:|R:]ADDR[/PREFIX]`; IPv4 addresses are padded with `.0`s
//! (`10.0.0/24`), no prefix means the one address, `0/0` every address. `W:`
//! grants the privileged commands, `R:` (or nothing) the read-only ones; the
//! first entry that matches decides. Without `--api-allow`, clients on this
//! machine (loopback) may read and nobody may change anything.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

use thiserror::Error;

/// What a client may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Read-only commands.
    Read,
    /// Every command, `switchpool` and `quit` among them.
    Privileged,
}

/// An `--api-allow` entry that could not be read.
#[derive(Debug, Error, PartialEq, Eq)]
#[error("--api-allow entry {entry:?}: {reason} (form: [W:]ADDR[/PREFIX], e.g. W:127.0.0.1,192.168.1.0/24)")]
pub struct AllowError {
    /// The entry.
    pub entry: String,
    /// What is wrong with it.
    pub reason: &'static str,
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Entry {
    net: IpAddr,
    prefix: u8,
    access: Access,
}

impl Entry {
    fn matches(&self, ip: IpAddr) -> bool {
        match (self.net, ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

/// The clients allowed, in the order given.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AllowList(Vec<Entry>);

impl AllowList {
    /// What `peer` may do: `None` means it is not served at all. Without a list
    /// (`None`), loopback clients may read.
    pub fn access(list: Option<&AllowList>, peer: IpAddr) -> Option<Access> {
        let peer = unmapped(peer);
        match list {
            None => peer.is_loopback().then_some(Access::Read),
            Some(list) => list.0.iter().find(|e| e.matches(peer)).map(|e| e.access),
        }
    }
}

/// An IPv4 client seen through an IPv6 socket (`::ffff:a.b.c.d`) as IPv4.
fn unmapped(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

fn parse_entry(text: &str) -> Result<Entry, AllowError> {
    let fail = |reason| AllowError {
        entry: text.to_string(),
        reason,
    };
    // `a::1` is an address, not a group `a` (groups are one letter and a colon).
    let (access, rest) = match text.split_once(':').filter(|(_, r)| !r.starts_with(':')) {
        Some((g, rest)) if g.eq_ignore_ascii_case("W") => (Access::Privileged, rest),
        Some((g, rest)) if g.eq_ignore_ascii_case("R") => (Access::Read, rest),
        Some((g, _)) if g.len() == 1 && g.chars().all(|c| c.is_ascii_alphabetic()) => {
            return Err(fail(
                "only the groups W: (privileged) and R: (read-only) exist",
            ))
        }
        _ => (Access::Read, text),
    };
    let (addr, prefix) = match rest.split_once('/') {
        Some((a, p)) => (a, Some(p)),
        None => (rest, None),
    };
    let net = if addr.contains(':') {
        addr.parse::<Ipv6Addr>()
            .map(IpAddr::V6)
            .map_err(|_| fail("not an IP address"))?
    } else {
        let mut parts: Vec<&str> = addr.split('.').collect();
        if parts.len() > 4 || parts.iter().any(|p| p.is_empty()) {
            return Err(fail("not an IP address"));
        }
        parts.resize(4, "0");
        parts
            .join(".")
            .parse::<Ipv4Addr>()
            .map(IpAddr::V4)
            .map_err(|_| fail("not an IP address"))?
    };
    let max = if net.is_ipv4() { 32 } else { 128 };
    let prefix = match prefix {
        None => max,
        Some(p) => match p.parse::<u8>() {
            Ok(p) if p <= max => p,
            _ => return Err(fail("the prefix must be a number of bits the address has")),
        },
    };
    Ok(Entry {
        net,
        prefix,
        access,
    })
}

impl FromStr for AllowList {
    type Err = AllowError;

    fn from_str(text: &str) -> Result<Self, AllowError> {
        let entries = text
            .split(',')
            .map(str::trim)
            .filter(|e| !e.is_empty())
            .map(parse_entry)
            .collect::<Result<Vec<_>, _>>()?;
        if entries.is_empty() {
            return Err(AllowError {
                entry: text.to_string(),
                reason: "names no address",
            });
        }
        Ok(AllowList(entries))
    }
}

impl fmt::Display for AllowList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self
            .0
            .iter()
            .map(|e| {
                let group = if e.access == Access::Privileged {
                    "W:"
                } else {
                    ""
                };
                format!("{group}{}/{}", e.net, e.prefix)
            })
            .collect();
        f.write_str(&parts.join(","))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn without_a_list_only_this_machine_reads() {
        assert_eq!(AllowList::access(None, ip("127.0.0.1")), Some(Access::Read));
        assert_eq!(AllowList::access(None, ip("::1")), Some(Access::Read));
        assert_eq!(
            AllowList::access(None, ip("::ffff:127.0.0.1")),
            Some(Access::Read)
        );
        assert_eq!(AllowList::access(None, ip("192.168.1.5")), None);
    }

    #[test]
    fn entries_pad_match_by_prefix_and_the_first_match_decides() {
        let list: AllowList = "W:127.0.0.1, 10.0.0/24,R:192.168.0.0/16,W:0/0"
            .parse()
            .unwrap();
        let a = |s| AllowList::access(Some(&list), ip(s));
        assert_eq!(a("127.0.0.1"), Some(Access::Privileged));
        assert_eq!(a("10.0.0.77"), Some(Access::Read));
        assert_eq!(a("192.168.4.4"), Some(Access::Read));
        assert_eq!(a("8.8.8.8"), Some(Access::Privileged));
        let list: AllowList = "W:192.168.1.0/24".parse().unwrap();
        assert_eq!(AllowList::access(Some(&list), ip("127.0.0.1")), None);
        assert_eq!(AllowList::access(Some(&list), ip("192.168.2.1")), None);
        let bare: AllowList = "a::1".parse().unwrap();
        assert_eq!(
            AllowList::access(Some(&bare), ip("a::1")),
            Some(Access::Read)
        );
        let v6: AllowList = "W:fe80::/10".parse().unwrap();
        assert_eq!(
            AllowList::access(Some(&v6), ip("fe80::1")),
            Some(Access::Privileged)
        );
        assert_eq!(list.to_string(), "W:192.168.1.0/24");
    }

    #[test]
    fn bad_entries_say_what_is_wrong() {
        for bad in [
            "",
            ",",
            "W:",
            "300.1.1.1",
            "1.2.3.4.5",
            "1..2",
            "10.0.0.0/33",
            "X:1.2.3.4",
            "::1/129",
            "host",
        ] {
            assert!(bad.parse::<AllowList>().is_err(), "{bad:?}");
        }
        assert_eq!(
            "10.0.0.0/33".parse::<AllowList>().unwrap_err().to_string(),
            "--api-allow entry \"10.0.0.0/33\": the prefix must be a number of bits the address has \
             (form: [W:]ADDR[/PREFIX], e.g. W:127.0.0.1,192.168.1.0/24)"
        );
    }
}
