//! Panics that are caught on purpose: a few geo algorithms panic on badly broken input (a
//! topology conflict in `relate`, found by fuzzing), and sitelens catches those where it calls
//! them. [`catch`] marks the thread while it runs, so the fuzz harness's panic hook can tell a
//! caught panic from a crash.

use std::cell::Cell;
use std::panic::{UnwindSafe, catch_unwind};

thread_local! {
    static DEPTH: Cell<u32> = const { Cell::new(0) };
}

/// Runs `f`; `None` if it panicked.
pub fn catch<T>(f: impl FnOnce() -> T + UnwindSafe) -> Option<T> {
    DEPTH.with(|d| d.set(d.get() + 1));
    let result = catch_unwind(f);
    DEPTH.with(|d| d.set(d.get() - 1));
    result.ok()
}

/// Whether this thread is inside [`catch`]: a panic now will be caught.
pub fn panic_is_caught() -> bool {
    DEPTH.with(|d| d.get() > 0)
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_caught_panic_is_none_and_the_mark_is_cleared() {
        assert_eq!(super::catch(|| 2 + 2), Some(4));
        let hook = std::panic::take_hook();
        std::panic::set_hook(Box::new(|_| {}));
        let seen = super::catch(|| {
            assert!(super::panic_is_caught());
            panic!("broken geometry")
        });
        std::panic::set_hook(hook);
        assert_eq!(seen, None::<()>);
        assert!(!super::panic_is_caught());
    }
}
