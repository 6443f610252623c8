//! The layer name of a PostGIS table:
//! `postgresql://[user@]host[:port]/dbname?table=[schema.]table[&geometry=column]`.
//!
//! Parts may be percent-encoded (a Japanese table name, a socket folder as the host). A password
//! is refused: it would be printed in messages and saved in project files; libpq reads it from
//! PGPASSWORD, ~/.pgpass or a PGSERVICE entry instead.

/// A parsed PostGIS layer name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PgUrl {
    /// The name as given (it holds no password), for messages and as the layer's path.
    pub text: String,
    pub user: Option<String>,
    /// A host name, an address, or a socket folder; `None`: libpq's default.
    pub host: Option<String>,
    pub port: Option<String>,
    pub dbname: String,
    /// `schema.table` as given: split against the catalogue, which knows which tables exist.
    pub table: String,
    pub geometry: Option<String>,
}

/// The schemes a PostGIS layer name starts with (libpq accepts both).
const SCHEMES: [&str; 2] = ["postgresql://", "postgres://"];

/// Whether `text` names a PostGIS layer (and is to be parsed as one, errors included).
pub fn is_pg_url(text: &str) -> bool {
    scheme_len(text).is_some()
}

/// The length of the scheme `text` starts with, if it is one of [`SCHEMES`].
fn scheme_len(text: &str) -> Option<usize> {
    SCHEMES
        .iter()
        .find(|s| {
            text.get(..s.len())
                .is_some_and(|p| p.eq_ignore_ascii_case(s))
        })
        .map(|s| s.len())
}

/// `text` with any password taken out (`user:…@`, `password=…`), for messages about a URL
/// that was refused for carrying one.
pub fn redact(text: &str) -> String {
    let Some(n) = scheme_len(text) else {
        return text.to_string();
    };
    let (scheme, rest) = text.split_at(n);
    let end = rest.find('/').unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    let authority = match authority.rsplit_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, _)) => format!("{user}:…@{host}"),
            None => authority.to_string(),
        },
        None => authority.to_string(),
    };
    let tail = match tail.split_once('?') {
        Some((path, query)) => {
            let pairs: Vec<String> = query
                .split('&')
                .map(|p| match p.split_once('=') {
                    Some((k, _)) if k.eq_ignore_ascii_case("password") => format!("{k}=…"),
                    _ => p.to_string(),
                })
                .collect();
            format!("{path}?{}", pairs.join("&"))
        }
        None => tail.to_string(),
    };
    format!("{scheme}{authority}{tail}")
}

impl PgUrl {
    /// Parses a layer name; the error says what is wrong, in words for the user.
    pub fn parse(text: &str) -> Result<PgUrl, String> {
        let rest = scheme_len(text)
            .and_then(|n| text.get(n..))
            .ok_or("a PostGIS layer starts with postgresql://")?;
        let (authority, rest) = rest.split_once('/').ok_or(
            "no database: write postgresql://[user@]host[:port]/dbname?table=[schema.]table",
        )?;
        let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
        let (user, hostport) = match authority.rsplit_once('@') {
            Some((userinfo, hostport)) => {
                if userinfo.contains(':') {
                    return Err("a password in the URL is not accepted (it would show in \
                                messages and project files): put it in ~/.pgpass, PGPASSWORD or \
                                a PGSERVICE entry"
                        .into());
                }
                (Some(decode(userinfo, "user")?), hostport)
            }
            None => (None, authority),
        };
        let (host, port) = split_host_port(hostport)?;
        let dbname = decode(path, "database name")?;
        if dbname.is_empty() {
            return Err("no database name after the host".into());
        }
        let mut table = None;
        let mut geometry = None;
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            let value = decode(value, key)?;
            match key {
                "table" => table = Some(value),
                "geometry" => geometry = Some(value),
                "password" => {
                    return Err(
                        "a password in the URL is not accepted: put it in ~/.pgpass, \
                                PGPASSWORD or a PGSERVICE entry"
                            .into(),
                    );
                }
                other => {
                    return Err(format!(
                        "unknown parameter '{other}' (the URL takes table= and geometry=; \
                         connection settings come from PGSERVICE or the PG… variables)"
                    ));
                }
            }
        }
        let table = table
            .filter(|t| !t.is_empty())
            .ok_or("no table: add ?table=[schema.]table")?;
        if geometry.as_deref() == Some("") {
            return Err("geometry= names no column".into());
        }
        Ok(PgUrl {
            text: text.to_string(),
            user: user.filter(|u| !u.is_empty()),
            host,
            port,
            dbname,
            table,
            geometry,
        })
    }

    /// libpq's keyword/value pairs for this URL; what is not here comes from libpq's defaults
    /// and environment (PGPASSWORD, ~/.pgpass, PGSERVICE, PGSSLMODE, …).
    pub fn connect_params(&self) -> Vec<(&'static str, String)> {
        let mut params = vec![("dbname", self.dbname.clone())];
        for (key, value) in [
            ("user", &self.user),
            ("host", &self.host),
            ("port", &self.port),
        ] {
            if let Some(v) = value {
                params.push((key, v.clone()));
            }
        }
        params.push(("connect_timeout", "10".into()));
        params.push(("client_encoding", "UTF8".into()));
        params.push(("application_name", "sitelens".into()));
        params
    }
}

/// `host`, `host:port`, `[::1]:port`, or nothing.
fn split_host_port(text: &str) -> Result<(Option<String>, Option<String>), String> {
    let (host, port) = if let Some(inner) = text.strip_prefix('[') {
        let (host, after) = inner
            .split_once(']')
            .ok_or("an IPv6 address opened with [ is not closed")?;
        (host.to_string(), after.strip_prefix(':'))
    } else {
        match text.rsplit_once(':') {
            Some((h, p)) => (h.to_string(), Some(p)),
            None => (text.to_string(), None),
        }
    };
    let port = match port {
        Some(p) if p.parse::<u16>().is_ok_and(|n| n > 0) => Some(p.to_string()),
        Some(p) => return Err(format!("port '{p}' is not a number from 1 to 65535")),
        None => None,
    };
    let host = decode(&host, "host")?;
    Ok(((!host.is_empty()).then_some(host), port))
}

/// Percent-decoding; the result must be UTF-8 text without NUL.
fn decode(text: &str, what: &str) -> Result<String, String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| format!("{what}: '%' must be followed by two hex digits"))?;
            out.push(hex);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    let s = String::from_utf8(out).map_err(|_| format!("{what}: not UTF-8 once decoded"))?;
    if s.contains('\0') {
        return Err(format!("{what}: contains a NUL character"));
    }
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_part_is_read() {
        let u = PgUrl::parse(
            "postgresql://gis@db.example:5433/city?table=plan.%E7%94%A8%E9%80%94&geometry=shape",
        )
        .unwrap();
        assert_eq!(u.user.as_deref(), Some("gis"));
        assert_eq!(u.host.as_deref(), Some("db.example"));
        assert_eq!(u.port.as_deref(), Some("5433"));
        assert_eq!(u.dbname, "city");
        assert_eq!(u.table, "plan.用途");
        assert_eq!(u.geometry.as_deref(), Some("shape"));
        let u = PgUrl::parse("postgres://[::1]/db?table=t").unwrap();
        assert_eq!((u.host.as_deref(), u.port), (Some("::1"), None));
        let u = PgUrl::parse("postgresql:///db?table=t").unwrap();
        assert_eq!((u.host, u.user), (None, None));
        let u = PgUrl::parse("postgresql://%2Ftmp%2Fpg/db?table=t").unwrap();
        assert_eq!(u.host.as_deref(), Some("/tmp/pg"));
    }

    #[test]
    fn passwords_and_mistakes_are_refused_with_the_reason() {
        let e = PgUrl::parse("postgresql://gis:secret@h/db?table=t").unwrap_err();
        assert!(e.contains("password") && !e.contains("secret"), "{e}");
        let e = PgUrl::parse("postgresql://h/db?table=t&password=x").unwrap_err();
        assert!(e.contains("password"), "{e}");
        assert!(
            PgUrl::parse("postgresql://h/db")
                .unwrap_err()
                .contains("table")
        );
        assert!(PgUrl::parse("postgresql://h?table=t").is_err());
        assert!(
            PgUrl::parse("postgresql://h:99999/db?table=t")
                .unwrap_err()
                .contains("port")
        );
        assert!(
            PgUrl::parse("postgresql://h/db?table=t&sslmode=off")
                .unwrap_err()
                .contains("sslmode")
        );
        assert!(PgUrl::parse("postgresql://h/db?table=%zz").is_err());
        assert!(PgUrl::parse("postgresql://h/db?table=a%00b").is_err());
    }

    #[test]
    fn only_postgresql_urls_are_claimed() {
        assert!(is_pg_url("postgresql://h/db?table=t"));
        assert!(is_pg_url("POSTGRES://h/db?table=t"));
        assert!(!is_pg_url("postgis.geojson"));
        assert!(!is_pg_url("data/postgresql://x"));
    }
}
