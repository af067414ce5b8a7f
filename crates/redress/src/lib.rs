//! Redress's composition root and its commands: [`startup`] builds everything `serve` runs
//! from the [`settings`] (the same code for `serve`, every command that acts like it and the
//! integration tests), [`jobs`] are the background passes on one scheduler, [`demo`] the
//! demo data set and [`admin`] the administrator's commands. `main.rs` only parses the
//! command line.

pub mod admin;
pub mod demo;
pub mod jobs;
pub mod settings;
pub mod startup;
