//! One client connection: the first four bytes decide between a four-letter word (answered and
//! closed) and a session handshake; after the handshake every frame is decoded and handed to the
//! processor (inline, on the event-loop thread), and a writer task sends back what the processor
//! releases, in order.
//!
//! Bad input drops only this connection: a length prefix below zero or above `jute.maxbuffer`,
//! a frame too short for a request header, or an undecodable handshake closes it; an unknown op
//! code or an undecodable body is answered with an error code and the connection stays.
//! At most `globalOutstandingLimit` requests of a connection are in flight: past that the reader
//! stops reading until replies go out.

use std::cell::RefCell;
use std::net::SocketAddr;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Instant;

use tokio::io::{AsyncReadExt, AsyncWriteExt, BufReader, BufWriter};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::TcpStream;
use tokio::sync::mpsc::UnboundedReceiver;
use tokio::sync::{Notify, Semaphore};

use crate::admin;
use crate::config::CoordinatorConfig;
use crate::ids::ConnId;
use crate::processor::{Input, Outbound, Processor};
use crate::protocol::jute::{Decode, Reader};
use crate::protocol::records::ConnectRequest;
use crate::protocol::request::Request;

/// What every connection shares.
pub struct Shared {
    pub processor: Rc<RefCell<Processor>>,
    pub config: Arc<CoordinatorConfig>,
}

impl Shared {
    /// Hands an input to the processor. Everything runs on the event-loop thread and no borrow
    /// is held across an await, so the borrow cannot clash.
    pub fn submit(&self, input: Input) {
        self.processor.borrow_mut().handle(input);
    }
}

#[derive(Debug, thiserror::Error)]
enum FrameError {
    #[error("connection closed")]
    Closed(#[from] std::io::Error),
    #[error("frame length {length} outside 0..={max}")]
    Length { length: i32, max: usize },
}

async fn read_frame(
    reader: &mut BufReader<OwnedReadHalf>,
    max: usize,
) -> Result<Vec<u8>, FrameError> {
    let length = reader.read_i32().await?;
    read_body(reader, length, max).await
}

async fn read_body(
    reader: &mut BufReader<OwnedReadHalf>,
    length: i32,
    max: usize,
) -> Result<Vec<u8>, FrameError> {
    let Ok(size) = usize::try_from(length) else {
        return Err(FrameError::Length { length, max });
    };
    if size > max {
        return Err(FrameError::Length { length, max });
    }
    let mut body = vec![0u8; size];
    reader.read_exact(&mut body).await?;
    Ok(body)
}

/// Serves one accepted socket until it closes.
pub async fn serve(stream: TcpStream, peer: SocketAddr, conn: ConnId, shared: Rc<Shared>) {
    let _ = stream.set_nodelay(true);
    let (reader, writer) = stream.into_split();
    let mut reader = BufReader::with_capacity(64 * 1024, reader);
    let max = shared.config.jute_max_buffer;
    let mut head = [0u8; 4];
    if reader.read_exact(&mut head).await.is_err() {
        return;
    }
    if let Some(word) = std::str::from_utf8(&head)
        .ok()
        .filter(|word| admin::WORDS.contains(word))
    {
        four_letter_word(word, peer, writer, &shared).await;
        return;
    }
    let handshake = match read_body(&mut reader, i32::from_be_bytes(head), max).await {
        Ok(body) => body,
        Err(error) => {
            tracing::warn!("Closing connection from {peer}: bad handshake frame: {error}");
            return;
        }
    };
    let request = match ConnectRequest::decode(&mut Reader::new(&handshake)) {
        Ok(request) => request,
        Err(error) => {
            tracing::warn!("Closing connection from {peer}: undecodable connect request: {error}");
            return;
        }
    };
    let (sender, outbound) = tokio::sync::mpsc::unbounded_channel();
    let permits = Arc::new(Semaphore::new(
        shared.config.global_outstanding_limit.max(1),
    ));
    let closed = Arc::new(Notify::new());
    tokio::task::spawn_local(write_loop(
        outbound,
        writer,
        permits.clone(),
        closed.clone(),
    ));
    shared.submit(Input::Connect {
        conn,
        peer,
        request,
        sender,
    });
    loop {
        let frame = tokio::select! {
            frame = read_frame(&mut reader, max) => frame,
            () = closed.notified() => break,
        };
        let body = match frame {
            Ok(body) => body,
            Err(FrameError::Closed(_)) => break,
            Err(error) => {
                tracing::warn!("Closing connection from {peer}: {error}");
                break;
            }
        };
        let received = Instant::now();
        let mut input = Reader::new(&body);
        let (Ok(xid), Ok(op)) = (input.read_i32(), input.read_i32()) else {
            tracing::warn!(
                "Closing connection from {peer}: frame of {} bytes has no request header",
                body.len()
            );
            break;
        };
        let request = Request::decode(op, body.get(8..).unwrap_or_default());
        match permits.acquire().await {
            Ok(permit) => permit.forget(),
            Err(_) => break,
        }
        shared.submit(Input::Request {
            conn,
            xid,
            op,
            request,
            received,
        });
    }
    shared.submit(Input::Closed { conn });
}

async fn write_loop(
    mut outbound: UnboundedReceiver<Outbound>,
    writer: OwnedWriteHalf,
    permits: Arc<Semaphore>,
    closed: Arc<Notify>,
) {
    let mut writer = BufWriter::with_capacity(64 * 1024, writer);
    'outer: while let Some(first) = outbound.recv().await {
        let mut next = Some(first);
        let mut close = false;
        while let Some(item) = next.take() {
            let written = match item {
                Outbound::Reply(frame) => {
                    permits.add_permits(1);
                    writer.write_all(&frame).await
                }
                Outbound::Event(frame) => writer.write_all(&frame).await,
                Outbound::Close => {
                    close = true;
                    break;
                }
            };
            if written.is_err() {
                break 'outer;
            }
            next = outbound.try_recv().ok();
        }
        if writer.flush().await.is_err() || close {
            break;
        }
    }
    let _ = writer.shutdown().await;
    closed.notify_one();
}

async fn four_letter_word(
    word: &str,
    peer: SocketAddr,
    mut writer: OwnedWriteHalf,
    shared: &Shared,
) {
    let text = if !shared.config.four_letter_words.allows(word) {
        admin::not_whitelisted(word)
    } else if word == "ruok" {
        "imok".to_owned()
    } else {
        let (reply, answer) = tokio::sync::oneshot::channel();
        shared.submit(Input::Admin {
            word: word.to_owned(),
            peer,
            reply,
        });
        answer.await.unwrap_or_default()
    };
    let _ = writer.write_all(text.as_bytes()).await;
    let _ = writer.shutdown().await;
}
