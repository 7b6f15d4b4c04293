//! `zk-perf-test`: a load generator for the coordinator or any ZooKeeper server. See
//! `tools::zk_perf` for the options and the workloads.

use clap::Parser;
use tools::zk_perf::options::PerfArgs;

fn main() -> anyhow::Result<()> {
    let args = PerfArgs::parse();
    let runtime = if args.threads <= 1 {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?
    } else {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(args.threads)
            .enable_all()
            .build()?
    };
    let outcome = args
        .validate(rand::random::<u32>())
        .map(|options| runtime.block_on(tools::zk_perf::run(&options)));
    match outcome {
        Ok(Ok(_reports)) => Ok(()),
        Ok(Err(error)) | Err(error) => {
            eprintln!("zk-perf-test: {error}");
            std::process::exit(1);
        }
    }
}
