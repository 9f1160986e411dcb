//! Integration tests live in `tests/`; this crate holds what several of them share.

/// A global allocator that forwards to the system's and counts on the side: the
/// allocations each thread makes, and the bytes held by the whole process. A test file that
/// measures allocations declares it:
///
/// ```ignore
/// #[global_allocator]
/// static GLOBAL: resilience_tests::counting::Counting = resilience_tests::counting::Counting;
/// ```
pub mod counting {
    use std::{
        alloc::{GlobalAlloc, Layout, System},
        cell::Cell,
        sync::atomic::{AtomicUsize, Ordering::Relaxed},
    };

    /// The allocator; see the module.
    pub struct Counting;

    thread_local! {
        static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
    }

    static HELD: AtomicUsize = AtomicUsize::new(0);

    // SAFETY: forwards to the system allocator unchanged; only counts on the side.
    #[allow(unsafe_code)]
    unsafe impl GlobalAlloc for Counting {
        unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
            ALLOCATIONS.with(|count| count.set(count.get() + 1));
            HELD.fetch_add(layout.size(), Relaxed);
            // SAFETY: the caller upholds `GlobalAlloc::alloc`'s contract, which `System` shares.
            unsafe { System.alloc(layout) }
        }

        unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
            HELD.fetch_sub(layout.size(), Relaxed);
            // SAFETY: `ptr` was allocated by `System` with `layout`, per the caller's contract.
            unsafe { System.dealloc(ptr, layout) }
        }
    }

    /// Allocations made on this thread while `f` runs (with [`Counting`] as the global
    /// allocator).
    pub fn allocations_in(f: impl FnOnce()) -> usize {
        let before = ALLOCATIONS.with(Cell::get);
        f();
        ALLOCATIONS.with(Cell::get) - before
    }

    /// Bytes allocated and not yet freed, by every thread (with [`Counting`] as the global
    /// allocator).
    pub fn held() -> usize {
        HELD.load(Relaxed)
    }
}
