//! `kafka-leader-election`: preferred or unclean leader elections through the controller.
//! See `tools::kafka::leader_election`.

use std::io::Write;

use tools::error::KafkaToolError;
use tools::kafka::leader_election::{check, run, Checked, DESCRIPTION, OPTIONS};
use tools::kafka::options::usage;

fn main() {
    let arguments: Vec<String> = std::env::args().skip(1).collect();
    let command = match check(&arguments) {
        Ok(Checked::Help) => {
            eprintln!("{DESCRIPTION}");
            eprint!("{}", usage(OPTIONS));
            std::process::exit(1);
        }
        Ok(Checked::Version) => {
            println!("{}", env!("CARGO_PKG_VERSION"));
            return;
        }
        Ok(Checked::Run(command)) => command,
        Err(error) => fail(&error),
    };
    let runtime = tools::runtime_or_exit("kafka-leader-election");
    let mut stdout = std::io::stdout();
    let outcome = runtime.block_on(run(&command, &mut stdout));
    let _ = stdout.flush();
    if let Err(error) = outcome {
        fail(&error);
    }
}

/// Kafka's tool prints the failure's message on stderr and exits 1.
fn fail(error: &KafkaToolError) -> ! {
    eprintln!("{error}");
    std::process::exit(1);
}
