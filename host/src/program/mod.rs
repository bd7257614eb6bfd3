//! Programmers.
