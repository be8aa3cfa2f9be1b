//! A reader that closes the pipe early (`voc … | head`) stops voc quietly: exit 0, no
//! panic message (`println!` panics on a closed stdout unless voc says otherwise).

use std::process::{Command, Stdio};

#[test]
fn a_closed_pipe_stops_voc_quietly() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_voc"))
        .args(["segment", "能加一下你的微信号吗"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run voc");
    // Closed before voc writes: its first line meets a broken pipe.
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(out.status.success(), "{:?} {stderr}", out.status);
}
