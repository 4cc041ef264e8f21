#[crochet::wait_for(timeout = "1s", runtime = tokyo)]
async fn fast() {}

fn main() {}
