//! The lists of setting names. Each list is one table, one line per setting, from which the
//! enum, its `ALL` and the names are generated: a setting added to the table is in every one
//! of them, so none can be forgotten.

/// Declares a setting enum from its table: each variant with the attribute argument (and file
/// key) that writes it, and the `<SETTING>` of its environment variables.
macro_rules! settings {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $(
                $(#[$doc:meta])*
                $variant:ident = $key:literal, $env:literal;
            )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name {
            $(
                $(#[$doc])*
                $variant,
            )*
        }

        impl $name {
            /// Every setting, in the order of the attribute's argument table.
            pub const ALL: &'static [$name] = &[$($name::$variant),*];

            /// Every setting's key, in the order of [`ALL`](Self::ALL): what an error about
            /// an unknown key lists.
            pub const KEYS: &'static [&'static str] = &[$($key),*];

            /// The attribute argument and the file key that write it: `"slow_call"`.
            pub const fn key(self) -> &'static str {
                match self {
                    $($name::$variant => $key,)*
                }
            }

            /// The `<SETTING>` of its environment variables: the key in upper case,
            /// `"SLOW_CALL"`.
            pub const fn env_name(self) -> &'static str {
                match self {
                    $($name::$variant => $env,)*
                }
            }

            /// The setting whose key is `key`, if any.
            pub fn from_key(key: &str) -> Option<$name> {
                Self::ALL.iter().copied().find(|setting| setting.key() == key)
            }

            /// The setting whose `<SETTING>` is `name`, if any.
            pub fn from_env_name(name: &str) -> Option<$name> {
                Self::ALL.iter().copied().find(|setting| setting.env_name() == name)
            }
        }

        impl ::std::fmt::Display for $name {
            /// The key.
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.key())
            }
        }
    };
}

pub(crate) use settings;

/// The checks every table must pass: a variable's `<SETTING>` is its key in upper case, no
/// key is written twice, and each name finds its setting.
#[cfg(test)]
fn check<S: Copy + std::fmt::Debug + PartialEq>(
    all: &[S],
    key: fn(S) -> &'static str,
    env_name: fn(S) -> &'static str,
    from_key: fn(&str) -> Option<S>,
    from_env_name: fn(&str) -> Option<S>,
) {
    for (i, &setting) in all.iter().enumerate() {
        assert_eq!(
            env_name(setting),
            key(setting).to_ascii_uppercase(),
            "{setting:?}"
        );
        assert!(
            all[..i].iter().all(|&other| key(other) != key(setting)),
            "{setting:?} is listed twice"
        );
        assert_eq!(from_key(key(setting)), Some(setting));
        assert_eq!(from_env_name(env_name(setting)), Some(setting));
    }
}

#[cfg(test)]
mod tests {
    use crate::{
        breaker, budget,
        corpus::{REFUSED, Target},
    };

    /// Each refusal of the shared corpus names its setting by a key of its list.
    #[test]
    fn refusals_name_a_setting_of_a_list() {
        for case in REFUSED {
            let known = match case.target {
                Target::Breaker => breaker::Setting::from_key(case.refused).is_some(),
                Target::Budget => budget::Setting::from_key(case.refused).is_some(),
                Target::Retry => continue,
            };
            assert!(known, "{case:?}");
        }
    }

    #[test]
    fn every_table_is_consistent() {
        use breaker::Setting;
        super::check(
            Setting::ALL,
            Setting::key,
            Setting::env_name,
            Setting::from_key,
            Setting::from_env_name,
        );
        use budget::Setting as Budget;
        super::check(
            Budget::ALL,
            Budget::key,
            Budget::env_name,
            Budget::from_key,
            Budget::from_env_name,
        );
    }
}
