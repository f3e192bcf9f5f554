//! The seed's hang, reproduced at the native level, and shown not to happen.
//!
//! The Python service hung in `producer.flush()` because librdkafka's threads,
//! created before `fork()`, do not exist in the child. rayon's pool has the
//! same shape: after `fork(2)` its registry says N workers are waiting, none
//! exist, and a job submitted there is never run. This test forks after the
//! pool has run work and shows (1) that using the parent's pool in the child
//! does hang — so the test can fail — and (2) that the engine, which keys its
//! pool by pid, completes an analysis in the child. Each child runs under a
//! deadline: a regression fails instead of hanging.

#![cfg(unix)]

use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use conclude_engine::{engine, pool, Options};

fn batch() -> Vec<u8> {
    let mut s = String::new();
    for series in 0..8 {
        for i in 0..500 {
            let v = ((i * 7919 + series * 31) % 97) as f64 / 10.0 + if i > 250 { 5.0 } else { 0.0 };
            s.push_str(&format!("{{\"series\":\"s{series}\",\"ts\":{i},\"value\":{v}}}\n"));
        }
    }
    s.into_bytes()
}

enum Outcome {
    Exited(i32),
    TimedOut,
}

/// Forks; the child runs `child` and `_exit`s with its status. The parent
/// waits at most `deadline`, then kills the child.
fn fork_with_deadline(deadline: Duration, child: impl FnOnce() -> i32) -> Outcome {
    // SAFETY: the child only runs `child` and then `_exit`s; it never returns
    // into the test harness.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0, "fork failed");
    if pid == 0 {
        let code = std::panic::catch_unwind(std::panic::AssertUnwindSafe(child)).unwrap_or(101);
        unsafe { libc::_exit(code) };
    }
    let start = Instant::now();
    loop {
        let mut status = 0;
        let r = unsafe { libc::waitpid(pid, &mut status, libc::WNOHANG) };
        if r == pid {
            return Outcome::Exited(if libc::WIFEXITED(status) { libc::WEXITSTATUS(status) } else { -1 });
        }
        if start.elapsed() > deadline {
            unsafe {
                libc::kill(pid, libc::SIGKILL);
                libc::waitpid(pid, &mut status, 0);
            }
            return Outcome::TimedOut;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

// One test, so the two forks never run while another test thread holds a lock.
#[test]
fn after_fork_the_child_builds_its_own_pool_and_completes() {
    let input = batch();
    let options = Options { threads: Some(2), ..Options::default() };
    let never = AtomicBool::new(false);
    let parent = engine::analyze(&input, &options, &never).expect("parent analysis");
    assert_eq!(parent.ids.len(), 8);
    let parent_pool = pool::get(Some(2)).unwrap();
    let parent_pid = std::process::id();

    // (1) The hazard: the parent's pool, used in the child, never runs the job.
    let stale = fork_with_deadline(Duration::from_secs(3), || {
        let sum: u64 = parent_pool.install(|| 1 + 1);
        if sum == 2 {
            0
        } else {
            1
        }
    });
    assert!(
        matches!(stale, Outcome::TimedOut),
        "expected the parent's rayon pool to hang in a forked child (rayon#708); if rayon now survives fork, this demonstration needs revisiting"
    );

    // (2) The remedy: the engine sees a new pid and builds a new pool.
    let fresh = fork_with_deadline(Duration::from_secs(30), || {
        let info_before = pool::info().unwrap();
        let child = engine::analyze(&input, &options, &never).expect("child analysis");
        let info = pool::info().unwrap();
        let ok = info.pid != parent_pid
            && !info_before.built
            && child.ids == parent.ids
            && child.conclusions == parent.conclusions;
        if ok {
            0
        } else {
            2
        }
    });
    match fresh {
        Outcome::Exited(0) => {}
        Outcome::Exited(code) => panic!("the child finished but its analysis differed (exit {code})"),
        Outcome::TimedOut => panic!("the child hung: the engine used the parent's pool after fork"),
    }
}
