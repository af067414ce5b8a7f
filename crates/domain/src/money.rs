//! Money: integer fen (1/100 yuan), never floats. `Fen` parses the decimal amounts people type
//! ("12.34", at most two decimals) and formats as `¥12.34`.

use serde::{Deserialize, Serialize};
use std::fmt;

/// An amount of CNY in fen. May be zero or negative only as an intermediate result
/// (balances are clamped); amounts a person asks for are [`RefundAmount`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Fen(pub i64);

impl Fen {
    pub const ZERO: Fen = Fen(0);

    pub fn get(self) -> i64 {
        self.0
    }

    pub fn saturating_sub(self, other: Fen) -> Fen {
        Fen(self.0.saturating_sub(other.0))
    }

    pub fn max_zero(self) -> Fen {
        Fen(self.0.max(0))
    }

    /// Pro-rata share `self × numerator / denominator`, rounded to the nearest fen with halves
    /// rounded up (in the buyer's favour). Exact: computed in i128, no floats.
    /// `denominator` must be positive; the result is clamped to `0..=self`.
    pub fn pro_rata(self, numerator: u64, denominator: u64) -> Fen {
        if denominator == 0 || self.0 <= 0 {
            return Fen::ZERO;
        }
        let numerator = numerator.min(denominator) as i128;
        let denominator = denominator as i128;
        let product = self.0 as i128 * numerator;
        let rounded = (2 * product + denominator) / (2 * denominator);
        Fen(rounded as i64)
    }

    /// Parses a yuan amount as typed by a person: digits, optionally `.` and one or two digits.
    /// A leading `¥` and surrounding spaces are accepted.
    pub fn parse_yuan(text: &str) -> Result<Fen, AmountError> {
        let t = text.trim().trim_start_matches(['¥', '￥']).trim();
        if t.is_empty() {
            return Err(AmountError::Malformed);
        }
        if let Some(rest) = t.strip_prefix('-') {
            return match Fen::parse_yuan(rest) {
                Ok(_) => Err(AmountError::NotPositive),
                Err(e) => Err(e),
            };
        }
        let (whole, frac) = match t.split_once('.') {
            Some((w, f)) => (w, f),
            None => (t, ""),
        };
        if whole.is_empty() || !whole.bytes().all(|b| b.is_ascii_digit()) {
            return Err(AmountError::Malformed);
        }
        if !frac.bytes().all(|b| b.is_ascii_digit()) || (t.contains('.') && frac.is_empty()) {
            return Err(AmountError::Malformed);
        }
        if frac.len() > 2 {
            return Err(AmountError::TooManyDecimals);
        }
        let whole: i64 = whole.parse().map_err(|_| AmountError::TooLarge)?;
        let frac_fen: i64 = match frac.len() {
            0 => 0,
            1 => frac.parse::<i64>().map_err(|_| AmountError::Malformed)? * 10,
            _ => frac.parse::<i64>().map_err(|_| AmountError::Malformed)?,
        };
        whole
            .checked_mul(100)
            .and_then(|w| w.checked_add(frac_fen))
            .filter(|v| *v <= MAX_FEN)
            .map(Fen)
            .ok_or(AmountError::TooLarge)
    }

    /// `12.34` (no currency sign), for forms and CSV.
    pub fn yuan_string(self) -> String {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        format!("{sign}{}.{:02}", abs / 100, abs % 100)
    }
}

/// The largest amount Redress handles: ¥100 000 000 000.00, far above any real order and far
/// below overflow in every sum of a few thousand amounts.
pub const MAX_FEN: i64 = 10_000_000_000_000;

impl fmt::Display for Fen {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0 < 0 { write!(f, "-¥{}", Fen(-self.0).yuan_string()) } else { write!(f, "¥{}", self.yuan_string()) }
    }
}

impl std::ops::Add for Fen {
    type Output = Fen;
    fn add(self, rhs: Fen) -> Fen {
        Fen(self.0.saturating_add(rhs.0))
    }
}

impl std::iter::Sum for Fen {
    fn sum<I: Iterator<Item = Fen>>(iter: I) -> Fen {
        iter.fold(Fen::ZERO, |a, b| a + b)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AmountError {
    #[error("amount is not a number of yuan such as 12.34")]
    Malformed,
    #[error("amount has more than two decimals")]
    TooManyDecimals,
    #[error("amount must be greater than zero")]
    NotPositive,
    #[error("amount is too large")]
    TooLarge,
    #[error("amount is above the refundable balance")]
    AboveBalance,
}

impl AmountError {
    /// Stable error code used by the API and the translation files.
    pub fn code(self) -> &'static str {
        match self {
            AmountError::Malformed => "amount-malformed",
            AmountError::TooManyDecimals => "amount-too-many-decimals",
            AmountError::NotPositive => "amount-not-positive",
            AmountError::TooLarge => "amount-too-large",
            AmountError::AboveBalance => "amount-above-balance",
        }
    }
}

/// An amount a person asks to be refunded: positive and at most the balance it was checked
/// against when it was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct RefundAmount(Fen);

impl RefundAmount {
    pub fn new(amount: Fen, balance: Fen) -> Result<RefundAmount, AmountError> {
        if amount.0 <= 0 {
            Err(AmountError::NotPositive)
        } else if amount > balance {
            Err(AmountError::AboveBalance)
        } else {
            Ok(RefundAmount(amount))
        }
    }

    pub fn fen(self) -> Fen {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_what_people_type() {
        assert_eq!(Fen::parse_yuan("12.34"), Ok(Fen(1234)));
        assert_eq!(Fen::parse_yuan("¥ 20"), Ok(Fen(2000)));
        assert_eq!(Fen::parse_yuan("0.5"), Ok(Fen(50)));
        assert_eq!(Fen::parse_yuan("1.005"), Err(AmountError::TooManyDecimals));
        assert_eq!(Fen::parse_yuan("-1"), Err(AmountError::NotPositive));
        assert_eq!(Fen::parse_yuan("1e3"), Err(AmountError::Malformed));
        assert_eq!(Fen::parse_yuan("12."), Err(AmountError::Malformed));
        assert_eq!(Fen::parse_yuan(".5"), Err(AmountError::Malformed));
        assert_eq!(Fen::parse_yuan(""), Err(AmountError::Malformed));
        assert_eq!(Fen::parse_yuan("99999999999999999999"), Err(AmountError::TooLarge));
    }

    #[test]
    fn formats_as_yuan() {
        assert_eq!(Fen(1234).to_string(), "¥12.34");
        assert_eq!(Fen(5).to_string(), "¥0.05");
        assert_eq!(Fen(-250).to_string(), "-¥2.50");
    }

    #[test]
    fn seed_pro_rata_example() {
        // 1000 promised, 600 delivered, ¥50 paid → ¥20 refundable.
        assert_eq!(Fen(5000).pro_rata(400, 1000), Fen(2000));
        // Halves round up: ¥0.01 × 1/2 = ½ fen → 1 fen.
        assert_eq!(Fen(1).pro_rata(1, 2), Fen(1));
        assert_eq!(Fen(100).pro_rata(1, 3), Fen(33));
        assert_eq!(Fen(200).pro_rata(1, 3), Fen(67));
    }

    #[test]
    fn refund_amount_bounds() {
        assert_eq!(RefundAmount::new(Fen(0), Fen(10)), Err(AmountError::NotPositive));
        assert_eq!(RefundAmount::new(Fen(11), Fen(10)), Err(AmountError::AboveBalance));
        assert!(RefundAmount::new(Fen(10), Fen(10)).is_ok());
    }

    proptest! {
        #[test]
        fn pro_rata_is_exact_and_bounded(paid in 0i64..MAX_FEN, promised in 1u64..10_000_000, short in 0u64..10_000_000) {
            let short = short.min(promised);
            let share = Fen(paid).pro_rata(short, promised);
            prop_assert!(share >= Fen::ZERO && share <= Fen(paid));
            // Exact: |share × promised − paid × short| ≤ promised / 2 (nearest fen).
            let err = (share.0 as i128 * promised as i128 - paid as i128 * short as i128).abs();
            prop_assert!(2 * err <= promised as i128);
            // The refundable and the kept parts add up to what was paid, to the fen.
            let kept = Fen(paid) .saturating_sub(share);
            prop_assert_eq!(kept + share, Fen(paid));
        }

        #[test]
        fn display_round_trips(v in 0i64..MAX_FEN) {
            prop_assert_eq!(Fen::parse_yuan(&Fen(v).to_string()), Ok(Fen(v)));
        }
    }
}
