//! `kafka-console-consumer`: records to stdout. See `tools::kafka::console_consumer`.

use std::io::Write;

use clap::Parser;
use tools::kafka::console_consumer::{run, timeout_message, ConsumerArgs, StopReason};

fn main() {
    let args = match ConsumerArgs::try_parse() {
        Ok(args) => args,
        Err(error) => {
            let _ = error.print();
            std::process::exit(if error.use_stderr() { 1 } else { 0 });
        }
    };
    let plan = match args.plan() {
        Ok(plan) => plan,
        Err(error) => {
            eprintln!("{error}");
            std::process::exit(1);
        }
    };
    let runtime = tools::runtime_or_exit("kafka-console-consumer");
    let mut stdout = std::io::BufWriter::new(std::io::stdout().lock());
    let mut processed = 0u64;
    let outcome = runtime.block_on(run(&args, &plan, &mut stdout, &mut processed));
    let _ = stdout.flush();
    let code = match outcome {
        Ok(StopReason::MaxMessages) => 0,
        Ok(StopReason::Timeout) => {
            eprintln!("{}", timeout_message());
            0
        }
        // A JVM ended by a signal exits with 128 + the signal number.
        Ok(StopReason::Signal(signal)) => 128 + signal,
        Ok(StopReason::OutputClosed) => {
            eprintln!("Unable to write to standard out, closing consumer.");
            0
        }
        Err(error) => {
            eprintln!("{error}");
            1
        }
    };
    eprintln!("Processed a total of {processed} messages");
    std::process::exit(code);
}
