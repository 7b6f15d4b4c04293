//! `kafka-reassign-partitions`: generate, execute, verify, cancel and list partition
//! reassignments. See `tools::kafka::reassign_partitions`.

use std::io::Write;

use tools::error::KafkaToolError;
use tools::kafka::options::usage;
use tools::kafka::reassign_partitions::{check, run, Checked, DESCRIPTION, OPTIONS};

/// Kafka's usage failure: the message and the option table on stderr, status 1.
fn usage_and_exit(message: &str) -> ! {
    eprintln!("{message}");
    eprint!("{}", usage(OPTIONS));
    std::process::exit(1);
}

fn main() {
    let arguments: Vec<String> = std::env::args().skip(1).collect();
    let command = match check(&arguments) {
        Ok(Checked::Help) => usage_and_exit(DESCRIPTION),
        Ok(Checked::Version) => {
            println!("{}", env!("CARGO_PKG_VERSION"));
            return;
        }
        Ok(Checked::Run(command)) => command,
        Err(error) => usage_and_exit(&error.to_string()),
    };
    let runtime = tools::runtime_or_exit("kafka-reassign-partitions");
    let mut stdout = std::io::stdout();
    let outcome = runtime.block_on(run(&command, &mut stdout));
    let _ = stdout.flush();
    match outcome {
        Ok(()) => {}
        Err(KafkaToolError::Usage { message }) => usage_and_exit(&message),
        // Kafka's tool prints its failures on stdout and exits 1.
        Err(KafkaToolError::Command { message }) => {
            println!("{message}");
            std::process::exit(1);
        }
        Err(error) => {
            println!("Error: {error}");
            std::process::exit(1);
        }
    }
}
