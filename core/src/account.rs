//! The local gate in front of every disclosure, and the account rules the app enforces: a
//! 6-digit passcode kept only as a salted PBKDF2-HMAC-SHA256 hash (ring, 310,000 iterations),
//! attempts limited with a growing lock-out, biometric unlock as an assertion the platform
//! passes in, an idle timeout after which the passcode is asked again; and the regulation's
//! password policy where an account password is set. Time is always passed in.

use std::num::NonZeroU32;

use rand_core::CryptoRng;
use time::{Date, Duration, OffsetDateTime};
use zeroize::Zeroizing;

/// PBKDF2 iterations: above OWASP's 2023 floor of 210,000 for PBKDF2-HMAC-SHA256.
pub const PBKDF2_ITERATIONS: u32 = 310_000;
/// Wrong passcodes allowed before the first lock-out.
pub const FREE_ATTEMPTS: u32 = 5;
/// The first lock-out; each further wrong passcode doubles it, up to [`MAX_LOCKOUT`].
pub const FIRST_LOCKOUT: Duration = Duration::seconds(30);
pub const MAX_LOCKOUT: Duration = Duration::hours(24);

/// A 6-digit passcode. Zeroized on drop; never printed.
pub struct Passcode(Zeroizing<String>);

impl std::fmt::Debug for Passcode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Passcode(<secret>)")
    }
}

/// Why the gate stays shut.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum GateError {
    #[error("the passcode must be exactly 6 digits")]
    Format,
    #[error("wrong passcode; {remaining} attempts before a lock-out")]
    Wrong { remaining: u32 },
    #[error("too many wrong passcodes: try again after {until}")]
    LockedOut { until: String },
    #[error("the biometric assertion was not accepted")]
    Biometric,
}

impl Passcode {
    pub fn new(digits: &str) -> Result<Self, GateError> {
        if digits.len() == 6 && digits.bytes().all(|b| b.is_ascii_digit()) {
            Ok(Self(Zeroizing::new(digits.to_owned())))
        } else {
            Err(GateError::Format)
        }
    }
}

fn iterations() -> NonZeroU32 {
    NonZeroU32::new(PBKDF2_ITERATIONS).unwrap_or(NonZeroU32::MIN)
}

/// What is stored of a passcode: salt and PBKDF2 output.
#[derive(Clone, PartialEq, Eq)]
pub struct PasscodeHash {
    salt: [u8; 16],
    hash: [u8; 32],
}

impl std::fmt::Debug for PasscodeHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PasscodeHash(<hash>)")
    }
}

impl PasscodeHash {
    pub fn new(passcode: &Passcode, rng: &mut (impl CryptoRng + ?Sized)) -> Self {
        let mut salt = [0u8; 16];
        rng.fill_bytes(&mut salt);
        let mut hash = [0u8; 32];
        ring::pbkdf2::derive(
            ring::pbkdf2::PBKDF2_HMAC_SHA256,
            iterations(),
            &salt,
            passcode.0.as_bytes(),
            &mut hash,
        );
        Self { salt, hash }
    }

    /// Constant-time comparison (ring).
    pub fn matches(&self, passcode: &Passcode) -> bool {
        ring::pbkdf2::verify(
            ring::pbkdf2::PBKDF2_HMAC_SHA256,
            iterations(),
            &self.salt,
            passcode.0.as_bytes(),
            &self.hash,
        )
        .is_ok()
    }

    /// 48 bytes: salt ‖ hash (the iteration count is fixed by this version).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut v = self.salt.to_vec();
        v.extend_from_slice(&self.hash);
        v
    }

    pub fn from_bytes(bytes: &[u8]) -> Option<Self> {
        let (salt, hash) = bytes.split_at_checked(16)?;
        Some(Self {
            salt: salt.try_into().ok()?,
            hash: hash.try_into().ok()?,
        })
    }
}

/// The platform's word that the user just passed a biometric check (Android BiometricPrompt,
/// LocalAuthentication on iOS), with when it happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BiometricAssertion {
    pub verified: bool,
    pub at: OffsetDateTime,
}

/// The disclosure gate: shut until the passcode or a biometric opens it, shut again after the
/// idle timeout or [`Gate::lock`].
#[derive(Debug, Clone)]
pub struct Gate {
    hash: PasscodeHash,
    idle_timeout: Duration,
    failures: u32,
    locked_until: Option<OffsetDateTime>,
    last_activity: Option<OffsetDateTime>,
}

impl Gate {
    pub fn new(hash: PasscodeHash, idle_timeout: Duration) -> Self {
        Self {
            hash,
            idle_timeout,
            failures: 0,
            locked_until: None,
            last_activity: None,
        }
    }

    fn check_lockout(&self, now: OffsetDateTime) -> Result<(), GateError> {
        match self.locked_until {
            Some(until) if now < until => Err(GateError::LockedOut {
                until: crate::time_fmt::tdate(until),
            }),
            _ => Ok(()),
        }
    }

    /// Opens the gate with the passcode.
    pub fn unlock(&mut self, passcode: &Passcode, now: OffsetDateTime) -> Result<(), GateError> {
        self.check_lockout(now)?;
        if self.hash.matches(passcode) {
            self.failures = 0;
            self.locked_until = None;
            self.last_activity = Some(now);
            return Ok(());
        }
        self.failures += 1;
        self.last_activity = None;
        if self.failures < FREE_ATTEMPTS {
            return Err(GateError::Wrong {
                remaining: FREE_ATTEMPTS - self.failures,
            });
        }
        let doublings = (self.failures - FREE_ATTEMPTS).min(12);
        let lockout = (FIRST_LOCKOUT * 2_i32.pow(doublings)).min(MAX_LOCKOUT);
        let until = now + lockout;
        self.locked_until = Some(until);
        Err(GateError::LockedOut {
            until: crate::time_fmt::tdate(until),
        })
    }

    /// Opens the gate with a fresh biometric assertion (at most 30 s old, not in the future);
    /// a lock-out from wrong passcodes still holds.
    pub fn unlock_biometric(
        &mut self,
        assertion: BiometricAssertion,
        now: OffsetDateTime,
    ) -> Result<(), GateError> {
        self.check_lockout(now)?;
        let fresh = assertion.at <= now && now - assertion.at <= Duration::seconds(30);
        if !assertion.verified || !fresh {
            return Err(GateError::Biometric);
        }
        self.last_activity = Some(now);
        Ok(())
    }

    /// Whether a disclosure may proceed now; use keeps the gate open.
    pub fn pass(&mut self, now: OffsetDateTime) -> bool {
        match self.last_activity {
            Some(t) if now >= t && now - t <= self.idle_timeout => {
                self.last_activity = Some(now);
                true
            }
            _ => {
                self.last_activity = None;
                false
            }
        }
    }

    pub fn lock(&mut self) {
        self.last_activity = None;
    }

    /// What must survive a restart: wrong attempts so far and the lock-out, if any (so that
    /// killing the app does not reset the count).
    pub fn attempts(&self) -> (u32, Option<OffsetDateTime>) {
        (self.failures, self.locked_until)
    }

    /// A gate restored with the attempts recorded before a restart; it starts shut.
    pub fn restore(
        hash: PasscodeHash,
        idle_timeout: Duration,
        failures: u32,
        locked_until: Option<OffsetDateTime>,
    ) -> Self {
        Self {
            hash,
            idle_timeout,
            failures,
            locked_until,
            last_activity: None,
        }
    }

    /// Whether the gate is open now (without counting as use).
    pub fn is_open(&self, now: OffsetDateTime) -> bool {
        matches!(self.last_activity, Some(t) if now >= t && now - t <= self.idle_timeout)
    }
}

/// Why an account password is refused.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum PasswordError {
    #[error("the password must have at least 8 characters")]
    TooShort,
    #[error(
        "the password must mix upper-case and lower-case letters, a digit and a special character"
    )]
    MissingClass,
    #[error(
        "the password was last changed on {changed}; it must be changed at least every 6 months"
    )]
    TooOld { changed: String },
}

/// The regulation's password policy: 8 or more characters with upper and lower case, a digit
/// and a special character.
pub fn check_password(password: &str) -> Result<(), PasswordError> {
    if password.chars().count() < 8 {
        return Err(PasswordError::TooShort);
    }
    let upper = password.chars().any(char::is_uppercase);
    let lower = password.chars().any(char::is_lowercase);
    let digit = password.chars().any(|c| c.is_ascii_digit());
    let special = password
        .chars()
        .any(|c| !c.is_alphanumeric() && !c.is_whitespace());
    if !(upper && lower && digit && special) {
        return Err(PasswordError::MissingClass);
    }
    Ok(())
}

/// A password must be changed at least every 6 months.
pub fn check_password_age(last_changed: Date, today: Date) -> Result<(), PasswordError> {
    // Six calendar months later, the day clamped to the month's length (31 Aug → 28/29 Feb).
    let months = i32::from(last_changed.month() as u8) - 1 + 6;
    let year = last_changed.year() + months / 12;
    let month = time::Month::try_from(u8::try_from(months % 12 + 1).unwrap_or(1))
        .unwrap_or(time::Month::January);
    let day = last_changed
        .day()
        .min(time::util::days_in_month(month, year));
    let due =
        Date::from_calendar_date(year, month, day).unwrap_or(last_changed + Duration::days(183));
    if today > due {
        return Err(PasswordError::TooOld {
            changed: crate::time_fmt::date(last_changed),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_chacha::ChaCha20Rng;
    use rand_core::SeedableRng;
    use time::macros::{date, datetime};

    const T: OffsetDateTime = datetime!(2026-11-23 08:00:00 UTC);

    fn gate() -> Gate {
        let hash = PasscodeHash::new(
            &Passcode::new("246810").unwrap(),
            &mut ChaCha20Rng::seed_from_u64(1),
        );
        Gate::new(hash, Duration::minutes(5))
    }

    #[test]
    fn passcode_opens_the_gate_until_idle() {
        let mut g = gate();
        assert!(!g.pass(T));
        g.unlock(&Passcode::new("246810").unwrap(), T).unwrap();
        assert!(g.pass(T + Duration::minutes(4)));
        assert!(g.pass(T + Duration::minutes(8)), "use keeps it open");
        assert!(!g.pass(T + Duration::minutes(14)), "idle for 6 minutes");
        g.unlock(&Passcode::new("246810").unwrap(), T).unwrap();
        g.lock();
        assert!(!g.pass(T));
        assert_eq!(Passcode::new("12345").unwrap_err(), GateError::Format);
        assert_eq!(Passcode::new("12345a").unwrap_err(), GateError::Format);
        assert!(!format!("{:?}", Passcode::new("246810").unwrap()).contains("246810"));
    }

    #[test]
    fn wrong_passcodes_lock_out_longer_and_longer() {
        let mut g = gate();
        let wrong = Passcode::new("000000").unwrap();
        for left in (1..FREE_ATTEMPTS).rev() {
            assert_eq!(
                g.unlock(&wrong, T),
                Err(GateError::Wrong { remaining: left })
            );
        }
        assert!(matches!(
            g.unlock(&wrong, T),
            Err(GateError::LockedOut { .. })
        ));
        // Even the right passcode waits out the lock-out…
        let right = Passcode::new("246810").unwrap();
        assert!(matches!(
            g.unlock(&right, T + Duration::seconds(29)),
            Err(GateError::LockedOut { .. })
        ));
        // …and a biometric too.
        let bio = BiometricAssertion {
            verified: true,
            at: T + Duration::seconds(29),
        };
        assert!(matches!(
            g.unlock_biometric(bio, T + Duration::seconds(29)),
            Err(GateError::LockedOut { .. })
        ));
        // The next wrong one doubles it.
        let Err(GateError::LockedOut { until }) = g.unlock(&wrong, T + Duration::seconds(31))
        else {
            panic!()
        };
        assert_eq!(until, "2026-11-23T08:01:31Z");
        g.unlock(&right, T + Duration::minutes(2)).unwrap();
        assert!(g.pass(T + Duration::minutes(2)));
    }

    #[test]
    fn biometric_must_be_verified_and_fresh() {
        let mut g = gate();
        assert_eq!(
            g.unlock_biometric(
                BiometricAssertion {
                    verified: false,
                    at: T
                },
                T
            ),
            Err(GateError::Biometric)
        );
        assert_eq!(
            g.unlock_biometric(
                BiometricAssertion {
                    verified: true,
                    at: T - Duration::minutes(1)
                },
                T
            ),
            Err(GateError::Biometric)
        );
        g.unlock_biometric(
            BiometricAssertion {
                verified: true,
                at: T,
            },
            T,
        )
        .unwrap();
        assert!(g.pass(T));
        let h = PasscodeHash::from_bytes(&gate().hash.to_bytes()).unwrap();
        assert!(h.matches(&Passcode::new("246810").unwrap()));
        assert!(PasscodeHash::from_bytes(&[0; 47]).is_none());
    }

    #[test]
    fn password_policy() {
        assert_eq!(check_password("Ab1!xyz"), Err(PasswordError::TooShort));
        assert_eq!(
            check_password("abcdefg1!"),
            Err(PasswordError::MissingClass)
        );
        assert_eq!(
            check_password("ABCDEFG1!"),
            Err(PasswordError::MissingClass)
        );
        assert_eq!(
            check_password("Abcdefgh!"),
            Err(PasswordError::MissingClass)
        );
        assert_eq!(
            check_password("Abcdefg12"),
            Err(PasswordError::MissingClass)
        );
        assert_eq!(check_password("Mật-khẩu2026"), Ok(()));
        assert_eq!(
            check_password_age(date!(2026 - 06 - 01), date!(2026 - 11 - 30)),
            Ok(())
        );
        assert!(check_password_age(date!(2026 - 05 - 01), date!(2026 - 11 - 23)).is_err());
        assert_eq!(
            check_password_age(date!(2026 - 08 - 31), date!(2027 - 02 - 28)),
            Ok(())
        );
    }
}
