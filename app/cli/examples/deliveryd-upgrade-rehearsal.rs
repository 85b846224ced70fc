//! `deliveryd-upgrade-rehearsal`: `deliveryd` that also runs the governance upgrade plan
//! `upgrade-rehearsal` ([`deliveryd::release::Release::rehearsal`]): the new binary of an
//! upgrade rehearsal on a localnet (docs/guides/governance.md). Build it with
//! `cargo build -p deliveryd --examples`.

fn main() -> std::process::ExitCode {
    deliveryd::run(deliveryd::release::Release::rehearsal())
}
