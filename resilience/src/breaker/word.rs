//! The state word: a [`State`]'s tag and the breaker's generation, packed in one atomic so
//! that a call reads both with one load. Only the breaker's transitions write it, always
//! from a [`State`], so every word holds the tag of a state.

use crate::State;

pub(super) const CLOSED: u64 = 0;
pub(super) const OPEN: u64 = 1;
pub(super) const HALF_OPEN: u64 = 2;
pub(super) const FORCED_OPEN: u64 = 3;
pub(super) const DISABLED: u64 = 4;
pub(super) const TAG_BITS: u32 = 8;
pub(super) const TAG_MASK: u64 = (1 << TAG_BITS) - 1;

/// The tag a state is written with.
pub(super) const fn tag(state: State) -> u64 {
    match state {
        State::Closed => CLOSED,
        State::Open => OPEN,
        State::HalfOpen => HALF_OPEN,
        State::ForcedOpen => FORCED_OPEN,
        State::Disabled => DISABLED,
    }
}

/// The state a word holds.
pub(super) const fn state(word: u64) -> State {
    match word & TAG_MASK {
        CLOSED => State::Closed,
        OPEN => State::Open,
        HALF_OPEN => State::HalfOpen,
        FORCED_OPEN => State::ForcedOpen,
        DISABLED => State::Disabled,
        _ => panic!("a state word is only ever written from a state's tag"),
    }
}

/// The word of `state` at `generation`.
pub(super) const fn word(generation: u64, state: State) -> u64 {
    generation << TAG_BITS | tag(state)
}

/// The generation a word holds: the number of transitions since the breaker was made.
pub(super) const fn generation(word: u64) -> u64 {
    word >> TAG_BITS
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_word_gives_back_its_state_and_generation() {
        for state in [
            State::Closed,
            State::Open,
            State::HalfOpen,
            State::ForcedOpen,
            State::Disabled,
        ] {
            for generation in [0, 1, 7, u64::MAX >> TAG_BITS] {
                let word = word(generation, state);
                assert_eq!(
                    (super::state(word), super::generation(word)),
                    (state, generation)
                );
            }
        }
    }
}
