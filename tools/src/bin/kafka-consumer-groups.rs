//! `kafka-consumer-groups`: list, describe, delete consumer groups and reset or delete
//! their offsets. See `tools::kafka::consumer_groups`.

use std::io::Write;

use clap::Parser;
use tools::error::KafkaToolError;
use tools::kafka::consumer_groups::{
    client_message, help, run, Checked, ConsumerGroupsArgs, DESCRIPTION,
};

/// Kafka's `printUsageAndDie`: the message and the option table on stderr, status 1.
fn usage_and_exit(message: &str) -> ! {
    eprintln!("{message}");
    eprint!("{}", help::usage());
    std::process::exit(1);
}

fn main() {
    let args = match ConsumerGroupsArgs::try_parse() {
        Ok(args) => args,
        Err(error) => {
            // Kafka's option parser rejects the command line before anything else runs.
            let text = error.to_string();
            let first = text
                .lines()
                .next()
                .unwrap_or("")
                .trim_start_matches("error: ");
            usage_and_exit(first);
        }
    };
    let mut stderr = std::io::stderr();
    let action = match args.check(&mut stderr) {
        Ok(Checked::Help) => usage_and_exit(DESCRIPTION),
        Ok(Checked::Version) => {
            println!("{}", env!("CARGO_PKG_VERSION"));
            return;
        }
        Ok(Checked::Run(action)) => action,
        Err(error) => usage_and_exit(&error.to_string()),
    };
    let runtime = tools::runtime_or_exit("kafka-consumer-groups");
    let mut stdout = std::io::stdout();
    let outcome = runtime.block_on(run(&args, action, &mut stdout, &mut stderr));
    let _ = stdout.flush();
    match outcome {
        Ok(()) => {}
        Err(KafkaToolError::Usage { message }) => usage_and_exit(&message),
        Err(error) => {
            // Kafka prints the failure on stdout and the exception on stderr; the status
            // stays 0.
            let message = match &error {
                KafkaToolError::Client(client) => client_message(client),
                other => other.to_string(),
            };
            println!("\nError: Executing consumer group command failed due to {message}");
            eprintln!("java.util.concurrent.ExecutionException: {message}");
        }
    }
}
