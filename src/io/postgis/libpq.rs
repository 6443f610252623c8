//! A small safe face on libpq (through `pq-sys`): a connection opened from keyword/value pairs,
//! statements run with every value a bound parameter, and results read cell by cell.
//!
//! Only what the PostGIS loader needs: no pipelining, no COPY, no asynchronous calls. Every
//! pointer libpq hands out lives inside the [`Conn`] or [`Rows`] that owns it, and is freed in
//! their `Drop`.

use std::ffi::{CStr, CString, c_char, c_int, c_void};
use std::ptr::NonNull;

use pq_sys as pq;

/// An open connection.
pub struct Conn {
    raw: NonNull<pq::PGconn>,
}

// SAFETY: a libpq connection may move between threads as long as one thread uses it at a time
// (libpq's documentation on thread safety); `Conn` is not `Sync`, and every call takes `&self`
// on the one thread that holds it.
unsafe impl Send for Conn {}

/// An error from the server or from libpq, on one line, with the server's SQLSTATE when it sent
/// one (e.g. 42P01: undefined table, 57014: query cancelled by the statement timeout).
#[derive(Debug, Clone)]
pub struct PgError {
    pub message: String,
    pub sqlstate: Option<String>,
}

impl std::fmt::Display for PgError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl PgError {
    fn new(message: impl Into<String>) -> Self {
        PgError {
            message: one_line(&message.into()),
            sqlstate: None,
        }
    }
}

/// libpq's messages span lines (a tab-indented hint after the cause): one line for the user.
fn one_line(text: &str) -> String {
    text.split('\n')
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("; ")
}

/// Notices (e.g. "there is no transaction in progress") would go to stderr; they are dropped.
unsafe extern "C" fn ignore_notice(_arg: *mut c_void, _message: *const c_char) {}

fn c_string(what: &str, text: &str) -> Result<CString, PgError> {
    CString::new(text).map_err(|_| PgError::new(format!("{what} contains a NUL character")))
}

/// Text owned by libpq (NUL-terminated), copied out; empty for a null pointer.
///
/// # Safety
/// `ptr` is null or points to a NUL-terminated string that stays valid during the call.
unsafe fn owned_text(ptr: *const c_char) -> String {
    if ptr.is_null() {
        return String::new();
    }
    // SAFETY: per the function's contract.
    unsafe { CStr::from_ptr(ptr) }
        .to_string_lossy()
        .into_owned()
}

impl Conn {
    /// Connects with libpq's keyword/value pairs (`host`, `port`, `dbname`, `user`, …). What is
    /// not given comes from libpq's usual places: PGHOST, PGPASSWORD, ~/.pgpass, PGSERVICE.
    pub fn connect(params: &[(&str, &str)]) -> Result<Conn, PgError> {
        let mut owned = Vec::with_capacity(params.len());
        for (key, value) in params {
            owned.push((c_string(key, key)?, c_string(key, value)?));
        }
        let mut keys: Vec<*const c_char> = owned.iter().map(|(k, _)| k.as_ptr()).collect();
        let mut values: Vec<*const c_char> = owned.iter().map(|(_, v)| v.as_ptr()).collect();
        keys.push(std::ptr::null());
        values.push(std::ptr::null());
        // SAFETY: both arrays are NULL-terminated and point to strings alive for the call;
        // expand_dbname = 0, so a dbname is a name and never read as a connection string.
        let raw = unsafe { pq::PQconnectdbParams(keys.as_ptr(), values.as_ptr(), 0) };
        let raw = NonNull::new(raw)
            .ok_or_else(|| PgError::new("libpq could not allocate a connection"))?;
        let conn = Conn { raw };
        // SAFETY: a live connection handle.
        if unsafe { pq::PQstatus(conn.raw.as_ptr()) } != pq::ConnStatusType::CONNECTION_OK {
            return Err(PgError::new(conn.error_message()));
        }
        // SAFETY: a live connection; the processor takes no state.
        unsafe {
            pq::PQsetNoticeProcessor(conn.raw.as_ptr(), Some(ignore_notice), std::ptr::null_mut());
        }
        Ok(conn)
    }

    fn error_message(&self) -> String {
        // SAFETY: a live connection; the message is owned by it and copied at once.
        unsafe { owned_text(pq::PQerrorMessage(self.raw.as_ptr())) }
    }

    /// Runs one statement; `params` are sent as text, bound to `$1`, `$2`, … (`None` is SQL
    /// NULL), so no value is ever part of the SQL text. With `binary`, results come in binary
    /// format (text columns as their UTF-8 bytes, bytea as raw bytes).
    pub fn exec(
        &self,
        sql: &str,
        params: &[Option<String>],
        binary: bool,
    ) -> Result<Rows, PgError> {
        let sql = c_string("the statement", sql)?;
        let mut owned = Vec::with_capacity(params.len());
        for p in params {
            owned.push(
                p.as_deref()
                    .map(|v| c_string("a filter value", v))
                    .transpose()?,
            );
        }
        let pointers: Vec<*const c_char> = owned
            .iter()
            .map(|p| p.as_ref().map_or(std::ptr::null(), |c| c.as_ptr()))
            .collect();
        let count = c_int::try_from(pointers.len())
            .map_err(|_| PgError::new("too many parameters in one statement"))?;
        // SAFETY: a live connection; `sql` and every parameter are NUL-terminated strings alive
        // for the call; types, lengths and formats may be null (inferred types, text format).
        let result = unsafe {
            pq::PQexecParams(
                self.raw.as_ptr(),
                sql.as_ptr(),
                count,
                std::ptr::null(),
                pointers.as_ptr(),
                std::ptr::null(),
                std::ptr::null(),
                c_int::from(binary),
            )
        };
        let Some(raw) = NonNull::new(result) else {
            return Err(PgError::new(self.error_message()));
        };
        let rows = Rows { raw };
        // SAFETY: a live result.
        let status = unsafe { pq::PQresultStatus(rows.raw.as_ptr()) };
        match status {
            pq::ExecStatusType::PGRES_COMMAND_OK | pq::ExecStatusType::PGRES_TUPLES_OK => Ok(rows),
            _ => Err(rows.error()),
        }
    }
}

impl Drop for Conn {
    fn drop(&mut self) {
        // SAFETY: the handle came from PQconnectdbParams and is finished once.
        unsafe { pq::PQfinish(self.raw.as_ptr()) }
    }
}

/// The rows a statement returned.
pub struct Rows {
    raw: NonNull<pq::PGresult>,
}

impl Rows {
    fn error(&self) -> PgError {
        let field = |code: u8| {
            // SAFETY: a live result; the field is owned by it and copied at once.
            let text =
                unsafe { owned_text(pq::PQresultErrorField(self.raw.as_ptr(), c_int::from(code))) };
            (!text.is_empty()).then_some(text)
        };
        let message = field(pq::PG_DIAG_MESSAGE_PRIMARY).unwrap_or_else(|| {
            // SAFETY: as above.
            unsafe { owned_text(pq::PQresultErrorMessage(self.raw.as_ptr())) }
        });
        PgError {
            message: one_line(&message),
            sqlstate: field(pq::PG_DIAG_SQLSTATE),
        }
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        // SAFETY: a live result.
        usize::try_from(unsafe { pq::PQntuples(self.raw.as_ptr()) }).unwrap_or(0)
    }

    /// Number of columns.
    pub fn columns(&self) -> usize {
        // SAFETY: a live result.
        usize::try_from(unsafe { pq::PQnfields(self.raw.as_ptr()) }).unwrap_or(0)
    }

    /// The bytes of one cell, `None` when it is NULL or outside the result.
    pub fn get(&self, row: usize, column: usize) -> Option<&[u8]> {
        if row >= self.len() || column >= self.columns() {
            return None;
        }
        let (r, c) = (c_int::try_from(row).ok()?, c_int::try_from(column).ok()?);
        // SAFETY: a live result and a cell inside it (checked above). The value pointer and its
        // length stay valid as long as the result, which the returned slice borrows.
        unsafe {
            if pq::PQgetisnull(self.raw.as_ptr(), r, c) != 0 {
                return None;
            }
            let ptr = pq::PQgetvalue(self.raw.as_ptr(), r, c);
            let len = usize::try_from(pq::PQgetlength(self.raw.as_ptr(), r, c)).ok()?;
            if ptr.is_null() {
                return None;
            }
            Some(std::slice::from_raw_parts(ptr.cast::<u8>(), len))
        }
    }

    /// One cell as text (lossy for bytes that are not UTF-8), `None` when NULL.
    pub fn text(&self, row: usize, column: usize) -> Option<String> {
        self.get(row, column)
            .map(|b| String::from_utf8_lossy(b).into_owned())
    }
}

impl Drop for Rows {
    fn drop(&mut self) {
        // SAFETY: the result came from PQexecParams and is cleared once.
        unsafe { pq::PQclear(self.raw.as_ptr()) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_become_one_line() {
        assert_eq!(
            one_line("connection failed: refused\n\tIs the server running?\n"),
            "connection failed: refused; Is the server running?"
        );
    }

    #[test]
    fn an_unreachable_server_is_an_error_not_a_panic() {
        // Port 1 on the loopback: nothing listens there.
        let e = Conn::connect(&[
            ("host", "127.0.0.1"),
            ("port", "1"),
            ("dbname", "x"),
            ("connect_timeout", "2"),
        ])
        .err()
        .map(|e| e.message)
        .unwrap_or_default();
        assert!(e.contains("127.0.0.1"), "{e}");
        assert!(!e.contains('\n'));
    }
}
