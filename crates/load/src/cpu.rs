//! CPU time spent during a timed phase, read from `/proc` (Linux): the server's process, and
//! every PostgreSQL process on the machine summed (its backends, WAL writer, checkpointer…),
//! so a run can say what one request cost each of them.

use std::time::Duration;

/// What to measure.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct CpuMeter {
    pub(crate) server: Option<u32>,
    pub(crate) postgres: bool,
}

/// CPU time used so far (user + system): the server's, and each PostgreSQL process's by pid
/// (a difference is taken process by process, so a backend that exits during the phase —
/// another client's — does not take its whole past away from the sum).
#[derive(Debug, Clone, Default)]
pub(crate) struct CpuSample {
    server: Duration,
    postgres: std::collections::HashMap<String, Duration>,
}

/// The kernel's clock tick: USER_HZ is 100 on every Linux architecture Redress runs on.
const TICK: Duration = Duration::from_millis(10);

/// User plus system time of a process, from `/proc/<pid>/stat` (fields 14 and 15, counted
/// after the command name, which may hold spaces and parentheses).
fn process_cpu(pid: &str) -> Option<Duration> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    cpu_of_stat(&stat)
}

fn cpu_of_stat(stat: &str) -> Option<Duration> {
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // `rest` starts at field 3 (state): utime is field 14, stime 15.
    let utime: u32 = fields.get(11)?.parse().ok()?;
    let stime: u32 = fields.get(12)?.parse().ok()?;
    Some(TICK * (utime + stime))
}

fn postgres_cpu() -> std::collections::HashMap<String, Duration> {
    let Ok(dir) = std::fs::read_dir("/proc") else { return Default::default() };
    dir.filter_map(Result::ok)
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|pid| pid.bytes().all(|b| b.is_ascii_digit()))
        .filter(|pid| std::fs::read_to_string(format!("/proc/{pid}/comm")).is_ok_and(|c| c.trim() == "postgres"))
        .filter_map(|pid| process_cpu(&pid).map(|t| (pid, t)))
        .collect()
}

/// What the processes alive at `after` used since `before` (those started since, all of it).
fn used_since(
    before: &std::collections::HashMap<String, Duration>,
    after: &std::collections::HashMap<String, Duration>,
) -> Duration {
    after.iter().map(|(pid, t)| t.saturating_sub(before.get(pid).copied().unwrap_or_default())).sum()
}

impl CpuMeter {
    pub(crate) fn sample(&self) -> CpuSample {
        CpuSample {
            server: self.server.and_then(|p| process_cpu(&p.to_string())).unwrap_or_default(),
            postgres: if self.postgres { postgres_cpu() } else { Default::default() },
        }
    }

    /// `what  cpu per request: server 0.41 ms, postgres 0.80 ms` for the phase between two
    /// samples and its `count` requests; nothing when there is nothing to measure.
    pub(crate) fn print(&self, what: &str, before: &CpuSample, after: &CpuSample, count: usize) {
        let per_request = |d: Duration| d.as_secs_f64() * 1000.0 / count.max(1) as f64;
        let per = |a: Duration, b: Duration| per_request(a.saturating_sub(b));
        let mut parts = vec![];
        if self.server.is_some() {
            parts.push(format!("server {:.3} ms", per(after.server, before.server)));
        }
        if self.postgres {
            parts.push(format!("postgres {:.3} ms", per_request(used_since(&before.postgres, &after.postgres))));
        }
        if !parts.is_empty() {
            println!("{what}\tcpu per request: {}", parts.join(", "));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_user_and_system_ticks_after_a_name_with_spaces() {
        let stat = "4242 (tokio (x) 1) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 9 0 1 2 3";
        assert_eq!(cpu_of_stat(stat), Some(Duration::from_millis(3000)));
        assert_eq!(cpu_of_stat("garbage"), None);
    }

    #[test]
    fn a_process_that_exits_takes_nothing_away_and_a_new_one_counts_whole() {
        let ms = Duration::from_millis;
        let before = [("1".to_owned(), ms(900)), ("2".to_owned(), ms(100))].into_iter().collect();
        let after = [("2".to_owned(), ms(150)), ("3".to_owned(), ms(30))].into_iter().collect();
        assert_eq!(used_since(&before, &after), ms(80));
    }

    #[test]
    fn this_process_uses_some_cpu() {
        let mut x = 0u64;
        for i in 0..20_000_000u64 {
            x = x.wrapping_mul(31).wrapping_add(i);
        }
        assert!(x != 1);
        let me = std::process::id().to_string();
        assert!(process_cpu(&me).is_some_and(|d| d > Duration::ZERO));
    }
}
