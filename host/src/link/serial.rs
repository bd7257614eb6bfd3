//! A serial-port link, for boards whose UART the kernel driver owns
//! (`/dev/ttyUSB1`, `/dev/ttyACM0`): 8N1, no flow control.

use std::io::{ErrorKind, Read, Write};
use std::time::Duration;

use serialport::{DataBits, FlowControl, Parity, SerialPort, StopBits};

use super::{Link, LinkError};

/// A board behind a serial port.
pub struct SerialLink {
    port: Box<dyn SerialPort>,
    path: String,
}

impl std::fmt::Debug for SerialLink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SerialLink")
            .field("path", &self.path)
            .finish()
    }
}

impl SerialLink {
    /// Opens `path` at `baud`, 8N1, no flow control.
    pub fn open(path: &str, baud: u32) -> Result<Self, LinkError> {
        let port = serialport::new(path, baud)
            .data_bits(DataBits::Eight)
            .parity(Parity::None)
            .stop_bits(StopBits::One)
            .flow_control(FlowControl::None)
            .timeout(Duration::from_millis(100))
            .open()
            .map_err(|e| LinkError::Io {
                link: path.to_string(),
                source: e.into(),
            })?;
        Ok(Self::from_port(port, path))
    }

    /// Wraps a port that is already open and configured.
    pub fn from_port(port: Box<dyn SerialPort>, name: &str) -> Self {
        SerialLink {
            port,
            path: name.to_string(),
        }
    }

    fn io(&self, source: std::io::Error) -> LinkError {
        LinkError::Io {
            link: self.path.clone(),
            source,
        }
    }
}

impl Link for SerialLink {
    fn write_all(&mut self, bytes: &[u8]) -> Result<(), LinkError> {
        self.port.write_all(bytes).map_err(|e| self.io(e))?;
        self.port.flush().map_err(|e| self.io(e))
    }

    fn read(&mut self, buf: &mut [u8], timeout: Duration) -> Result<usize, LinkError> {
        // serialport refuses a zero timeout on some platforms; 1 ms is a poll.
        let timeout = timeout.max(Duration::from_millis(1));
        self.port
            .set_timeout(timeout)
            .map_err(|e| self.io(e.into()))?;
        match self.port.read(buf) {
            Ok(0) => Err(LinkError::Closed {
                link: self.path.clone(),
            }),
            Ok(n) => Ok(n),
            Err(e) if matches!(e.kind(), ErrorKind::TimedOut | ErrorKind::WouldBlock) => Ok(0),
            Err(e) if e.kind() == ErrorKind::Interrupted => Ok(0),
            Err(e) => Err(self.io(e)),
        }
    }

    fn name(&self) -> String {
        self.path.clone()
    }
}

#[cfg(test)]
mod tests {
    use serialport::TTYPort;

    use super::*;

    #[test]
    fn bytes_cross_a_pseudo_terminal_pair() {
        let (host, board) = TTYPort::pair().unwrap();
        let mut host = SerialLink::from_port(Box::new(host), "pty-host");
        let mut board = SerialLink::from_port(Box::new(board), "pty-board");
        host.write_all(&[0xa5, 0x01, 0x00, 0x2e, 0x3e]).unwrap();
        let mut got = Vec::new();
        let mut buf = [0u8; 16];
        while got.len() < 5 {
            let n = board.read(&mut buf, Duration::from_millis(500)).unwrap();
            assert!(n > 0, "timed out after {got:02x?}");
            got.extend_from_slice(&buf[..n]);
        }
        assert_eq!(got, [0xa5, 0x01, 0x00, 0x2e, 0x3e]);
    }

    #[test]
    fn quiet_line_reads_as_timeout() {
        let (host, _board) = TTYPort::pair().unwrap();
        let mut host = SerialLink::from_port(Box::new(host), "pty-host");
        let mut buf = [0u8; 4];
        assert_eq!(host.read(&mut buf, Duration::from_millis(20)).unwrap(), 0);
    }

    #[test]
    fn missing_port_is_an_io_error_naming_it() {
        let err = SerialLink::open("/nonexistent/ttyAMBER", 115_200).unwrap_err();
        assert!(err.to_string().contains("/nonexistent/ttyAMBER"), "{err}");
    }
}
