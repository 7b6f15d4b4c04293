//! `kafka-producer-perf-test`. See `tools::kafka::producer_perf`.

use clap::Parser;
use tools::kafka::producer_perf::{run, ProducerPerfArgs};

fn main() {
    let args = match ProducerPerfArgs::try_parse() {
        Ok(args) => args,
        Err(error) => {
            let _ = error.print();
            std::process::exit(if error.use_stderr() { 1 } else { 0 });
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("kafka-producer-perf-test: cannot start the runtime: {error}");
            std::process::exit(1);
        }
    };
    if let Err(error) = runtime.block_on(run(&args)) {
        eprintln!("{error}");
        std::process::exit(1);
    }
}
