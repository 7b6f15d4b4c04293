//! `kafka-consumer-perf-test`. See `tools::kafka::consumer_perf`.

use clap::Parser;
use tools::kafka::consumer_perf::{run, ConsumerPerfArgs};

fn main() {
    let args = match ConsumerPerfArgs::try_parse() {
        Ok(args) => args,
        Err(error) => {
            let _ = error.print();
            std::process::exit(if error.use_stderr() { 1 } else { 0 });
        }
    };
    let runtime = tools::runtime_or_exit("kafka-consumer-perf-test");
    if let Err(error) = runtime.block_on(run(&args)) {
        eprintln!("{error}");
        std::process::exit(1);
    }
}
