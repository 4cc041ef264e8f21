#[crochet::wait_for(timeout = "1s")]
async fn length(text: &str) -> usize {
    text.len()
}

#[derive(Clone)]
struct Counter {
    count: u64,
}

impl Counter {
    #[crochet::wait_for(timeout = "1s")]
    async fn bump(&mut self) -> u64 {
        self.count += 1;
        self.count
    }
}

fn main() {}
