//! The QR channel: Base45 text ([`base45`]) and QR codes rendered and read ([`code`]).

pub mod base45;
pub mod code;
