//! What the `redress` binary's tests share: running it, and running `serve` as a child.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Output, Stdio};

pub fn redress(data_dir: &Path, args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_redress"))
        .arg("--data-dir")
        .arg(data_dir)
        .args(args)
        .env_remove("REDRESS_DATABASE_URL")
        .env_remove("REDRESS_DATA_DIR")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn redress");
    if let Some(input) = stdin {
        child.stdin.take().expect("stdin").write_all(input.as_bytes()).expect("write stdin");
    }
    drop(child.stdin.take());
    child.wait_with_output().expect("wait")
}

pub fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

/// Starts `serve --demo` on a free port; returns the child, its address and what it printed
/// before listening.
pub fn serve_demo(data_dir: &Path, env: &[(&str, &str)]) -> (std::process::Child, String, String) {
    serve(data_dir, &["--demo"], env)
}

/// Starts `serve` with these arguments on a free port; as [`serve_demo`].
pub fn serve(data_dir: &Path, args: &[&str], env: &[(&str, &str)]) -> (std::process::Child, String, String) {
    serve_at(data_dir, "127.0.0.1:0", args, env)
}

/// Starts `serve` listening on `listen`; as [`serve_demo`].
pub fn serve_at(
    data_dir: &Path,
    listen: &str,
    args: &[&str],
    env: &[(&str, &str)],
) -> (std::process::Child, String, String) {
    listening(serve_command(data_dir, listen, args, env))
}

/// As [`serve`], with its log (stderr) written to the file `log`.
pub fn serve_logged(
    data_dir: &Path,
    args: &[&str],
    env: &[(&str, &str)],
    log: &Path,
) -> (std::process::Child, String, String) {
    let mut cmd = serve_command(data_dir, "127.0.0.1:0", args, env);
    cmd.stderr(std::fs::File::create(log).expect("log file"));
    listening(cmd)
}

fn serve_command(data_dir: &Path, listen: &str, args: &[&str], env: &[(&str, &str)]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_redress"));
    cmd.arg("--data-dir")
        .arg(data_dir)
        .args(["serve", "--listen", listen])
        .args(args)
        .env_remove("REDRESS_DATABASE_URL")
        .env("REDRESS_LOG", "warn")
        .envs(env.iter().copied())
        .stdout(Stdio::piped());
    cmd
}

/// Spawns `cmd` and reads its stdout until it says where it listens.
fn listening(mut cmd: Command) -> (std::process::Child, String, String) {
    let mut child = cmd.spawn().expect("spawn");
    let stdout = child.stdout.take().expect("stdout");
    let mut addr = None;
    let mut report = String::new();
    for line in BufReader::new(stdout).lines() {
        let line = line.expect("line");
        if let Some(a) = line.strip_prefix("Redress is listening on ") {
            addr = Some(a.to_owned());
            break;
        }
        report.push_str(&line);
        report.push('\n');
    }
    match addr {
        Some(addr) => (child, addr, report),
        None => {
            // Not left running: it would hold the test runner's output open.
            child.kill().ok();
            child.wait().ok();
            panic!("the server did not say where it listens: {report}")
        }
    }
}
