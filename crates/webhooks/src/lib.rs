//! Outgoing webhooks to the merchant's system, to the Standard Webhooks specification
//! (<https://www.standardwebhooks.com>): `signature` signs what is sent the way every
//! receiver's library verifies it; `target` decides which addresses Redress may call, so a
//! merchant's token cannot make Redress reach its own network.

pub mod signature;
pub mod target;
