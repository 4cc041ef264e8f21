//! Pinning the calling thread to a set of CPUs (Linux only; elsewhere it
//! does nothing and no CPUs are reported).

#[cfg(target_os = "linux")]
use nix::sched::{sched_getaffinity, sched_setaffinity, CpuSet};
#[cfg(target_os = "linux")]
use nix::unistd::Pid;

/// The CPUs this process may run on.
#[cfg(target_os = "linux")]
pub fn allowed() -> Vec<usize> {
    let set = sched_getaffinity(Pid::from_raw(0)).expect("sched_getaffinity failed");
    (0..CpuSet::count())
        .filter(|&cpu| set.is_set(cpu).unwrap_or(false))
        .collect()
}

/// Restricts the calling thread to `cpus` (all of them unpins it).
#[cfg(target_os = "linux")]
pub fn pin_current(cpus: &[usize]) {
    let mut set = CpuSet::new();
    for &cpu in cpus {
        set.set(cpu).expect("CPU number out of range");
    }
    sched_setaffinity(Pid::from_raw(0), &set).expect("sched_setaffinity failed");
}

/// No CPUs to pin to on this platform.
#[cfg(not(target_os = "linux"))]
pub fn allowed() -> Vec<usize> {
    Vec::new()
}

/// Does nothing on this platform.
#[cfg(not(target_os = "linux"))]
pub fn pin_current(_cpus: &[usize]) {}
