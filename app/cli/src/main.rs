//! `deliveryd`: the Delivery node binary (the command line is the `deliveryd` library).

fn main() -> std::process::ExitCode {
    deliveryd::run(deliveryd::release::Release::current())
}
