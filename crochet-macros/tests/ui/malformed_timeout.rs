#[crochet::wait_for(timeout = "1 sec")]
async fn slow() {}

#[crochet::wait_for(runtime = tokio)]
async fn forever() {}

fn main() {}
