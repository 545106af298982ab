//! What earlier links ask of the final exec, carried down the chain.
//!
//! Some duties of the chain can only be done at the very end, in the
//! process that executes the command: close the inherited fds (after
//! sk-pivot, so its kept fds can be checked against the new root), become
//! the minimal init of a new pid namespace (so that the init holds nothing
//! the command lacks), take the pty of the container's devpts (which exists
//! only after sk-pivot). Each link records its request in a [`State`], kept
//! in this process's memory (a step such as `sk-env -i` may clear the
//! environment meanwhile); across a real exec between two links it travels
//! in the `SK_CHAIN` variable ([`State::export`]), which the next process
//! takes and removes at once, so neither a later step nor the command sees
//! it.
//!
//! The variable comes from the caller, who is trusted (it could run the
//! command without any chain); nothing inside the container can set it.

use std::os::fd::RawFd;

/// The environment variable.
pub const VAR: &str = "SK_CHAIN";

/// How the chain treats the caller's terminal (see [`crate::tty`]).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Default)]
pub enum Tty {
    /// No terminal involved: stdio and session pass as they are.
    #[default]
    None,
    /// --share-tty: the command gets the caller's terminal, as before.
    Share,
    /// The command runs in a session of its own, without a controlling
    /// terminal; the terminal stdio fds were replaced by relayed pipes.
    Detach,
    /// The command gets a pty of its own: `channel` is the socket to the
    /// relay that receives its master; `fds` is the bit set of the stdio
    /// fds (0, 1, 2) that get its slave.
    Pty { channel: RawFd, fds: u8 },
}

/// The state of this process (None until first loaded).
static MEM: std::sync::Mutex<Option<State>> = std::sync::Mutex::new(None);

/// The requests of the links so far.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct State {
    /// The first link has run (a later link does not take the terminal
    /// again).
    pub started: bool,
    /// Close every inherited fd above 2 except `keep` before the command.
    pub close_fds: bool,
    pub keep: Vec<RawFd>,
    /// Socket activation: the number of LISTEN_FDS that were the chain's.
    pub listen: Option<u32>,
    /// Become the minimal init when the final exec runs as PID 1.
    pub init: bool,
    pub tty: Tty,
}

impl State {
    /// The state left by the previous links (empty for the first link).
    pub fn load() -> State {
        let mut mem = MEM.lock().unwrap_or_else(|e| e.into_inner());
        mem.get_or_insert_with(|| {
            let s = std::env::var(VAR)
                .ok()
                .map(|s| State::decode(&s))
                .unwrap_or_default();
            std::env::remove_var(VAR);
            s
        })
        .clone()
    }

    /// Hands the state on to the next link.
    pub fn store(&self) {
        *MEM.lock().unwrap_or_else(|e| e.into_inner()) = Some(self.clone());
    }

    /// Forgets the state: before the command.
    pub fn clear() {
        std::env::remove_var(VAR);
        *MEM.lock().unwrap_or_else(|e| e.into_inner()) = Some(State::default());
    }

    /// Puts the state in [`VAR`] for a real exec of the next link.
    pub fn export() {
        let state = State::load();
        std::env::set_var(VAR, state.encode());
    }

    /// A boundary is crossed and only `keep` may pass it: what two crossings
    /// both keep passes both.
    pub fn cross(&mut self, keep: &[RawFd]) {
        if self.close_fds {
            self.keep.retain(|fd| keep.contains(fd));
        } else {
            self.keep = keep.to_vec();
            self.close_fds = true;
        }
    }

    pub fn encode(&self) -> String {
        let mut words = Vec::new();
        if self.started {
            words.push("started".to_string());
        }
        if self.close_fds {
            let keep: Vec<String> = self.keep.iter().map(|f| f.to_string()).collect();
            words.push(format!("close={}", keep.join(",")));
        }
        if let Some(n) = self.listen {
            words.push(format!("listen={n}"));
        }
        if self.init {
            words.push("init".into());
        }
        match self.tty {
            Tty::None => {}
            Tty::Share => words.push("tty=share".into()),
            Tty::Detach => words.push("tty=detach".into()),
            Tty::Pty { channel, fds } => words.push(format!("tty=pty:{channel}:{fds}")),
        }
        words.join(" ")
    }

    /// Unknown or malformed words are ignored: the variable is ours.
    pub fn decode(text: &str) -> State {
        let mut s = State::default();
        for word in text.split(' ') {
            let (key, value) = word.split_once('=').unwrap_or((word, ""));
            match key {
                "started" => s.started = true,
                "init" => s.init = true,
                "close" => {
                    s.close_fds = true;
                    s.keep = value.split(',').filter_map(|f| f.parse().ok()).collect();
                }
                "listen" => s.listen = value.parse().ok(),
                "tty" => s.tty = decode_tty(value),
                _ => {}
            }
        }
        s
    }
}

fn decode_tty(value: &str) -> Tty {
    match value {
        "share" => Tty::Share,
        "detach" => Tty::Detach,
        v => {
            let mut parts = v.strip_prefix("pty:").unwrap_or("").split(':');
            match (
                parts.next().and_then(|c| c.parse().ok()),
                parts.next().and_then(|f| f.parse().ok()),
            ) {
                (Some(channel), Some(fds)) => Tty::Pty { channel, fds },
                _ => Tty::None,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let s = State {
            started: true,
            close_fds: true,
            keep: vec![5, 9],
            listen: Some(2),
            init: true,
            tty: Tty::Pty { channel: 4, fds: 7 },
        };
        assert_eq!(State::decode(&s.encode()), s);
        let e = State {
            close_fds: true,
            tty: Tty::Detach,
            ..Default::default()
        };
        assert_eq!(State::decode(&e.encode()), e);
        assert_eq!(State::decode(""), State::default());
    }

    #[test]
    fn two_crossings_keep_what_both_keep() {
        let mut s = State::default();
        s.cross(&[5, 6]);
        s.cross(&[6, 7]);
        assert_eq!(s.keep, [6]);
        assert!(s.close_fds);
    }
}
