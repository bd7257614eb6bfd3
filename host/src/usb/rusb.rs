//! The libusb backend (placeholder).
