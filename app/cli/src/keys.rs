//! `deliveryd keys`: add, list, show, import, export and delete account keys.

use std::io::{BufRead as _, Read as _};
use std::path::PathBuf;

use anyhow::Context as _;
use clap::Subcommand;

use crate::home::{self, Home};
use crate::keyring::{self, Backend, KeyInfo, Keyring, KeyringArgs, PassphraseSource};
use crate::output;
use crate::Globals;

/// `keys` arguments.
#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(subcommand)]
    command: KeysCommand,
    #[command(flatten)]
    keyring: KeyringArgs,
}

#[derive(Subcommand, Debug)]
enum KeysCommand {
    /// Create a key (or, with --recover, store a hex private key read from stdin).
    Add {
        /// The key's name: 1 to 64 characters from a-z A-Z 0-9 _ -.
        name: String,
        /// Read a hex private key (64 digits, optional 0x) from stdin instead of generating one.
        #[arg(long)]
        recover: bool,
    },
    /// List the keys of the backend.
    List,
    /// Show a key's address and public key.
    Show {
        /// The key's name.
        name: String,
        /// Print only the address.
        #[arg(long)]
        address: bool,
    },
    /// Store a key from a keystore v3 file or a file holding a hex private key.
    Import {
        /// The new key's name.
        name: String,
        /// A keystore v3 JSON file (decrypted with the keyring passphrase) or a hex key file.
        file: PathBuf,
    },
    /// Print a key as a keystore v3 JSON document encrypted with the keyring passphrase.
    Export {
        /// The key's name.
        name: String,
    },
    /// Delete a key.
    Delete {
        /// The key's name.
        name: String,
        /// Do not ask for confirmation.
        #[arg(long, short = 'y')]
        yes: bool,
    },
}

fn info_text(info: &KeyInfo) -> String {
    output::fields(&[
        ("name", info.name.clone()),
        ("address", info.address.to_string()),
        (
            "pub_key",
            info.pub_key
                .clone()
                .unwrap_or_else(|| "(unknown)".to_owned()),
        ),
        ("backend", info.backend.name().to_owned()),
    ])
}

fn passphrase_source(backend: &Backend, args: &KeyringArgs) -> PassphraseSource {
    match backend {
        Backend::File(source) => source.clone(),
        Backend::Test => PassphraseSource {
            file: args.passphrase_file.clone(),
            light_kdf: args.light_kdf,
        },
    }
}

/// Runs `keys`.
pub fn run(args: Args, globals: &Globals) -> anyhow::Result<()> {
    let home = Home::resolve(globals.home.as_deref())?;
    let backend = args.keyring.backend(&home)?;
    let source = passphrase_source(&backend, &args.keyring);
    let keyring = Keyring::open(&home, backend);
    let format = globals.output;
    match args.command {
        KeysCommand::Add { name, recover } => {
            keyring::validate_name(&name)?;
            if keyring.contains(&name)? {
                anyhow::bail!("key {name:?} already exists: refusing to overwrite it");
            }
            let key = if recover {
                let mut line = String::new();
                std::io::stdin()
                    .lock()
                    .take(1024)
                    .read_line(&mut line)
                    .context("cannot read the private key from stdin")?;
                if line.trim().is_empty() {
                    anyhow::bail!(
                        "--recover reads a hex private key from stdin, but stdin was empty"
                    );
                }
                if line.trim_start().starts_with('{') {
                    anyhow::bail!(
                        "--recover takes a hex private key; use `keys import` for a keystore file"
                    );
                }
                keyring::parse_secret(&line, &PassphraseSource::default())?
            } else {
                delivery_module::SecretKey::generate()
            };
            let info = keyring.add(&name, &key)?;
            output::emit(format, &info, || {
                format!(
                    "{}\n\nBack it up with `deliveryd keys export {}`: nothing else can recover it.",
                    info_text(&info),
                    info.name
                )
            })
        }
        KeysCommand::List => {
            let keys = keyring.list()?;
            output::emit(format, &keys, || {
                if keys.is_empty() {
                    return format!("no keys in {}", keyring.dir().display());
                }
                keys.iter()
                    .map(|k| format!("{}  {}", k.address, k.name))
                    .collect::<Vec<_>>()
                    .join("\n")
            })
        }
        KeysCommand::Show { name, address } => {
            let info = keyring.info(&name)?;
            if address {
                let value = serde_json::json!({ "address": info.address });
                output::emit(format, &value, || info.address.to_string())
            } else {
                output::emit(format, &info, || info_text(&info))
            }
        }
        KeysCommand::Import { name, file } => {
            keyring::validate_name(&name)?;
            if keyring.contains(&name)? {
                anyhow::bail!("key {name:?} already exists: refusing to overwrite it");
            }
            let text = home::read_text(&file, 64 * 1024)?;
            let key = keyring::parse_secret(&text, &source)
                .with_context(|| format!("cannot import {}", file.display()))?;
            let info = keyring.add(&name, &key)?;
            output::emit(format, &info, || info_text(&info))
        }
        KeysCommand::Export { name } => {
            let keystore = keyring.export(&name, &source)?;
            // The keystore document is the output whatever --output says.
            output::print_line(&serde_json::to_string_pretty(&keystore)?)
        }
        KeysCommand::Delete { name, yes } => {
            let info = keyring.info(&name)?;
            if !yes {
                eprint!(
                    "Delete key {name:?} ({})? This cannot be undone. [y/N] ",
                    info.address
                );
                let mut answer = String::new();
                std::io::stdin()
                    .lock()
                    .take(1024)
                    .read_line(&mut answer)
                    .context("cannot read the confirmation from stdin")?;
                if !std::io::IsTerminal::is_terminal(&std::io::stdin()) {
                    // No terminal echoed the answer: end the prompt line ourselves.
                    eprintln!();
                }
                if !matches!(answer.trim().to_ascii_lowercase().as_str(), "y" | "yes") {
                    anyhow::bail!("not confirmed: key {name:?} was not deleted (pass --yes to skip the question)");
                }
            }
            let info = keyring.delete(&name)?;
            output::emit(format, &info, || {
                format!("deleted key {:?} ({})", info.name, info.address)
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keyring::BackendKind;

    #[test]
    fn export_from_the_test_backend_uses_the_flags_passphrase_source() {
        let args = KeyringArgs {
            keyring_backend: Some(BackendKind::Test),
            passphrase_file: Some(PathBuf::from("/p")),
            light_kdf: true,
        };
        let source = passphrase_source(&Backend::Test, &args);
        assert_eq!(
            source,
            PassphraseSource {
                file: Some(PathBuf::from("/p")),
                light_kdf: true
            }
        );
    }

    #[test]
    fn text_output_names_every_field() {
        let info = KeyInfo {
            name: "a".into(),
            address: delivery_module::Address([1; 20]),
            pub_key: None,
            backend: BackendKind::File,
        };
        let text = info_text(&info);
        assert!(text.contains("0x0101") && text.contains("(unknown)") && text.contains("file"));
    }
}
