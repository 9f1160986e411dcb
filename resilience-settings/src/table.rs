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

/// The checks every table must pass: a variable's `<SETTING>` is its key in upper case, and
/// no key is written twice.
#[cfg(test)]
pub(crate) fn check<S: Copy + std::fmt::Debug + PartialEq>(
    all: &[S],
    key: impl Fn(S) -> &'static str,
    env_name: impl Fn(S) -> &'static str,
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
    }
}
