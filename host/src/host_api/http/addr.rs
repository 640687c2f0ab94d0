//! Which addresses a plugin may connect to: not loopback, private, link-local,
//! CGNAT, multicast, reserved or cloud metadata, in IPv4, IPv6 and every IPv6
//! form that embeds an IPv4 address, unless the operator allowed the network.

use ipnet::IpNet;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Why `ip` is refused, or `None` if it is a public address.
pub fn refused(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => refused_v4(v4),
        IpAddr::V6(v6) => refused_v6(v6),
    }
}

/// Whether `ip` may be reached: public, or inside a network the operator allowed.
pub fn check(ip: IpAddr, allowed: &[IpNet]) -> Result<(), String> {
    match refused(ip) {
        None => Ok(()),
        Some(_) if allowed.iter().any(|n| n.contains(&ip)) => Ok(()),
        Some(why) => Err(format!("{ip} is a {why} address")),
    }
}

fn refused_v4(ip: Ipv4Addr) -> Option<&'static str> {
    let [a, b, c, _] = ip.octets();
    Some(match (a, b, c) {
        (0, _, _) => "\"this network\" (0.0.0.0/8)",
        (127, _, _) => "loopback",
        (10, _, _) => "private",
        (172, 16..=31, _) => "private",
        (192, 168, _) => "private",
        (169, 254, _) => "link-local / cloud metadata",
        (100, 64..=127, _) => "carrier-grade NAT",
        (192, 0, 0) => "IETF protocol assignment",
        (192, 0, 2) | (198, 51, 100) | (203, 0, 113) => "documentation",
        (198, 18..=19, _) => "benchmarking",
        (224..=239, _, _) => "multicast",
        (240..=255, _, _) => "reserved or broadcast",
        _ => return None,
    })
}

fn refused_v6(ip: Ipv6Addr) -> Option<&'static str> {
    if ip.is_loopback() {
        return Some("loopback");
    }
    if ip.is_unspecified() {
        return Some("unspecified");
    }
    if let Some(v4) = embedded_v4(ip) {
        if let Some(why) = refused_v4(v4) {
            return Some(why);
        }
        if ip.segments()[..6] == [0; 6] {
            return Some("deprecated IPv4-compatible IPv6");
        }
        return None;
    }
    let s = ip.segments();
    Some(match s[0] {
        0xfc00..=0xfdff => "unique local (private)",
        0xfe80..=0xfebf => "link-local",
        0xfec0..=0xfeff => "site-local",
        0xff00..=0xffff => "multicast",
        0x2001 if s[1] == 0x0db8 => "documentation",
        0x2001 if s[1] < 0x0200 => "IETF special-purpose",
        0x0100 if s[1..4] == [0, 0, 0] => "discard-only",
        _ => return None,
    })
}

/// The IPv4 address inside an IPv4-mapped, IPv4-compatible, NAT64 or 6to4 address.
fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return Some(v4);
    }
    let s = ip.segments();
    let tail = Ipv4Addr::new((s[6] >> 8) as u8, s[6] as u8, (s[7] >> 8) as u8, s[7] as u8);
    if s[..6] == [0; 6] {
        return Some(tail); // IPv4-compatible ::a.b.c.d
    }
    if s[..6] == [0x64, 0xff9b, 0, 0, 0, 0] || (s[0] == 0x64 && s[1] == 0xff9b && s[2] == 1) {
        return Some(tail); // NAT64
    }
    if s[0] == 0x2002 {
        return Some(Ipv4Addr::new(
            (s[1] >> 8) as u8,
            s[1] as u8,
            (s[2] >> 8) as u8,
            s[2] as u8,
        )); // 6to4
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no(s: &str) -> bool {
        refused(s.parse().unwrap()).is_some()
    }

    #[test]
    fn refuses_internal_addresses() {
        for a in [
            "127.0.0.1",
            "127.1.2.3",
            "10.0.0.1",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "224.0.0.1",
            "255.255.255.255",
            "::1",
            "::",
            "fe80::1",
            "fc00::1",
            "fd00:ec2::254",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "::127.0.0.1",
            "64:ff9b::a9fe:a9fe",
            "2002:7f00:1::",
            "ff02::1",
        ] {
            assert!(no(a), "{a} should be refused");
        }
    }

    #[test]
    fn allows_public_addresses() {
        for a in [
            "93.184.216.34",
            "8.8.8.8",
            "172.32.0.1",
            "2606:4700::1111",
            "::ffff:8.8.8.8",
        ] {
            assert!(!no(a), "{a} should be allowed");
        }
    }

    #[test]
    fn operator_networks_win() {
        let allowed: Vec<IpNet> = vec!["127.0.0.0/8".parse().unwrap()];
        assert!(check("127.0.0.1".parse().unwrap(), &allowed).is_ok());
        assert!(check("10.0.0.1".parse().unwrap(), &allowed).is_err());
    }
}
