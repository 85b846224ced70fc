//! Records the git commit `deliveryd version` prints.
//!
//! `DELIVERYD_GIT_COMMIT` in the build environment wins (for builds from a tarball); otherwise
//! `git rev-parse --short=12 HEAD` when the source is a git checkout with a commit. Nothing is
//! recorded when neither is available, and `version` says "unknown".

use std::path::PathBuf;
use std::process::Command;

fn git(args: &[&str]) -> Option<String> {
    let output = Command::new("git").args(args).output().ok()?;
    if !output.status.success() {
        return None;
    }
    let text = String::from_utf8(output.stdout).ok()?;
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_owned())
}

fn main() {
    println!("cargo:rerun-if-env-changed=DELIVERYD_GIT_COMMIT");
    let commit = std::env::var("DELIVERYD_GIT_COMMIT")
        .ok()
        .filter(|c| !c.trim().is_empty())
        .or_else(|| git(&["rev-parse", "--short=12", "HEAD"]));
    if let Some(commit) = commit {
        println!("cargo:rustc-env=DELIVERYD_GIT_COMMIT={commit}");
    }
    // Rebuild when HEAD moves: watch HEAD, the branch refs and packed refs (only paths that
    // exist, so a checkout without commits does not rerun this script on every build).
    if let Some(git_dir) = git(&["rev-parse", "--absolute-git-dir"]) {
        let git_dir = PathBuf::from(git_dir);
        for watched in [
            git_dir.join("HEAD"),
            git_dir.join("refs/heads"),
            git_dir.join("packed-refs"),
        ] {
            if watched.exists() {
                println!("cargo:rerun-if-changed={}", watched.display());
            }
        }
    }
}
