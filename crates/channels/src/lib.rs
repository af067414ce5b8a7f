//! Redress's payment-channel protocols (docs/product.md §4): what goes over the wire to WeChat Pay
//! and Alipay (and Redress's own bank-card protocol) and comes back — request signing, response and callback verification, callback
//! decryption, and the messages themselves — as pure functions over bytes. The HTTP clients,
//! the worker that sends payouts and the sandbox gateway that answers them build on these.

pub mod alipay;
pub mod bank;
mod keys;
pub mod statements;
pub mod wechat;

pub use keys::{KeyError, SigningKey, VerifyingKey};
