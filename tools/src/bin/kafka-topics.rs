//! `kafka-topics`: create, list, describe, alter and delete topics. See `tools::kafka::topics`.

use clap::Parser;
use tools::kafka::log_line;
use tools::kafka::topics::{exception_class, run, TopicsArgs};

fn main() {
    let args = match TopicsArgs::try_parse() {
        Ok(args) => args,
        Err(error) => {
            let _ = error.print();
            std::process::exit(if error.use_stderr() { 1 } else { 0 });
        }
    };
    if args.version {
        println!("{}", env!("CARGO_PKG_VERSION"));
        return;
    }
    let runtime = tools::runtime_or_exit("kafka-topics");
    let mut stdout = std::io::stdout();
    if let Err(error) = runtime.block_on(run(&args, &mut stdout)) {
        // Kafka prints the message on stdout and logs the exception on stderr.
        println!("Error while executing topic command : {error}");
        eprintln!(
            "{}",
            log_line(
                "ERROR",
                &format!("{}: {error}", exception_class(&error)),
                "kafka.admin.TopicCommand$"
            )
        );
        std::process::exit(1);
    }
}
