//! `kafka-console-producer`: stdin lines to records. See `tools::kafka::console_producer`.

use clap::Parser;
use tools::kafka::console_producer::{run, ProducerArgs};

fn main() {
    let args = match ProducerArgs::try_parse() {
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
            eprintln!("kafka-console-producer: cannot start the runtime: {error}");
            std::process::exit(1);
        }
    };
    match runtime.block_on(run(&args)) {
        Ok(_failed) => {}
        Err(error) => {
            eprintln!("{error}");
            std::process::exit(1);
        }
    }
}
