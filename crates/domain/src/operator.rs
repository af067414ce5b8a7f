//! The operator: who runs the platform, as a complaint names them (docs/product.md §6). An
//! e-commerce operator must publish how to complain (电子商务法 art. 59), and a complaint to
//! the market regulator must name its respondent (市场监督管理投诉举报处理暂行办法 art. 9):
//! the legal name, the unified social credit code and the address.

use serde::{Deserialize, Serialize};

/// The 31 characters of a unified social credit code (GB 32100-2015: digits and capitals
/// without I, O, Z, S, V), each worth its position.
const CODE_CHARS: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";

/// The weight of each of the first 17 characters in the check character (3^i mod 31).
const WEIGHTS: [u32; 17] = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];

/// A unified social credit code (统一社会信用代码), its check character verified.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CreditCode(String);

/// Why a credit code is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CreditCodeError {
    #[error("a unified social credit code has 18 characters, not {0}")]
    Length(usize),
    #[error(
        "character {position} ({found:?}) is not one a unified social credit code uses (digits and capitals but I, O, Z, S, V)"
    )]
    Character { position: usize, found: char },
    #[error("the check character should be {expected}, not {found}: the code is mistyped")]
    CheckDigit { expected: char, found: char },
}

fn value(c: u8) -> Option<u32> {
    CODE_CHARS.iter().position(|&x| x == c).and_then(|p| u32::try_from(p).ok())
}

impl CreditCode {
    /// Checks `text` (spaces around it and lower case forgiven).
    pub fn parse(text: &str) -> Result<CreditCode, CreditCodeError> {
        let code = text.trim().to_ascii_uppercase();
        let chars: Vec<char> = code.chars().collect();
        if chars.len() != 18 {
            return Err(CreditCodeError::Length(chars.len()));
        }
        let mut values = Vec::with_capacity(18);
        for (i, &c) in chars.iter().enumerate() {
            let v = u8::try_from(c).ok().and_then(value);
            values.push(v.ok_or(CreditCodeError::Character { position: i + 1, found: c })?);
        }
        let sum: u32 = values.iter().zip(WEIGHTS).map(|(v, w)| v * w).sum();
        let check = (31 - sum % 31) % 31;
        let expected = char::from(CODE_CHARS[check as usize]);
        if chars[17] != expected {
            return Err(CreditCodeError::CheckDigit { expected, found: chars[17] });
        }
        Ok(CreditCode(code))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for CreditCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for CreditCode {
    type Error = CreditCodeError;
    fn try_from(s: String) -> Result<CreditCode, CreditCodeError> {
        CreditCode::parse(&s)
    }
}

impl From<CreditCode> for String {
    fn from(c: CreditCode) -> String {
        c.0
    }
}

/// The operator as the settings name them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Operator {
    /// The legal name, as registered (e.g. 某某网络科技有限公司).
    pub legal_name: String,
    pub credit_code: CreditCode,
    /// The registered address.
    pub address: String,
}

/// Why the operator's settings are refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OperatorError {
    #[error("operator_credit_code: {0}")]
    CreditCode(#[from] CreditCodeError),
    #[error("{0} is set, but a complaint needs all of operator_name, operator_credit_code and operator_address")]
    Incomplete(&'static str),
    #[error("complaint_email {0:?} is not an e-mail address")]
    Email(String),
}

impl Operator {
    /// The operator from its settings; `None` when none is set.
    pub fn from_settings(
        name: Option<&str>,
        code: Option<&str>,
        address: Option<&str>,
    ) -> Result<Option<Operator>, OperatorError> {
        let given = |v: Option<&str>| v.map(str::trim).filter(|v| !v.is_empty()).map(str::to_owned);
        match (given(name), given(code), given(address)) {
            (None, None, None) => Ok(None),
            (Some(legal_name), Some(code), Some(address)) => {
                Ok(Some(Operator { legal_name, credit_code: CreditCode::parse(&code)?, address }))
            }
            (name, code, _) => Err(OperatorError::Incomplete(if name.is_some() {
                "operator_name"
            } else if code.is_some() {
                "operator_credit_code"
            } else {
                "operator_address"
            })),
        }
    }
}

/// The operator's public complaint contact (e-commerce law art. 59), shown in every page's
/// footer and on the help page.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contact {
    pub email: Option<String>,
    pub phone: Option<String>,
}

impl Contact {
    /// Checked: an e-mail address has one `@` with something on both sides.
    pub fn new(email: Option<&str>, phone: Option<&str>) -> Result<Contact, OperatorError> {
        let given = |v: Option<&str>| v.map(str::trim).filter(|v| !v.is_empty()).map(str::to_owned);
        let email = given(email);
        if let Some(e) = &email {
            let ok = e.split_once('@').is_some_and(|(a, b)| !a.is_empty() && b.contains('.') && !b.contains('@'));
            if !ok || e.chars().any(char::is_whitespace) {
                return Err(OperatorError::Email(e.clone()));
            }
        }
        Ok(Contact { email, phone: given(phone) })
    }

    pub fn is_empty(&self) -> bool {
        self.email.is_none() && self.phone.is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credit_codes_are_checked_by_their_check_character() {
        // Published examples of GB 32100-2015, and the demo operator's made-up code.
        for good in ["91350100M000100Y43", "91110000802100433B", "91310115MA1K000016", " 91310115ma1k000016 "] {
            assert!(CreditCode::parse(good).is_ok(), "{good}");
        }
        assert_eq!(CreditCode::parse("91310115ma1k000016").map(|c| c.to_string()), Ok("91310115MA1K000016".into()));
        assert_eq!(
            CreditCode::parse("91350100M000100Y44"),
            Err(CreditCodeError::CheckDigit { expected: '3', found: '4' })
        );
        assert_eq!(CreditCode::parse("9135010"), Err(CreditCodeError::Length(7)));
        assert_eq!(
            CreditCode::parse("91350100M0001O0Y43"),
            Err(CreditCodeError::Character { position: 14, found: 'O' })
        );
        assert!(matches!(CreditCode::parse("91350100M000100Y4３"), Err(CreditCodeError::Character { .. })));
        // A single mistyped character is always caught.
        let code = b"91350100M000100Y43";
        for i in 0..17 {
            for &c in CODE_CHARS.iter().filter(|&&c| c != code[i]) {
                let mut typo = code.to_vec();
                typo[i] = c;
                let typo = String::from_utf8(typo).expect("ascii");
                assert!(CreditCode::parse(&typo).is_err(), "{typo}");
            }
        }
    }

    #[test]
    fn the_operator_is_named_whole_or_not_at_all() {
        let op = Operator::from_settings(Some("示例网络科技有限公司"), Some("91310115MA1K000016"), Some("上海市"))
            .expect("valid")
            .expect("named");
        assert_eq!(op.credit_code.as_str(), "91310115MA1K000016");
        assert_eq!(Operator::from_settings(None, Some(" "), None), Ok(None));
        assert_eq!(
            Operator::from_settings(Some("示例"), None, Some("上海市")),
            Err(OperatorError::Incomplete("operator_name"))
        );
        assert!(matches!(
            Operator::from_settings(Some("示例"), Some("91350100M000100Y44"), Some("上海市")),
            Err(OperatorError::CreditCode(CreditCodeError::CheckDigit { .. }))
        ));
        let contact = Contact::new(Some("kefu@example.com"), Some("400-000-0000")).expect("contact");
        assert_eq!(contact.email.as_deref(), Some("kefu@example.com"));
        for bad in ["kefu", "kefu@", "@example.com", "a b@example.com", "kefu@example"] {
            assert!(Contact::new(Some(bad), None).is_err(), "{bad}");
        }
        assert!(Contact::new(None, Some(" ")).expect("empty").is_empty());
    }
}
